// "Linear Lens: Enable GPU Backend" on a machine that cannot get libtensorflow: the real npm
// install of @tensorflow/tfjs-node-gpu into the extension's storage fails (its install script
// cannot download libtensorflow; or, offline, npm cannot reach the registry) and the message says
// which; then "Use an Existing Install…" with a folder lacking the package is refused, clearly;
// last, a folder with the package but without its native part (what a failed install script
// leaves) is taken: the setting is written, the host restarts with it and the message relays
// what the host says.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openWorkbench, waitFor } from '../harness.mjs';
import { CHANNEL, clearNotifications, clickNotificationButton, hostLog, waitForNotification, waitForStatus } from './host-helpers.mjs';

// A tfjs-node-gpu whose install script never fetched libtensorflow: the binding is missing.
const BROKEN_INSTALL = {
  'broken-tfjs/node_modules/@tensorflow/tfjs-node-gpu/package.json': JSON.stringify({ name: '@tensorflow/tfjs-node-gpu', version: '4.22.0', main: 'index.js' }),
  'broken-tfjs/node_modules/@tensorflow/tfjs-node-gpu/index.js': "module.exports = require('./lib/napi-v8/tfjs_binding.node');\n",
};

/** Removes linearLens.tfjsNodePath from the server's user (and machine) settings: later windows share them. */
function forgetTfjsNodePath(server) {
  for (const f of [join(server.stateDir, 'data', 'User', 'settings.json'), join(server.stateDir, 'data', 'Machine', 'settings.json')]) {
    if (!existsSync(f)) continue;
    const settings = JSON.parse(readFileSync(f, 'utf8'));
    if (!('linearLens.tfjsNodePath' in settings)) continue;
    delete settings['linearLens.tfjsNodePath'];
    writeFileSync(f, JSON.stringify(settings, null, 2));
  }
}

describe('Linear Lens: Enable GPU Backend (UI)', function () {
  this.timeout(420_000);
  let wb;

  before(async function () {
    wb = await openWorkbench({ files: { 'not-tfjs/README.txt': 'no TensorFlow.js for Node here\n', ...BROKEN_INSTALL } });
  });

  after(async function () {
    if (wb) forgetTfjsNodePath(wb.server);
    await wb?.close();
  });

  /** Picks `dir` in VS Code's own folder dialog (the simple one: a path in the quick input). */
  async function chooseFolder(dir) {
    const input = wb.page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible', timeout: 30_000 });
    // The dialog fills in its starting folder a moment after it shows: type once that is done,
    // and again until the value sticks.
    await waitFor(async () => (await input.inputValue()).startsWith('/'), { what: 'the folder dialog to show its starting folder' });
    await waitFor(async () => {
      await input.fill(`${dir}/`);
      await wb.page.waitForTimeout(400);
      return (await input.inputValue()) === `${dir}/`;
    }, { what: `the folder dialog to take ${dir}/` });
    await wb.page.locator('.quick-input-widget').getByRole('button', { name: 'Use This Folder' }).click();
  }

  it('installing @tensorflow/tfjs-node-gpu fails with a message that says why', async function () {
    await wb.runCommand('Linear Lens: Enable GPU Backend');
    const install = wb.page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: 'Install @tensorflow/tfjs-node-gpu' }).first();
    await install.waitFor({ timeout: 30_000 });
    await wb.screenshot('gpu-choices');
    await install.click();
    await waitForNotification(wb, /installing @tensorflow\/tfjs-node-gpu/, 30_000);
    await wb.screenshot('gpu-installing');
    // npm fetches the package, then its install script tries to download libtensorflow.
    const n = await waitForNotification(wb, /Installing @tensorflow\/tfjs-node-gpu failed: /, 300_000);
    const text = await n.innerText();
    await wb.screenshot('gpu-install-failed');
    assert.match(text, /could not get libtensorflow|could not reach the package registry/, text);
    assert.match(text, /npm exited with code \d+/);
    assert.match(hostLog(wb), /npm: /, 'npm\'s output is in the log');
    assert.match(hostLog(wb), /Enable GPU Backend: installing @tensorflow\/tfjs-node-gpu failed after [\d.]+ s: /);

    // The same message offers a folder with an existing install; this one has none.
    await clickNotificationButton(n, 'Use an Existing Install…');
    await chooseFolder(`${wb.folder}/not-tfjs`);
    const refused = await waitForNotification(wb, /holds no @tensorflow\/tfjs-node-gpu or @tensorflow\/tfjs-node/, 30_000);
    assert.match(await refused.innerText(), /The settings were not changed/);
    await wb.screenshot('gpu-folder-refused');
  });

  it('Show Compute Host Info still reports the bundled backend and why the GPU one is not used', async function () {
    await clearNotifications(wb);
    await wb.runCommand('Linear Lens: Show Compute Host Info');
    const n = await waitForNotification(wb, /Linear Lens computes on wasm/, 90_000);
    assert.match(await n.innerText(), /GPU backend not used: not installed/);
    await waitFor(() => /backend auto;/.test(hostLog(wb)), { what: 'the host started without a tfjs-node folder' });
    assert.doesNotMatch(hostLog(wb), /tfjs-node from /);
  });

  it('an existing install without its native part: the host restarts with it and says why it is not used', async function () {
    await clearNotifications(wb);
    await wb.runCommand('Linear Lens: Enable GPU Backend');
    const existing = wb.page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: 'Use an Existing Install…' }).first();
    await existing.waitFor({ timeout: 30_000 });
    await existing.click();
    const dir = `${wb.folder}/broken-tfjs`;
    await chooseFolder(dir);
    const n = await waitForNotification(wb, /The compute host still runs on wasm \(CPU.*\): the GPU backend from .*broken-tfjs did not load: /, 90_000);
    const text = await n.innerText();
    assert.match(text, /@tensorflow\/tfjs-node-gpu failed to load: Cannot find module '\.\/lib\/napi-v8\/tfjs_binding\.node'/);
    assert.match(text, /its native part \(lib\/napi-v\*\/tfjs_binding\.node\) is missing/);
    await wb.screenshot('gpu-existing-broken');
    const log = await wb.waitForOutput(CHANNEL, new RegExp(`tfjs-node from ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    assert.match(log, /Enable GPU Backend: .*broken-tfjs holds @tensorflow\/tfjs-node-gpu 4\.22\.0/);
    await waitForStatus(wb, /Linear Lens: wasm \(CPU\)/);
  });
});
