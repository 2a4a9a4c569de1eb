// Helpers of the UI tests that look into Linear Lens webviews: find a page's frame, an editor tab,
// what a figure's canvases hold, and the host's pid from the log. Not a test file (no .test.mjs
// suffix).
import { waitFor } from '../harness.mjs';

/** The visible webview whose page is `page` (body[data-page]), and whose heading is `heading` when given. */
export async function pageFrame(wb, page, { timeout = 60_000, heading } = {}) {
  return waitFor(async () => {
    const n = await wb.page.locator('iframe.webview.ready').filter({ visible: true }).count();
    for (let i = 0; i < n; i++) {
      const f = wb.webviewFrame({ nth: i });
      if (!(await f.locator(`body[data-page="${page}"]`).count().catch(() => 0))) continue;
      if (heading === undefined || (await f.locator('h1').first().innerText({ timeout: 1000 }).catch(() => '')) === heading) return f;
    }
    return null;
  }, { timeout, what: `the ${page} webview${heading ? ` "${heading}"` : ''}` });
}

/** The editor tab whose label is exactly `label`. */
export function tab(wb, label) {
  return wb.page.locator('.tab').filter({ has: wb.page.locator('.label-name', { hasText: new RegExp(`^${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) }) });
}

/** For each canvas of a figure: its size and how many distinct colours it holds (1: blank). */
export async function canvasColours(frame, figureId) {
  return frame.locator(`figure[data-figure-id="${figureId}"] canvas`).evaluateAll((canvases) => canvases.map((c) => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    const colours = new Set();
    for (let i = 0; i < d.length; i += 16) colours.add((d[i] << 24) | (d[i + 1] << 16) | (d[i + 2] << 8) | d[i + 3]);
    return { w: c.width, h: c.height, colours: colours.size };
  }));
}

/** The pid of the compute host the "Linear Lens" log last reported as started. */
export async function hostPid(wb) {
  const text = await wb.waitForOutput('Linear Lens', /started \(pid \d+\)/i, { timeout: 90_000 });
  return [...text.matchAll(/started \(pid (\d+)\)/gi)].map((m) => Number(m[1])).at(-1);
}

/**
 * Clicks the editor tab `label` until its panel page (with `heading`) shows. After a window reload
 * the first click can land while the workbench is still restoring its editors and leave another
 * tab active, so a single click is not enough.
 */
export async function revealPanel(wb, label, heading, { timeout = 90_000 } = {}) {
  const until = Date.now() + timeout;
  for (;;) {
    await tab(wb, label).click({ timeout: Math.max(1000, until - Date.now()) });
    try {
      return await pageFrame(wb, 'panel', { heading, timeout: Math.min(10_000, Math.max(1000, until - Date.now())) });
    } catch (e) {
      if (Date.now() >= until) throw e;
    }
  }
}
