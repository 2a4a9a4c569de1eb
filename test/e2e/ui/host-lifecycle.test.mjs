// The compute host's life in a real VS Code, driven from the command palette and from outside:
// host info and the status bar, the log, Restart Compute Host (a new process), a host killed with
// SIGKILL (restarted, logged, the status bar back), five kills within three minutes (stopped, with
// "Restart Compute Host" offered), and a closed window (the host goes with it).
import assert from 'node:assert/strict';
import { openWorkbench, waitFor } from '../harness.mjs';
import {
  alive, clearNotifications, clickNotificationButton, hostLog, startedPids, statusItem, waitForNewHost,
  waitForNotification, waitForStatus, CHANNEL,
} from './host-helpers.mjs';

describe('Linear Lens compute host (UI)', function () {
  this.timeout(300_000);
  let wb;

  before(async function () {
    wb = await openWorkbench();
  });

  after(async function () {
    await wb?.close();
  });

  it('Show Compute Host Info names the backend and the status bar shows it, with details on hover', async function () {
    await wb.runCommand('Linear Lens: Show Compute Host Info', { timeout: 60_000 });
    const n = await waitForNotification(wb, /Linear Lens computes on wasm \(CPU.*\) \(compute host pid \d+\)/, 90_000);
    assert.match(await n.innerText(), /GPU backend not used: not installed/);
    await waitForStatus(wb, /Linear Lens: wasm \(CPU\)/);
    await wb.screenshot('host-status-bar');
    await statusItem(wb).hover();
    const hover = wb.page.locator('.monaco-hover, .workbench-hover').filter({ hasText: 'Linear Lens compute host' }).first();
    await hover.waitFor({ state: 'visible', timeout: 10_000 });
    const text = await hover.innerText();
    assert.match(text, /Backend: wasm \(CPU.*\) \(process \d+\)/);
    assert.match(text, /tensorflow not used: not installed/);
    assert.match(text, /Memory: rss [\d.]+ MiB/);
    await wb.screenshot('host-status-tooltip');
    await wb.page.mouse.move(700, 300);
  });

  it('Show Compute Host Log opens the "Linear Lens" output with the host\'s own lines', async function () {
    await clearNotifications(wb);
    await wb.runCommand('Linear Lens: Show Compute Host Log');
    const pid = startedPids(wb).at(-1);
    assert.ok(pid, `no host start in the log:\n${hostLog(wb)}`);
    // The Output panel shows the channel: its lines are on screen, not only in the file.
    // Monaco renders spaces as no-break spaces.
    await waitFor(async () => (await wb.visibleText()).replace(/\u00a0/g, ' ').includes(`[linear-lens host ${pid}] backend: wasm`), { timeout: 30_000, what: 'the host\'s log lines in the Output panel' });
    const log = hostLog(wb);
    assert.match(log, new RegExp(`\\[linear-lens host ${pid}\\] backend: wasm`));
    assert.match(log, /Compute host \(pid \d+\): wasm/, 'Show Compute Host Info wrote its lines');
    await wb.screenshot('host-log');
    assert.equal(CHANNEL, 'Linear Lens');
  });

  it('Restart Compute Host replaces the process', async function () {
    await clearNotifications(wb);
    const before = startedPids(wb);
    const old = before.at(-1);
    await wb.runCommand('Linear Lens: Restart Compute Host');
    const n = await waitForNotification(wb, /the compute host restarted \(pid \d+ → \d+\)/);
    const [, from, to] = /pid (\d+) → (\d+)/.exec(await n.innerText()).map(Number);
    assert.equal(from, old);
    assert.notEqual(to, old);
    assert.equal(await waitForNewHost(wb, before.length), to);
    await waitFor(() => !alive(old), { timeout: 10_000, what: `the old host ${old} to exit` });
    await waitForStatus(wb, /Linear Lens: wasm \(CPU\)/);
    await wb.screenshot('host-restarted');
  });

  it('a host killed with SIGKILL is restarted, and the status bar comes back', async function () {
    await clearNotifications(wb);
    const starts = startedPids(wb).length;
    const pid = startedPids(wb).at(-1);
    process.kill(pid, 'SIGKILL');
    await wb.waitForOutput(CHANNEL, new RegExp(`the compute host \\(pid ${pid}\\) crashed \\(killed by SIGKILL\\); restarting it \\(restart 1 of at most 4 in 3 minutes\\)`));
    const next = await waitForNewHost(wb, starts);
    assert.notEqual(next, pid);
    assert.ok(alive(next));
    await waitForStatus(wb, /Linear Lens: wasm \(CPU\)/);
    await wb.screenshot('host-restarted-after-kill');
  });

  it('the fifth crash within three minutes stops it and offers "Restart Compute Host"', async function () {
    // One kill happened in the previous test; four more make five within the window.
    for (let i = 2; i <= 5; i++) {
      const starts = startedPids(wb).length;
      const pid = startedPids(wb).at(-1);
      process.kill(pid, 'SIGKILL');
      if (i < 5) {
        await wb.waitForOutput(CHANNEL, new RegExp(`restarting it \\(restart ${i} of at most 4`));
        await waitForNewHost(wb, starts);
      }
    }
    const n = await waitForNotification(wb, /The compute host crashed 5 times in 3 minutes/);
    assert.match(await n.innerText(), /stays stopped until you restart it/);
    await waitForStatus(wb, /Linear Lens: host stopped/);
    await wb.screenshot('host-failed');
    const starts = startedPids(wb).length;
    await clickNotificationButton(n, 'Restart Compute Host');
    const pid = await waitForNewHost(wb, starts);
    assert.ok(alive(pid));
    await waitForStatus(wb, /Linear Lens: wasm \(CPU\)/);
    await waitForNotification(wb, new RegExp(`the compute host restarted \\(pid none → ${pid}\\)`));
    await wb.screenshot('host-restarted-after-failure');
  });

  it('closing the window stops the compute host', async function () {
    const pid = startedPids(wb).at(-1);
    assert.ok(alive(pid));
    await wb.close();
    await waitFor(() => !alive(pid), { timeout: 30_000, what: `the host ${pid} to exit with its window` });
  });
});
