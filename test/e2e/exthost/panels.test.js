// Analysis panels inside the extension host, with a test-only analysis registered here through
// the API `activate` returns (test analyses exist only in tests, never in the extension). The analysis runs the compute host's self test
// (host/selfTest: real jobs with progress, partial results and cancellation), so everything below
// goes through the real compute host: open -> compute (streaming partial points) -> render ->
// cache -> recent results with a thumbnail -> reveal / reopen from the cache -> restore through the
// serializer -> failure and Retry -> a killed host and Retry -> cancel -> closing cancels.
const assert = require('node:assert/strict');
const path = require('node:path');
const vscode = require('vscode');

const EXTENSION_ID = 'linear-lens.linear-lens';
const KIND = 'e2e-self-test';

const { sleep, waitFor } = require('./wait');

/** The tab of our panel titled `title`, with its group. */
function panelTab(title) {
  for (const group of vscode.window.tabGroups.all) {
    for (const tab of group.tabs) {
      if (tab.input instanceof vscode.TabInputWebview && tab.input.viewType.endsWith('linearLens.panel') && tab.label === title) return { tab, group };
    }
  }
  return undefined;
}

/** Every tab, with its input's kind, for messages. */
function tabList() {
  return vscode.window.tabGroups.all
    .flatMap((g) => g.tabs.map((t) => `"${t.label}" (${t.input?.constructor?.name ?? 'no input'}${t.input?.viewType ? ` ${t.input.viewType}` : ''}, column ${g.viewColumn})`))
    .join(', ');
}

/**
 * Closes our panel titled `title` as a user does (its tab), then waits until the panel itself is
 * gone, not only its tab. A panel just opened may not be among the tabs yet: waited for, never
 * skipped (a skipped close left the panel, and its job, running into the next test).
 */
async function closePanel(api, title) {
  const t = await waitFor(() => panelTab(title), () => `a tab titled "${title}" (tabs: ${tabList()})`, 15_000);
  await vscode.window.tabGroups.close(t.tab);
  await waitFor(() => !panelTab(title) && !api.panels.snapshots().some((s) => s.title === title), () => `panel "${title}" to close (tabs: ${tabList()})`);
}

/** Pixels of a PNG data URL that differ from its first pixel (0: a blank picture). */
function nonBlankShare(root, dataUrl) {
  const { PNG } = require(path.join(root, 'node_modules', 'pngjs'));
  const png = PNG.sync.read(Buffer.from(dataUrl.replace(/^data:image\/png;base64,/, ''), 'base64'));
  const d = png.data;
  let differ = 0;
  for (let i = 0; i < d.length; i += 4) {
    if (Math.abs(d[i] - d[0]) + Math.abs(d[i + 1] - d[1]) + Math.abs(d[i + 2] - d[2]) > 30) differ++;
  }
  return { share: differ / (d.length / 4), width: png.width, height: png.height };
}

describe('Linear Lens panels (extension host)', function () {
  this.timeout(120_000);
  let api;
  let root;
  let registration;
  const calls = { compute: 0, points: 0 };
  let failNext = false;

  /** A test-only analysis: the host's self test, drawn as a curve, a heat map, a bar chart and a table. */
  const provider = {
    kind: KIND,
    title: 'E2E self test',
    description: 'The compute host multiplies random matrices (test only)',
    async prepare(start) {
      const model = start.models[0].fsPath;
      const params = start.params ?? { batches: 8, delayMs: 20 };
      return {
        kind: KIND,
        title: `E2E self test: ${path.basename(path.dirname(model))} (${params.batches} batches)`,
        models: [model],
        key: await api.cacheKey([{ model }, { value: { kind: KIND, ...params } }]),
        params,
      };
    },
    async compute(ctx) {
      calls.compute++;
      if (failNext) {
        failNext = false;
        throw Object.assign(new Error('The planned failure of this test.'), { kind: 'user' });
      }
      const { batches, delayMs } = ctx.state.params;
      ctx.sink.show({ figures: [{ kind: 'line', id: 'curve', title: 'Batch means', xLabel: 'batch', yLabel: 'mean', series: [{ id: 'mean', label: 'mean', points: [] }] }] });
      const means = [];
      const r = await ctx.run('host/selfTest', { batches, size: 24, delayMs }, (p) => {
        means.push(p.mean);
        calls.points++;
        ctx.sink.point('curve', 'mean', { x: p.batch, y: p.mean });
      });
      return { batches: r.batches, means };
    },
    view(result) {
      const n = result.means.length;
      return {
        figures: [
          { kind: 'line', id: 'curve', title: 'Batch means', xLabel: 'batch', yLabel: 'mean', series: [{ id: 'mean', label: 'mean', points: result.means.map((y, x) => ({ x, y })) }] },
          { kind: 'heatmap', id: 'map', title: 'Means as a map', rows: 1, cols: n, values: result.means, colormap: 'viridis' },
          { kind: 'bar', id: 'bars', title: 'Means per batch', categories: result.means.map((_, i) => `b${i}`), series: [{ id: 'm', label: 'mean', values: result.means }] },
        ],
        tables: [{ id: 'table', title: 'Batch means', columns: ['batch', 'mean'], rows: result.means.map((m, i) => [`b${i}`, m]) }],
      };
    },
    async onSelect(ctx) {
      return { figures: [{ kind: 'bar', id: 'selected', title: `Selected ${ctx.target.kind}`, categories: ['x'], series: [{ id: 's', label: 's', values: [1] }] }] };
    },
  };

  const modelUri = () => vscode.Uri.file(path.join(root, 'examples', 'models', 'mlp-seed1', 'model.json'));
  const stateFor = (params) => provider.prepare({ models: [modelUri()], params });
  const snapshot = (state) => api.panels.snapshot(state.key);
  const waitStatus = (state, status, timeout) => waitFor(() => snapshot(state)?.status === status && snapshot(state), `panel "${state.title}" to be ${status} (is ${JSON.stringify(snapshot(state))})`, timeout);

  before(async function () {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is not loaded`);
    root = ext.extensionPath;
    api = await ext.activate();
    assert.equal(typeof api?.registerAnalysis, 'function', 'activate() returns { registerAnalysis, panels, ... }');
    registration = api.registerAnalysis(provider);
    // A text editor first, so "beside the active editor" has a meaning.
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument({ content: 'training code', language: 'python' }), vscode.ViewColumn.One);
  });

  after(async function () {
    registration?.dispose();
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('registers the analysis once: a second provider of the same kind is refused', function () {
    assert.ok(api.analyses().some((p) => p.kind === KIND));
    assert.throws(() => api.registerAnalysis({ ...provider }), /already registered/);
  });

  it('opens beside the editor, streams partial points, renders, caches and lists the result with a thumbnail', async function () {
    const state = await stateFor({ batches: 8, delayMs: 40 });
    const recentChanged = new Promise((resolve) => {
      const sub = api.panels.onDidChangeRecent(() => {
        if (api.panels.recent().find((r) => r.state.key === state.key)?.thumbnail) { sub.dispose(); resolve(); }
      });
    });
    const computes = calls.compute;
    await api.panels.open(state);
    const t = await waitFor(() => panelTab(state.title), 'a panel tab with the state title');
    assert.equal(t.group.viewColumn, vscode.ViewColumn.Two, 'beside the text editor in column one');
    // The page said ready while it was running: the handshake happened before any render reached it.
    await waitFor(() => snapshot(state)?.pageReady, 'the panel page to say ready');
    const done = await waitStatus(state, 'done', 60_000);
    assert.equal(calls.compute, computes + 1);
    assert.ok(calls.points >= 8, `partial points streamed (${calls.points})`);
    assert.deepEqual(done.figureIds, ['curve', 'map', 'bars']);
    assert.deepEqual(done.tableIds, ['table']);
    assert.equal(done.fromCache, false);
    // The panel shows the result first and then stores it (a write to a temporary file and a rename).
    await waitFor(() => api.panels.cache.has(state.key), 'the result in the cache');
    await waitFor(() => api.panels.recent()[0]?.state.key === state.key, 'the result first in the recent results');
    await Promise.race([recentChanged, sleep(30_000).then(() => { throw new Error('no thumbnail from the panel page within 30 s'); })]);
    const thumb = api.panels.recent()[0].thumbnail;
    const { share, width, height } = nonBlankShare(root, thumb);
    assert.ok(width > 16 && width <= 128 && height > 8 && height <= 96, `thumbnail size ${width}×${height}`);
    assert.ok(share > 0.02, `the thumbnail (the first figure drawn on a canvas by the page) is not blank: ${(share * 100).toFixed(1)}% of pixels differ`);
  });

  it('opening the same state again reveals the panel, without computing', async function () {
    const state = await stateFor({ batches: 8, delayMs: 40 });
    const computes = calls.compute;
    const tabs = vscode.window.tabGroups.all.flatMap((g) => g.tabs).length;
    await api.panels.open(state);
    assert.equal(calls.compute, computes);
    assert.equal(api.panels.snapshots().filter((s) => s.key === state.key).length, 1, 'one panel for the key');
    // The tab list follows the workbench a moment later: a second tab would show up by then.
    await sleep(1000);
    assert.equal(vscode.window.tabGroups.all.flatMap((g) => g.tabs).length, tabs, 'no second tab');
    assert.equal(snapshot(state).status, 'done');
  });

  it('a closed panel opens again from the cache, without computing', async function () {
    const state = await stateFor({ batches: 8, delayMs: 40 });
    await closePanel(api, state.title);
    const computes = calls.compute;
    await api.panels.open(state);
    const s = await waitStatus(state, 'done');
    assert.equal(s.fromCache, true);
    assert.equal(calls.compute, computes);
    assert.deepEqual(s.figureIds, ['curve', 'map', 'bars']);
    await waitFor(() => snapshot(state)?.pageReady, 'the reopened page to say ready');
  });

  it('the serializer restores a panel from the state its page kept, and the cache', async function () {
    const state = await stateFor({ batches: 8, delayMs: 40 });
    await closePanel(api, state.title);
    const computes = calls.compute;
    // What VS Code does after a reload: a fresh panel of our view type and the page's saved state.
    const panel = vscode.window.createWebviewPanel('linearLens.panel', 'restoring', vscode.ViewColumn.Beside);
    await api.panels.deserializeWebviewPanel(panel, { protocol: 1, panel: JSON.parse(JSON.stringify(state)) });
    const s = await waitStatus(state, 'done');
    assert.equal(s.fromCache, true);
    assert.equal(calls.compute, computes);
    assert.equal(panel.title, state.title);
    await waitFor(() => snapshot(state)?.pageReady, 'the restored page to say ready');

    // Saved state this version does not understand: the empty panel is closed, nothing breaks.
    const bad = vscode.window.createWebviewPanel('linearLens.panel', 'damaged', vscode.ViewColumn.Beside);
    let disposed = false;
    bad.onDidDispose(() => { disposed = true; });
    await api.panels.deserializeWebviewPanel(bad, { protocol: 1, panel: { kind: KIND, key: '../../etc' } });
    assert.equal(disposed, true);
  });

  it('a failed computation shows its error with Retry; Retry computes it', async function () {
    const state = await stateFor({ batches: 3, delayMs: 10 });
    failNext = true;
    await api.panels.open(state);
    const failed = await waitStatus(state, 'error');
    assert.equal(failed.error, 'The planned failure of this test.', 'a user error shows its own message, no stack');
    assert.equal(await api.panels.cache.has(state.key), false, 'failures are not cached');
    assert.equal(await api.panels.retry(state.key), true);
    const s = await waitStatus(state, 'done', 60_000);
    assert.equal(s.error, undefined);
    await waitFor(() => api.panels.cache.has(state.key), 'the result in the cache');
    await closePanel(api, state.title);
  });

  it('when the compute host dies mid-job the panel says so and Retry computes again', async function () {
    const state = await stateFor({ batches: 400, delayMs: 50 });
    const host = api.panels.services.host;
    await api.panels.open(state);
    await waitFor(() => host.jobs().some((j) => j.title === state.title), 'the job to run');
    const points = calls.points;
    await waitFor(() => calls.points > points, 'a partial point from the running job');
    const pid = (await host.info()).pid;
    process.kill(pid, 'SIGKILL');
    const failed = await waitStatus(state, 'error', 30_000);
    assert.equal(failed.error, 'The compute host stopped while computing; it has been restarted.');
    await waitFor(() => host.state().status === 'running' || host.state().status === 'restarting', 'the host to restart');
    // A short run now, so the retry ends soon: the same panel, other parameters are another key,
    // so the retry is of the same state (400 batches) and is cancelled by closing the panel.
    assert.equal(await api.panels.retry(state.key), true);
    await waitStatus(state, 'running', 30_000);
    await waitFor(() => host.jobs().some((j) => j.title === state.title), 'the retried job to run on the new host');
    assert.notEqual((await host.info()).pid, pid, 'a new host process');
    await closePanel(api, state.title);
    // (How fast a cancel lands is test/host/faults.test.ts's measure; here: that closing cancels at all.)
    await waitFor(() => !host.jobs().some((j) => j.title === state.title), 'closing the panel to cancel its job', 30_000);
  });

  it('cancelling the job (as the side view does) shows "Cancelled." with Retry', async function () {
    const state = await stateFor({ batches: 400, delayMs: 50 });
    const host = api.panels.services.host;
    // A result left from the test before would make this a cache hit.
    await api.panels.cache.delete(state.key);
    await api.panels.open(state);
    const job = await waitFor(() => host.jobs().find((j) => j.title === state.title), 'the job to run');
    await vscode.commands.executeCommand('linearLens.cancelJob', job.id);
    const s = await waitStatus(state, 'error', 20_000);
    assert.equal(s.error, 'Cancelled.');
    await closePanel(api, state.title);
  });

  it('linearLens.openResult reopens a recent result by its key', async function () {
    const recent = api.panels.recent()[0];
    assert.ok(recent);
    await closePanel(api, recent.state.title).catch(() => undefined);
    const computes = calls.compute;
    await vscode.commands.executeCommand('linearLens.openResult', recent.state.key);
    const s = await waitStatus(recent.state, 'done');
    assert.equal(s.fromCache, true);
    assert.equal(calls.compute, computes);
  });

  it('a panel whose analysis is not registered says so, and loads once it is', async function () {
    const state = await stateFor({ batches: 3, delayMs: 10 });
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    registration.dispose();
    await api.panels.open(state);
    const s = await waitStatus(state, 'error');
    assert.match(s.error, /needs the analysis 'e2e-self-test'/);
    registration = api.registerAnalysis(provider);
    await waitStatus(state, 'done', 60_000);
  });
});
