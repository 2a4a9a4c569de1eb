// Helpers of the compute host UI tests: the status bar item, the host's pid from the log, the
// "Linear Lens" output channel, notification buttons. Not a test file (no .test.mjs suffix).
import { waitFor } from '../harness.mjs';

export const CHANNEL = 'Linear Lens';

/** The Linear Lens status bar item. */
export function statusItem(wb) {
  return wb.page.locator('#workbench\\.parts\\.statusbar .statusbar-item', { hasText: 'Linear Lens' }).first();
}

/** Waits until the status bar item's text matches `re`; returns the text. */
export async function waitForStatus(wb, re, timeout = 60_000) {
  return waitFor(async () => {
    const t = await statusItem(wb).innerText({ timeout: 1000 }).catch(() => '');
    return re.test(t) ? t : null;
  }, { timeout, what: `status bar item matching ${re}` });
}

/** The log so far ('' when the channel has no file yet). */
export function hostLog(wb) {
  return wb.readOutputChannel(CHANNEL) ?? '';
}

/** Pids of every host start the log reports, oldest first. */
export function startedPids(wb) {
  return [...hostLog(wb).matchAll(/compute host started \(pid (\d+)\)/g)].map((m) => Number(m[1]));
}

/** Waits for a host start logged after `after` starts (a count from startedPids); returns its pid. */
export async function waitForNewHost(wb, after, timeout = 60_000) {
  return waitFor(() => {
    const pids = startedPids(wb);
    return pids.length > after ? pids.at(-1) : null;
  }, { timeout, what: `a compute host start logged after ${after} starts` });
}

export function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A visible notification whose text matches `re`. */
export async function waitForNotification(wb, re, timeout = 60_000) {
  const n = wb.notification(re).first();
  await n.waitFor({ state: 'visible', timeout });
  return n;
}

/** Clicks the button `label` of notification `n`. */
export async function clickNotificationButton(n, label) {
  await n.getByRole('button', { name: label }).first().click();
}

/** Closes every notification toast, so the next one a test waits for is not an old one. */
export async function clearNotifications(wb) {
  await wb.dismissQuickInput();
  for (let i = 0; i < 20; i++) {
    const toast = wb.page.locator('.notifications-toasts .notification-list-item').first();
    if (!(await toast.isVisible().catch(() => false))) return;
    await toast.hover().catch(() => {});
    const close = toast.locator('.codicon-notifications-clear, .codicon-close').first();
    if (await close.isVisible().catch(() => false)) await close.click().catch(() => {});
    else await wb.page.keyboard.press('Escape');
    await wb.page.waitForTimeout(150);
  }
}
