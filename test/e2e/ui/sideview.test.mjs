// The Linear Lens side view in a real VS Code, on a temp copy of examples/: it lists the
// workspace's model files (a click opens the overview), shows the compute host (status, backend,
// memory) and the jobs it runs.
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { ROOT, openWorkbench, waitFor } from '../harness.mjs';
import { pageFrame, hostPid } from './webviews.mjs';

/** The model files of a folder as the side view should list them: workspace-relative, sorted. */
function modelFiles(dir) {
  const out = [];
  const walk = (d) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(onnx|keras|h5)$/i.test(name) || name === 'model.json') out.push(relative(dir, p).split(sep).join('/'));
    }
  };
  walk(dir);
  return out.sort((a, b) => a.localeCompare(b));
}

describe('Linear Lens side view (UI)', function () {
  this.timeout(240_000);
  let wb;
  let folder;

  before(async function () {
    assert.ok(existsSync(join(ROOT, 'dist', 'webview', 'sideView.js')), 'run `npm run build` before the e2e tests');
    folder = mkdtempSync(join(tmpdir(), 'll-e2e-side-'));
    cpSync(join(ROOT, 'examples'), folder, { recursive: true });
    wb = await openWorkbench({ folder });
  });

  after(async function () {
    await wb?.close();
    if (folder) rmSync(folder, { recursive: true, force: true });
  });

  it('has its own activity bar entry and lists the example model files', async function () {
    await wb.page.locator('.activitybar .action-item a[aria-label^="Linear Lens"], .activitybar .action-label[aria-label^="Linear Lens"]').first().click();
    const frame = await pageFrame(wb, 'sideView');
    const expected = modelFiles(folder);
    assert.ok(expected.length >= 5, `examples/ holds the models: ${expected}`);
    const rows = frame.locator('[data-section="models"] .sv-row');
    await waitFor(async () => (await rows.count()) === expected.length, { what: `${expected.length} model rows` });
    assert.deepEqual(await rows.evaluateAll((rs) => rs.map((r) => r.dataset.path)), expected);
    assert.match(await frame.locator('[data-section="models"] vscode-badge').innerText(), new RegExp(`^${expected.length}$`));
    // The codicon font (font-src) and <vscode-icon> (constructed stylesheets) render.
    const iconFont = await frame.locator('[data-section="models"] vscode-icon').first().evaluate(async (el) => {
      await document.fonts.ready;
      return document.fonts.check('16px codicon');
    });
    assert.equal(iconFont, true, 'the codicon font loaded under the CSP');
    assert.match(await frame.locator('[data-section="recent"]').innerText(), /Results you compute show here/);
    await wb.screenshot('sideview-models');
  });

  it('shows the compute host: started from the view, with backend and memory', async function () {
    const frame = await pageFrame(wb, 'sideView');
    const host = frame.locator('[data-section="host"]');
    await host.locator('.sv-status-text').waitFor();
    // Header actions show on hover, as in VS Code's own views.
    await host.hover();
    await host.locator('vscode-icon[data-action="refreshHost"]').click();
    await waitFor(async () => /Running/.test(await host.innerText()), { timeout: 90_000, what: 'the host to run' });
    const text = await host.innerText();
    assert.match(text, /Backend: (wasm|cpu|tensorflow)/);
    assert.match(text, /Memory: [\d.]+ (MiB|GiB), \d+ tensors/);
    assert.match(text, /Process \d+/);
    assert.match(text, /No crashes/);
    assert.equal(Number(/Process (\d+)/.exec(text)[1]), await hostPid(wb), 'the pid the log names');
    await wb.screenshot('sideview-host');
  });

  it('opens a model\'s overview from its row', async function () {
    const frame = await pageFrame(wb, 'sideView');
    await frame.locator('.sv-row[data-path="models/cnn-seed1-onnx/model.onnx"]').click();
    await wb.page.locator('.tab.active', { hasText: 'model.onnx' }).waitFor();
    const overview = await pageFrame(wb, 'overview');
    await overview.locator('[data-section="layers"]').waitFor({ timeout: 60_000 });
    assert.match(await overview.locator('.ov-params').innerText(), /^20,490$/);
    await wb.screenshot('sideview-open-overview');
  });

  it('lists a running job with its Cancel button while the host works, and drops it when done', async function () {
    const frame = await pageFrame(wb, 'sideView');
    const pid = await hostPid(wb);
    // A stopped host keeps the job running for as long as the test needs to see it.
    process.kill(pid, 'SIGSTOP');
    try {
      await frame.locator('.sv-row[data-path="models/mlp-seed2/model.json"]').click();
      const job = frame.locator('[data-section="jobs"] .sv-job');
      await job.waitFor({ timeout: 30_000 });
      assert.match(await job.innerText(), /Reading model\.json/);
      assert.equal(await job.locator('vscode-button[data-action="cancel"]').count(), 1);
      assert.equal(await job.locator('vscode-progress-bar').count(), 1);
      assert.match(await frame.locator('[data-section="jobs"] vscode-badge').innerText(), /^1$/);
      await wb.screenshot('sideview-job');
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    await frame.locator('[data-section="jobs"] .sv-job').waitFor({ state: 'detached', timeout: 60_000 });
    assert.match(await frame.locator('[data-section="jobs"]').innerText(), /No jobs running/);
  });
});
