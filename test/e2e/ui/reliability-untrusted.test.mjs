// Analyses run in an untrusted workspace (Restricted Mode): they only read model and data files.
// The folder's settings name executables (linearLens.nodePath, linearLens.tfjsNodePath); they are
// ignored, the user is told, and the model overview still reads the model on a compute host run
// by VS Code's own Node. host-untrusted.test.mjs covers the notice and trusting the folder.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, openWorkbench } from '../harness.mjs';
import { hostLog, waitForNotification } from './host-helpers.mjs';

const BAD_NODE = '/nonexistent/evil-node';
const ONNX = 'models/cnn-seed1-onnx/model.onnx';

describe('Linear Lens analyses in an untrusted workspace (UI)', function () {
  this.timeout(240_000);
  let wb;
  let folder;

  before(async function () {
    folder = mkdtempSync(join(tmpdir(), 'll-e2e-untrusted-'));
    cpSync(join(ROOT, 'examples'), folder, { recursive: true });
    wb = await openWorkbench({
      folder,
      workspaceTrust: true,
      settings: { 'linearLens.nodePath': BAD_NODE, 'linearLens.tfjsNodePath': './not-a-tfjs-install' },
    });
  });

  after(async function () {
    await wb?.close();
    if (folder) rmSync(folder, { recursive: true, force: true });
  });

  it('the model overview reads the model on a host started with VS Code\'s Node; the settings are ignored and the user is told', async function () {
    await wb.openFile(ONNX);
    const frame = wb.webviewFrame();
    await frame.locator('[data-section="layers"]').waitFor({ timeout: 120_000 });
    const rows = await frame.locator('[data-section="layers"] tbody tr').count();
    assert.ok(rows >= 5, `the example CNN's layers are listed (${rows})`);
    await waitForNotification(wb, /This workspace is not trusted, so Linear Lens ignores linearLens\.nodePath and linearLens\.tfjsNodePath/, 60_000);
    await wb.screenshot('untrusted-overview');
    const log = hostLog(wb);
    assert.match(log, /starting the compute host \(pid \d+; backend auto; VS Code's Node v[\d.]+\)/);
    assert.match(log, /job \S+ finished in [\d.]+ s: Reading model\.onnx/);
    assert.doesNotMatch(log, /evil-node|not-a-tfjs-install/);
  });
});
