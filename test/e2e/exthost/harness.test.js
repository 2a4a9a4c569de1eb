// @e2e-extension test/e2e/fixtures/probe-ext
// The harness's own self-test inside the extension host: if this fails, the harness (or
// code-server) is broken, not Linear Lens.
const assert = require('node:assert/strict');
const vscode = require('vscode');

describe('harness self-test (extension host)', () => {
  it('runs inside VS Code with the probe extension loaded', async () => {
    const ext = vscode.extensions.getExtension('linear-lens-e2e.linear-lens-e2e-probe');
    assert.ok(ext, 'probe extension is not loaded as the extension under development');
    await ext.activate();
    assert.equal(ext.isActive, true);
  });

  it('registers the probe command', async () => {
    const commands = await vscode.commands.getCommands(true);
    assert.ok(commands.includes('linearLensProbe.showPanel'), 'linearLensProbe.showPanel is not registered');
  });

  it('can execute the probe command', async () => {
    assert.equal(await vscode.commands.executeCommand('linearLensProbe.showPanel'), 'shown');
  });
});
