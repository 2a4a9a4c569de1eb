// The pure parts of the panels, the overview and the side view: checks of what webviews send,
// restored panel state, streamed points and click updates, export names, failure wording and the
// side view's sections.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HostRequestError } from '../../src/host/client/hostError';
import { exportBytes, safeExportName } from '../../src/extension/panels/exportName';
import { classifyFailure } from '../../src/extension/panels/failure';
import { mergeById, withPoint } from '../../src/extension/panels/figureUpdates';
import { isPanelMessage } from '../../src/extension/panels/panelMessages';
import { isPanelState, isThumbnail, panelPageData, panelStateFromWebview } from '../../src/extension/panels/panelState';
import { hostSection, jobsSection, recentSection } from '../../src/extension/sideView/sideViewState';
import type { HostState, PanelState } from '../../src/extension/services';
import { isOverviewMessage } from '../../src/protocol/overview';
import { isSideViewMessage } from '../../src/protocol/sideView';
import type { FigureSpec } from '../../src/protocol/webview';

const STATE: PanelState = { kind: 'test', title: 'Test: model.onnx', models: ['models/a.onnx'], key: 'f'.repeat(64), params: { n: 3 } };

test('panel messages: well-formed ones pass, anything else is ignored', () => {
  const good = [
    { type: 'ready', protocol: 1 },
    { type: 'retry' },
    { type: 'setState', state: { a: 1 } },
    { type: 'thumbnail', dataUrl: 'data:image/png;base64,AAAA' },
    { type: 'export', format: 'png', fileName: 'f.png', encoding: 'base64', data: 'AAAA' },
    { type: 'export', format: 'csv', fileName: 'f.csv', encoding: 'utf8', data: 'a,b\n' },
    { type: 'select', figureId: 'w', target: { kind: 'pixel', row: 3, col: 4 } },
    { type: 'select', figureId: 'w', target: { kind: 'pixel', row: 0, col: 0, image: 2 } },
    { type: 'select', figureId: 'b', target: { kind: 'bar', category: 1, series: 0 } },
  ];
  for (const m of good) assert.equal(isPanelMessage(m), true, JSON.stringify(m));
  const bad: unknown[] = [
    null, 'ready', 42, {}, { type: 'render', figures: [] }, { type: 'ready' },
    { type: 'export', format: 'exe', fileName: 'f', encoding: 'utf8', data: '' },
    { type: 'export', format: 'png', fileName: 'f', encoding: 'hex', data: '' },
    { type: 'export', format: 'toString', fileName: 'f', encoding: 'utf8', data: '' },
    { type: 'select', figureId: 'w', target: { kind: 'pixel', row: -1, col: 0 } },
    { type: 'select', figureId: 'w', target: { kind: 'pixel', row: 1.5, col: 0 } },
    { type: 'select', figureId: 'w', target: { kind: 'lasso' } },
    { type: 'thumbnail', dataUrl: 5 },
  ];
  for (const m of bad) assert.equal(isPanelMessage(m), false, JSON.stringify(m));
});

test('overview and side view messages are checked the same way', () => {
  assert.ok(isOverviewMessage({ type: 'overview/runAnalysis', kind: 'interpreter' }));
  assert.ok(isOverviewMessage({ type: 'overview/retry' }));
  assert.ok(!isOverviewMessage({ type: 'overview/runAnalysis' }));
  assert.ok(!isOverviewMessage({ type: 'sideView/openModel', uri: 'x' }));
  assert.ok(isSideViewMessage({ type: 'sideView/cancelJob', jobId: 'c1-3' }));
  assert.ok(isSideViewMessage({ type: 'sideView/openModel', uri: 'file:///m.onnx' }));
  assert.ok(!isSideViewMessage({ type: 'sideView/cancelJob', jobId: 3 }));
  assert.ok(!isSideViewMessage({ type: 'overview/retry' }));
});

test('panel state: what the page keeps comes back through the serializer; damaged state does not', () => {
  const data = panelPageData(STATE);
  assert.deepEqual(panelStateFromWebview(JSON.parse(JSON.stringify(data))), STATE);
  assert.equal(panelStateFromWebview(undefined), undefined);
  assert.equal(panelStateFromWebview({ panel: { ...STATE, key: '../x' } }), undefined, 'a key that is not a cache key');
  assert.equal(panelStateFromWebview({ panel: { ...STATE, models: [1] } }), undefined);
  const { params: _, ...noParams } = STATE;
  assert.equal(isPanelState(noParams), false);
  assert.equal(isPanelState({ ...STATE, params: null }), true, 'null parameters are parameters');
});

test('thumbnails: small PNG data URLs only', () => {
  assert.ok(isThumbnail('data:image/png;base64,iVBORw0KGgo='));
  assert.ok(!isThumbnail('data:image/svg+xml;base64,PHN2Zz4='));
  assert.ok(!isThumbnail('https://example.com/x.png'));
  assert.ok(!isThumbnail('data:image/png;base64,"><script>'));
  assert.ok(!isThumbnail(`data:image/png;base64,${'A'.repeat(200_000)}`));
});

test('streamed points are appended to their curve only', () => {
  const figures: FigureSpec[] = [
    { kind: 'line', id: 'lmc', title: 'Loss', xLabel: 'α', yLabel: 'loss', series: [{ id: 'a', label: 'A', points: [{ x: 0, y: 1 }] }, { id: 'b', label: 'B', points: [] }] },
    { kind: 'bar', id: 'bars', title: 'Bars', categories: ['x'], series: [{ id: 's', label: 'S', values: [1] }] },
  ];
  const next = withPoint(figures, 'lmc', 'b', { x: 0.5, y: 2 });
  assert.ok(next);
  const line = next[0]!;
  assert.equal(line.kind, 'line');
  if (line.kind === 'line') {
    assert.deepEqual(line.series[1]!.points, [{ x: 0.5, y: 2 }]);
    assert.deepEqual(line.series[0]!.points, [{ x: 0, y: 1 }]);
  }
  assert.equal(figures[0]!.kind === 'line' && figures[0].series[1]!.points.length, 0, 'the input is not changed');
  assert.equal(withPoint(figures, 'bars', 's', { x: 0, y: 0 }), undefined, 'not a curve');
  assert.equal(withPoint(figures, 'lmc', 'zz', { x: 0, y: 0 }), undefined, 'no such series');
  assert.equal(withPoint(figures, 'nope', 'a', { x: 0, y: 0 }), undefined, 'no such figure');
});

test('a click answer replaces figures of the same id and appends new ones, in order', () => {
  const cur = [{ id: 'a', v: 1 }, { id: 'b', v: 1 }];
  assert.deepEqual(mergeById(cur, [{ id: 'b', v: 2 }, { id: 'c', v: 1 }]), [{ id: 'a', v: 1 }, { id: 'b', v: 2 }, { id: 'c', v: 1 }]);
  assert.equal(mergeById(cur, undefined), cur);
  assert.equal(mergeById(cur, []), cur);
});

test('export names: no folders, no odd characters, always the format extension', () => {
  assert.equal(safeExportName('weights.png', 'png'), 'weights.png');
  assert.equal(safeExportName('../../etc/passwd', 'csv'), 'passwd.csv');
  assert.equal(safeExportName('C:\\temp\\a.svg', 'svg'), 'a.svg');
  assert.equal(safeExportName('..hidden', 'json'), 'hidden.json');
  assert.equal(safeExportName('a<b>:c?.png', 'png'), 'a-b-c-.png');
  assert.equal(safeExportName('', 'png'), 'figure.png');
  assert.equal(safeExportName('x.PNG', 'png'), 'x.PNG');
  assert.deepEqual([...exportBytes({ type: 'export', format: 'png', fileName: 'a.png', encoding: 'base64', data: 'iVBORw==' })], [0x89, 0x50, 0x4e, 0x47]);
  assert.equal(Buffer.from(exportBytes({ type: 'export', format: 'csv', fileName: 'a.csv', encoding: 'utf8', data: 'α,β\n' })).toString('utf8'), 'α,β\n');
});

test('failures are worded for who can act on them', () => {
  const running: HostState = { status: 'running', recentCrashes: 1 };
  const user = classifyFailure(new HostRequestError('model.onnx: op Foo is not supported', 'user', -32001), running, { activity: 'computing' });
  assert.deepEqual(user, { kind: 'user', message: 'model.onnx: op Foo is not supported' });
  const died = classifyFailure(new HostRequestError('The compute host stopped while running "x" (killed by SIGKILL).', 'connection', 0), running, { activity: 'computing' });
  assert.equal(died.kind, 'host');
  assert.equal(died.message, 'The compute host stopped while computing; it has been restarted.');
  const failed = classifyFailure(new HostRequestError('It crashed 5 times. Run "Restart".', 'connection', 0), { status: 'failed', recentCrashes: 5, reason: 'r' }, { activity: 'computing' });
  assert.equal(failed.message, 'It crashed 5 times. Run "Restart".', 'a host that stays down says what to do');
  assert.equal(classifyFailure(new HostRequestError('cancelled', 'cancelled', -32800), running, { activity: 'x' }).kind, 'cancelled');
  const bug = classifyFailure(new HostRequestError('boom', 'bug', -32603, undefined, 'Error: boom\n    at f (host.js:1)'), running, { activity: 'x' });
  assert.equal(bug.kind, 'bug');
  assert.ok(!bug.message.includes(' at '), 'no stack in the message');
  assert.match(bug.detail ?? '', /at f/);
  assert.equal(classifyFailure(new TypeError('x is undefined'), running, { activity: 'x' }).kind, 'bug');
});

test('side view sections', () => {
  const info = {
    backend: { name: 'wasm' as const, device: 'wasm (CPU, SIMD)', notUsed: [], tfjsVersion: '4.22.0' },
    versions: { node: '20', tfjs: '4.22.0', linearLens: '0.1.0' },
    memory: { rss: 200 * 2 ** 20, heapUsed: 1, tfBytes: 4096, tfTensors: 3 },
    pid: 4321,
    jobs: { running: 0, queued: 0 },
  };
  assert.deepEqual(hostSection({ status: 'running', info, recentCrashes: 2 }), {
    status: 'running', restarts: 2, device: 'wasm (CPU, SIMD)', pid: 4321, rss: 200 * 2 ** 20, tfBytes: 4096, tfTensors: 3,
  });
  assert.deepEqual(hostSection({ status: 'failed', recentCrashes: 5, reason: 'crashed' }), { status: 'failed', restarts: 5, reason: 'crashed' });
  const jobs = jobsSection([
    { id: 'b', title: 'B', method: 'host/selfTest', fraction: 0.5, started: 2 },
    { id: 'a', title: 'A', method: 'model/describe', fraction: 0, started: 1, message: 'reading' },
  ]);
  assert.deepEqual(jobs.map((j) => j.id), ['a', 'b'], 'oldest first');
  assert.equal(jobs[0]!.message, 'reading');
  assert.deepEqual(recentSection([{ state: STATE, finished: 5, thumbnail: 'data:image/png;base64,AA==' }]), [
    { key: STATE.key, title: STATE.title, kind: 'test', models: STATE.models, finished: 5, thumbnail: 'data:image/png;base64,AA==' },
  ]);
});
