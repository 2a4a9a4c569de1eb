// An untrusted workspace (a code-server with workspace trust on: the folder opens in Restricted
// Mode) whose settings name executables: Linear Lens ignores linearLens.nodePath and
// linearLens.tfjsNodePath from it, says so once (a message and a log line) and runs the host with
// VS Code's own Node; once the user trusts the folder the settings apply and the host restarts
// with them (here a Node that does not exist: stopped, with the reason and "Restart Compute Host").
import assert from 'node:assert/strict';
import { openWorkbench, waitFor } from '../harness.mjs';
import { CHANNEL, clearNotifications, hostLog, waitForNotification, waitForStatus } from './host-helpers.mjs';

const BAD_NODE = '/nonexistent/evil-node';

describe('Linear Lens in an untrusted workspace (UI)', function () {
  this.timeout(240_000);
  let wb;

  before(async function () {
    wb = await openWorkbench({
      workspaceTrust: true,
      settings: { 'linearLens.nodePath': BAD_NODE, 'linearLens.tfjsNodePath': './not-a-tfjs-install' },
    });
  });

  after(async function () {
    await wb?.close();
  });

  it('ignores the workspace\'s nodePath and tfjsNodePath, says so, and runs the host with VS Code\'s Node', async function () {
    await wb.runCommand('Linear Lens: Show Compute Host Info', { timeout: 60_000 });
    const notice = await waitForNotification(wb, /This workspace is not trusted, so Linear Lens ignores linearLens\.nodePath and linearLens\.tfjsNodePath/, 60_000);
    await waitForNotification(wb, /Linear Lens computes on wasm/, 90_000);
    await wb.screenshot('untrusted-notice');
    assert.match(await notice.innerText(), /Manage Workspace Trust/);
    const log = hostLog(wb);
    assert.match(log, /\[warning\] This workspace is not trusted, so Linear Lens ignores linearLens\.nodePath and linearLens\.tfjsNodePath from its settings/);
    assert.match(log, /starting the compute host \(pid \d+; backend auto; VS Code's Node v[\d.]+\)/);
    assert.doesNotMatch(log, /evil-node|not-a-tfjs-install/);
  });

  it('once the folder is trusted, its settings apply and the host restarts with them', async function () {
    await clearNotifications(wb);
    await wb.runCommand('Workspaces: Manage Workspace Trust');
    const trust = wb.page.locator('.workspace-trust-editor').getByRole('button', { name: /^Trust( Folder)?$/ }).first();
    await trust.waitFor({ state: 'visible', timeout: 30_000 });
    await wb.screenshot('untrusted-trust-editor');
    await trust.click();
    await wb.waitForOutput(CHANNEL, /the workspace is now trusted/);
    const n = await waitForNotification(wb, new RegExp(`linearLens\\.nodePath: ${BAD_NODE} does not exist`), 60_000);
    assert.match(await n.innerText(), /Restart Compute Host/);
    await waitForStatus(wb, /Linear Lens: host stopped/);
    await wb.screenshot('trusted-settings-apply');
    await waitFor(() => /(the workspace became trusted|the compute host settings changed): restarting the compute host/.test(hostLog(wb)), { what: 'the restart logged' });
  });
});
