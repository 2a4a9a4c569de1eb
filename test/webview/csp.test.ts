// The panel code under the webview's strict Content Security Policy: styles and scripts by nonce
// only, no eval, nothing remote. uPlot's stylesheet and @vscode-elements' shadow styles must work
// with it, and nothing may trigger a violation.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { get } from 'node:http';
import type { Page } from 'playwright-core';
import type { GalleryApi } from '../../webview/gallery';
import { browserSkipReason, CSP, startHarness, TIMEOUT, type GalleryPage, type Harness } from './helpers/harness';

declare const window: Window & { gallery: GalleryApi; inlineRan?: boolean };

const skip = browserSkipReason();

const frames = (page: Page): Promise<void> =>
  page.evaluate(() => new Promise<void>((r) => requestAnimationFrame(() => requestAnimationFrame(() => r()))));

describe('strict CSP', { skip: skip ?? false, timeout: 120_000 }, () => {
  let h: Harness;

  before(async () => {
    h = await startHarness();
  }, { timeout: 90_000 });

  after(async () => {
    await h?.close();
  });

  test('every response carries the panel CSP', async () => {
    const header = await new Promise<string | undefined>((resolve, reject) => {
      const req = get(h.served.url + 'index.html', (res) => {
        res.resume();
        resolve(res.headers['content-security-policy'] as string | undefined);
      });
      req.setTimeout(TIMEOUT, () => req.destroy(new Error('timeout')));
      req.on('error', reject);
    });
    assert.equal(header, CSP);
  });

  test('the policy is enforced: a page that breaks it reports violations', async () => {
    const probe = await h.open({ path: 'csp-probe.html' });
    try {
      await frames(probe.page);
      const v = await probe.violations();
      assert.ok(v.some((s) => s.startsWith('script-src')), `inline script reported: ${v.join(' | ')}`);
      assert.ok(v.some((s) => s.startsWith('style-src')), `inline style attribute reported: ${v.join(' | ')}`);
      assert.equal(await probe.page.evaluate(() => window.inlineRan), undefined, 'the inline script did not run');
    } finally {
      await probe.context.close();
    }
  });

  test('the gallery runs every component without a single violation', async () => {
    const g: GalleryPage = await h.open();
    const page = g.page;
    try {
      await frames(page);
      // Exercise what creates DOM, styles or blobs at run time: hover, data tables, exports
      // (Blob URL downloads), streaming, theme switch, error banner with a button, progress ring.
      const canvas = page.locator('[data-figure-id="weights"] canvas');
      await canvas.scrollIntoViewIfNeeded();
      const box = (await canvas.boundingBox())!;
      await page.mouse.move(box.x + box.width / 3, box.y + box.height / 3);
      await page.mouse.click(box.x + box.width / 3, box.y + box.height / 3);
      await page.locator('[data-figure-id="lmc"] details.ll-data summary').click();
      for (const [id, format] of [['weights', 'png'], ['lmc', 'svg'], ['logits', 'csv'], ['rows', 'json']] as const) {
        await Promise.all([
          page.waitForEvent('download', { timeout: TIMEOUT }),
          page.locator(`[data-figure-id="${id}"] vscode-button[data-export="${format}"]`).click(),
        ]);
      }
      await page.evaluate(() => {
        window.postMessage({ type: 'partial', figureId: 'lmc', seriesId: 'repair', point: { x: 0.6, y: 0.33 } }, '*');
        window.postMessage({ type: 'progress', fraction: 0.5, message: 'Interpolating' }, '*');
        window.gallery.setTheme('light');
      });
      await frames(page);
      await page.locator('.ll-busy vscode-progress-ring').waitFor({ state: 'visible', timeout: TIMEOUT });
      await page.evaluate(() => window.postMessage({ type: 'error', message: 'host crashed', retry: true }, '*'));
      await page.locator('.ll-error vscode-button').waitFor({ state: 'visible', timeout: TIMEOUT });
      await frames(page);

      assert.deepEqual(await g.violations(), []);
      assert.deepEqual(g.errors, []);
    } finally {
      await g.context.close();
    }
  });

  test('styles arrive by nonce: uPlot, the panel css and the components\' shadow styles', async () => {
    const g = await h.open();
    try {
      const styles = await g.page.evaluate(async () => {
        const over = document.querySelector('.u-over');
        const button = document.querySelector('vscode-button');
        const inner = button?.shadowRoot?.querySelector('[part="base"]') ?? null;
        const ring = document.createElement('vscode-progress-ring');
        document.body.append(ring);
        // Lit renders on the next microtask.
        await new Promise((r) => requestAnimationFrame(r));
        return {
          uplotOver: over ? getComputedStyle(over).position : null,
          uplotLegend: getComputedStyle(document.querySelector('.u-legend')!).textAlign,
          figureRadius: getComputedStyle(document.querySelector('.ll-figure')!).borderTopLeftRadius,
          buttonSheets: button?.shadowRoot?.adoptedStyleSheets.length ?? 0,
          buttonStyleTags: button?.shadowRoot?.querySelectorAll('style').length ?? 0,
          buttonBackground: inner ? getComputedStyle(button!).backgroundColor + '|' + getComputedStyle(inner).backgroundColor : null,
          ringRendered: Boolean(ring.shadowRoot?.querySelector('svg')),
        };
      });
      assert.equal(styles.uplotOver, 'absolute', 'uPlot.min.css (bundled beside the script) applies');
      assert.equal(styles.uplotLegend, 'center');
      assert.equal(styles.figureRadius, '4px', 'media/webview.css applies');
      assert.ok(styles.buttonSheets > 0, 'Lit styles come as constructed stylesheets, which CSP does not block');
      assert.equal(styles.buttonStyleTags, 0, 'no <style> tags that would need a nonce');
      assert.match(styles.buttonBackground ?? '', /rgb\(49, 49, 49\)/, 'the secondary button colour from --vscode-button-secondaryBackground');
      assert.ok(styles.ringRendered);
      assert.deepEqual(await g.violations(), []);
    } finally {
      await g.context.close();
    }
  });
});
