// The model overview (a read-only custom editor) in a real VS Code, on a temp copy of examples/:
// an .onnx file from the explorer (the default editor), a model.json through "Open Model
// Overview", a broken file, a window reload, and a compute host killed while the overview loads.
// Expected values come from `linear-lens info --json` on the same files.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, openWorkbench, waitFor } from '../harness.mjs';
import { hostPid } from './webviews.mjs';

const ONNX = 'models/cnn-seed1-onnx/model.onnx';
const TFJS = 'models/mlp-seed1/model.json';
const BROKEN = 'broken/broken.onnx';
const TINY = 'tiny/concat.onnx';

const count = (n) => n.toLocaleString('en-US');
const shape = (s) => `[${s.map((d) => (d === null ? '?' : String(d))).join(', ')}]`;

/** What `linear-lens info --json` says about a file. */
function info(file) {
  return JSON.parse(execFileSync(process.execPath, [join(ROOT, 'dist', 'cli.js'), 'info', '--json', file], { encoding: 'utf8' }));
}

/** A temp workspace: a copy of examples/, a file that is no model, and a tiny ONNX fixture. */
function exampleWorkspace() {
  const dir = mkdtempSync(join(tmpdir(), 'll-e2e-examples-'));
  cpSync(join(ROOT, 'examples'), dir, { recursive: true });
  mkdirSync(join(dir, 'broken'));
  writeFileSync(join(dir, BROKEN), 'this is not a model file\n');
  mkdirSync(join(dir, 'tiny'));
  copyFileSync(join(ROOT, 'test', 'fixtures', 'onnx', 'concat.onnx'), join(dir, TINY));
  return dir;
}

/** The rows of the overview's layer table as [name, type, ops, shape, params]. */
async function layerRows(frame) {
  return frame.locator('[data-section="layers"] tbody tr').evaluateAll((rows) => rows.map((r) => [...r.children].map((c) => c.textContent.trim())));
}

/** The text of the overview's fact list as { Format: ..., Producer: ... }. */
async function facts(frame) {
  return frame.locator('.ov-facts').evaluate((dl) => {
    const out = {};
    const terms = dl.querySelectorAll('dt');
    for (const dt of terms) out[dt.textContent.trim()] = dt.nextElementSibling.querySelector('span')?.textContent.trim() ?? dt.nextElementSibling.textContent.trim();
    return out;
  });
}

/** Checks the overview against `linear-lens info --json` of the same file. */
async function assertOverviewMatches(frame, file, summary) {
  await frame.locator('[data-section="layers"]').waitFor({ timeout: 60_000 });
  assert.equal(await frame.locator('h1').innerText(), file.split('/').pop());
  const f = await facts(frame);
  assert.equal(f.Parameters, count(summary.paramCount) + (summary.graphParamCount !== summary.paramCount ? ` (${count(summary.graphParamCount)} used by the graph)` : ''));
  assert.equal(f.Producer, summary.producer.name + (summary.producer.version && !summary.producer.name.includes(summary.producer.version) ? ` ${summary.producer.version}` : ''));
  const rows = await layerRows(frame);
  assert.deepEqual(rows, summary.layers.map((l) => [l.name, l.type, l.ops.join(', '), shape([null, ...l.outputShape]), count(l.params)]));
  const ports = await frame.locator('[data-section="ports"] tbody tr').evaluateAll((rs) => rs.map((r) => [...r.children].map((c) => c.textContent.trim())));
  assert.deepEqual(ports, [
    ...summary.inputs.map((p) => [p.name, 'input', shape(p.shape), p.layout]),
    ...summary.outputs.map((p) => [p.name, 'output', shape(p.shape), p.layout]),
  ]);
}

/** The explorer row of a file or folder, by its name. */
function explorerRow(wb, name) {
  return wb.page.locator('.explorer-folders-view .monaco-list-row').filter({ has: wb.page.locator('.label-name', { hasText: new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) }) }).first();
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('Linear Lens model overview (UI)', function () {
  this.timeout(240_000);
  let wb;
  let folder;
  const expected = {};

  before(async function () {
    assert.ok(existsSync(join(ROOT, 'dist', 'extension.js')) && existsSync(join(ROOT, 'dist', 'webview', 'overview.js')), 'run `npm run build` before the e2e tests');
    folder = exampleWorkspace();
    expected.onnx = info(join(folder, ONNX));
    expected.tfjs = info(join(folder, TFJS));
    expected.tiny = info(join(folder, TINY));
    wb = await openWorkbench({ folder });
  });

  after(async function () {
    await wb?.close();
    if (folder) rmSync(folder, { recursive: true, force: true });
  });

  it('opens an .onnx file from the explorer in the overview, its default editor, with the real layer table', async function () {
    for (const dir of ['models', 'cnn-seed1-onnx']) await explorerRow(wb, dir).click();
    await explorerRow(wb, 'model.onnx').click();
    const frame = wb.webviewFrame();
    await assertOverviewMatches(frame, ONNX, expected.onnx);
    const f = await facts(frame);
    assert.equal(f.Format, 'ONNX');
    assert.equal(f.Parameters, '20,490');
    assert.match(await frame.locator('.ov-note').innerText(), /channels-last \(NHWC\)/);
    // The shipped analyses each have a button.
    assert.equal(await frame.locator('[data-section="analyses"]').count(), 1);
    const buttons = await frame.locator('[data-section="analyses"] vscode-button').allInnerTexts();
    assert.deepEqual(buttons.map((b) => b.trim()), ['Linear interpreter…', 'Mode connectivity…', 'Feature connectivity (LLFC)…', 'Neural anisotropy directions…', 'Directional accuracy map…', 'CNN to eFCN…']);
    assert.equal(await frame.locator('vscode-button[data-action="selectDataset"]').count(), 1);
    await wb.screenshot('overview-onnx');
  });

  it('runs under the strict CSP with VS Code\'s own injected styles and script still working', async function () {
    const frame = wb.webviewFrame();
    const page = await frame.locator('html').evaluate(() => {
      const csp = document.querySelector('meta[http-equiv="Content-Security-Policy"]')?.getAttribute('content') ?? '';
      const defaults = document.getElementById('_defaultStyles');
      return {
        csp,
        // VS Code's default style sheet: present, parsed, and applied (its html rule sets scrollbar-color).
        defaultRules: defaults instanceof HTMLStyleElement ? defaults.sheet?.cssRules.length ?? 0 : -1,
        scrollbarColor: getComputedStyle(document.documentElement).scrollbarColor,
        linkColorVar: getComputedStyle(document.documentElement).getPropertyValue('--vscode-textLink-foreground').trim(),
        themeClass: [...document.body.classList].find((c) => c.startsWith('vscode-')) ?? '',
        vscodeApi: typeof acquireVsCodeApi,
        scripts: [...document.scripts].map((s) => ({ id: s.id, nonce: s.nonce, src: s.getAttribute('src') ?? '' })),
        // Our stylesheet applied too: the layer table's numeric column is right-aligned.
        numAlign: getComputedStyle(document.querySelector('[data-section="layers"] td.ll-num')).textAlign,
        buttonShadow: Boolean(document.querySelector('vscode-button')?.shadowRoot?.adoptedStyleSheets.length),
      };
    });
    // The webview's own resource origin (webview.cspSource) is the only source besides the nonce.
    const m = /^default-src 'none'; img-src (.+) data: blob:; style-src (.+) 'nonce-([A-Za-z0-9+/=]+)'; script-src 'nonce-([A-Za-z0-9+/=]+)'; font-src (.+) data:$/.exec(page.csp);
    assert.ok(m, `the strict policy: ${page.csp}`);
    assert.ok(m[1] === m[2] && m[2] === m[5], `one resource origin throughout: ${page.csp}`);
    assert.equal(m[3], m[4], 'one nonce for styles and scripts');
    assert.ok(m[3].length >= 16, 'a nonce of 128 bits');
    assert.ok(!/unsafe-|\*(;|$)|\bhttp:/.test(page.csp), `nothing unsafe or remote: ${page.csp}`);
    assert.ok(page.defaultRules > 0, 'VS Code\'s injected default styles are parsed');
    assert.notEqual(page.scrollbarColor, 'auto', 'and applied (html scrollbar-color)');
    assert.ok(page.linkColorVar, '--vscode-* variables are set on the page');
    assert.match(page.themeClass, /^vscode-(light|dark|high-contrast)/);
    assert.equal(page.vscodeApi, 'function', 'VS Code\'s injected acquireVsCodeApi script ran');
    const ours = page.scripts.filter((s) => s.id !== '_vscodeApiScript');
    assert.ok(ours.length >= 1 && ours.every((s) => s.nonce), `our scripts carry the nonce: ${JSON.stringify(ours)}`);
    assert.equal(page.numAlign, 'right', 'our nonce stylesheet applies');
    assert.ok(page.buttonShadow, '@vscode-elements styles (constructed stylesheets) apply');
    const violations = wb.consoleLines.filter((l) => /Content Security Policy|Refused to (load|apply|execute)/i.test(l));
    assert.deepEqual(violations, [], 'no CSP violation in the console');
  });

  it('opens a model.json in the overview through "Linear Lens: Open Model Overview"', async function () {
    await wb.openFile(TFJS);
    // model.json opens as text by default (the overview is an option for JSON files).
    await wb.page.locator('.monaco-editor .view-lines').first().waitFor();
    await wb.runCommand('Linear Lens: Open Model Overview');
    const frame = wb.webviewFrame();
    await assertOverviewMatches(frame, TFJS, expected.tfjs);
    assert.equal((await facts(frame)).Format, 'TensorFlow.js layers model');
    await wb.screenshot('overview-model-json');
  });

  it('"Select Dataset…" picks the data the analyses will read, and the overview shows it', async function () {
    const frame = wb.webviewFrame();
    assert.equal((await facts(frame)).Dataset, 'none selected');
    await frame.locator('vscode-button[data-action="selectDataset"]').click();
    const row = wb.page.locator('.quick-input-list .monaco-list-row', { hasText: 't10k-images-idx3-ubyte.gz' }).first();
    await row.waitFor({ timeout: 60_000 });
    await row.click();
    await waitFor(async () => (await facts(frame)).Dataset.startsWith('data/fashion-mnist/t10k-images-idx3-ubyte.gz'), { what: 'the chosen dataset in the overview' });
    assert.match((await facts(frame)).Dataset, /^data\/fashion-mnist\/t10k-images-idx3-ubyte\.gz \(at most [\d,]+ samples\)$/);
  });

  it('shows a clear error, not a stack, for a file that is no model', async function () {
    await wb.openFile(BROKEN);
    const frame = wb.webviewFrame();
    const error = frame.locator('.ov-error');
    await error.waitFor({ timeout: 60_000 });
    const text = await error.innerText();
    assert.match(text, /This model cannot be shown/);
    assert.match(text, /broken\.onnx: is not a model file Linear Lens recognises/);
    assert.ok(!/\bat .+:\d+:\d+|\.ts:\d+|\.js:\d+|Error:/.test(text), `no stack in: ${text}`);
    assert.equal(await frame.locator('.ov-error vscode-button[data-action="retry"]').count(), 1, 'Retry is offered');
    assert.equal(await frame.locator('[data-section="layers"]').count(), 0);
    await wb.screenshot('overview-broken');
  });

  it('reads the file again when it changes on disk', async function () {
    // The broken file becomes a real model: the open overview follows.
    copyFileSync(join(folder, TINY), join(folder, BROKEN));
    const frame = wb.webviewFrame();
    await frame.locator('[data-section="layers"]').waitFor({ timeout: 60_000 });
    assert.deepEqual((await layerRows(frame)).map((r) => r[0]), expected.tiny.layers.map((l) => l.name));
    writeFileSync(join(folder, BROKEN), 'broken again\n');
    await frame.locator('.ov-error').waitFor({ timeout: 60_000 });
  });

  it('comes back after "Developer: Reload Window"', async function () {
    await wb.openFile(ONNX);
    await assertOverviewMatches(wb.webviewFrame(), ONNX, expected.onnx);
    await wb.runCommand('Developer: Reload Window');
    await wb.page.locator('.monaco-workbench').waitFor({ timeout: 90_000 });
    await wb.page.locator('.tab.active', { hasText: 'model.onnx' }).waitFor({ timeout: 90_000 });
    await assertOverviewMatches(wb.webviewFrame(), ONNX, expected.onnx);
    await wb.screenshot('overview-after-reload');
  });

  it('offers Retry when the compute host dies while the overview loads, and Retry shows the model', async function () {
    // The host answers nothing while stopped, so the overview is caught loading; then it dies.
    const pid = await hostPid(wb);
    process.kill(pid, 'SIGSTOP');
    try {
      await wb.openFile(TINY);
      const frame = wb.webviewFrame();
      await frame.getByText('Reading concat.onnx…').waitFor({ timeout: 30_000 });
      await wb.screenshot('overview-loading');
    } finally {
      process.kill(pid, 'SIGKILL');
    }
    await waitFor(() => !alive(pid), { what: `host ${pid} to exit` });
    const frame = wb.webviewFrame();
    const error = frame.locator('.ov-error');
    await error.waitFor({ timeout: 30_000 });
    assert.match(await error.innerText(), /The compute host stopped while reading the model; it has been restarted\./);
    await wb.screenshot('overview-host-died');
    await frame.locator('.ov-error vscode-button[data-action="retry"]').click();
    await frame.locator('[data-section="layers"]').waitFor({ timeout: 90_000 });
    assert.deepEqual((await layerRows(frame)).map((r) => r[0]), expected.tiny.layers.map((l) => l.name));
    const newPid = await waitFor(async () => { const p = await hostPid(wb); return p !== pid && p; }, { timeout: 30_000, what: 'a new host pid in the log' });
    assert.ok(alive(newPid), 'the restarted host runs');
    await wb.screenshot('overview-after-retry');
  });
});
