// The figure components in a real headless Chromium: drawing, pixel-exact colours, hover and
// click, streaming curves, theme changes, exports, and the messages a panel sends the extension.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import type { Page } from 'playwright-core';
import { DIVERGING, colorOf, dataLimits, makeScale, type Rgb } from '../../webview/components/colormap';
import { formatValue } from '../../webview/components/ticks';
import { interpreterRows, lossCurves, weightMap } from '../../webview/gallery/data';
import type { GalleryApi } from '../../webview/gallery';
import type { ExportMessage, WebviewToExtensionMessage } from '../../src/protocol/webview';
import { artifactsDir, browserSkipReason, pngSize, startHarness, TIMEOUT, type GalleryPage, type Harness } from './helpers/harness';

declare const window: Window & { gallery: GalleryApi; __sent: WebviewToExtensionMessage[]; __state: unknown };

const FIGURES = ['lmc', 'weights', 'rows', 'inputs', 'barriers', 'logits'];
const skip = browserSkipReason();

interface CanvasStats {
  width: number;
  height: number;
  nonBackground: number;
  corner: number[];
  hash: number;
}

/** Pixel statistics of the (first) canvas of a figure: how much differs from its corner colour. */
function canvasStats(page: Page, figureId: string): Promise<CanvasStats> {
  return page.evaluate((id) => {
    const c = document.querySelector<HTMLCanvasElement>(`[data-figure-id="${id}"] canvas`);
    if (!c) throw new Error(`no canvas in ${id}`);
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let nonBackground = 0;
    let hash = 0;
    for (let i = 0; i < d.length; i += 4) {
      if (d[i] !== d[0] || d[i + 1] !== d[1] || d[i + 2] !== d[2]) nonBackground++;
      hash = (Math.imul(hash, 31) + d[i]! + d[i + 1]! * 7 + d[i + 2]! * 13) >>> 0;
    }
    return { width: c.width, height: c.height, nonBackground, corner: [d[0]!, d[1]!, d[2]!], hash };
  }, figureId);
}

/** RGB of a device pixel of a figure's canvas. */
function pixelAt(page: Page, figureId: string, x: number, y: number): Promise<number[]> {
  return page.evaluate(([id, px, py]) => {
    const c = document.querySelector<HTMLCanvasElement>(`[data-figure-id="${id}"] canvas`)!;
    return [...c.getContext('2d')!.getImageData(px as number, py as number, 1, 1).data.slice(0, 3)];
  }, [figureId, Math.floor(x), Math.floor(y)] as const);
}

/** Viewport position of a point given in CSS px of a figure's canvas. */
async function canvasPoint(page: Page, figureId: string, x: number, y: number): Promise<{ x: number; y: number }> {
  const canvas = page.locator(`[data-figure-id="${figureId}"] canvas`).first();
  // Off-screen points receive no pointer events: bring the point itself into view first.
  await canvas.evaluate((c, [px, py]) => {
    const r = c.getBoundingClientRect();
    window.scrollBy(0, r.top + py! - window.innerHeight / 2);
    void px;
  }, [x, y]);
  const box = await canvas.boundingBox();
  assert.ok(box, 'canvas is laid out');
  return { x: box.x + x, y: box.y + y };
}

const nextFrames = (page: Page): Promise<void> =>
  page.evaluate(() => new Promise<void>((r) => requestAnimationFrame(() => requestAnimationFrame(() => r()))));

async function download(page: Page, figureId: string, format: string): Promise<{ name: string; bytes: Buffer }> {
  const [dl] = await Promise.all([
    page.waitForEvent('download', { timeout: TIMEOUT }),
    page.locator(`[data-figure-id="${figureId}"] vscode-button[data-export="${format}"]`).click(),
  ]);
  // A stream, not path(): the browser runs as a server, whose downloads have no local path.
  const chunks: Buffer[] = [];
  for await (const chunk of await dl.createReadStream()) chunks.push(chunk as Buffer);
  return { name: dl.suggestedFilename(), bytes: Buffer.concat(chunks) };
}

describe('webview components in Chromium', { skip: skip ?? false, timeout: 180_000 }, () => {
  let h: Harness;
  let g: GalleryPage;
  let page: Page;

  before(async () => {
    h = await startHarness();
    g = await h.open();
    page = g.page;
    await nextFrames(page);
  }, { timeout: 90_000 });

  after(async () => {
    await h?.close();
  });

  test('every figure draws something on its canvas', async () => {
    for (const id of FIGURES) {
      const s = await canvasStats(page, id);
      assert.ok(s.width > 100 && s.height > 100, `${id}: canvas is ${s.width} × ${s.height}`);
      const share = s.nonBackground / (s.width * s.height);
      assert.ok(share > 0.02, `${id}: only ${(share * 100).toFixed(2)}% of the canvas is drawn`);
    }
    const frames = await page.locator('figure.ll-figure').count();
    assert.equal(frames, FIGURES.length);
  });

  test('a heat map cell has exactly the colour of its value', async () => {
    const spec = weightMap();
    const scale = makeScale(DIVERGING, spec.values);
    for (const [r, c] of [[0, 0], [3, 5], [9, 15], [6, 2], [4, 11]] as const) {
      const box = await page.evaluate(([rr, cc]) => window.gallery.heatmap('weights').cellBox(rr, cc), [r, c] as const);
      assert.ok(box && box.w >= 4, 'cells are several pixels wide');
      const want = colorOf(scale, spec.values[r * spec.cols + c]!) as Rgb;
      for (const [fx, fy] of [[0.5, 0.5], [0.1, 0.1], [0.9, 0.9]]) {
        const got = await pixelAt(page, 'weights', box.x + box.w * fx, box.y + box.h * fy);
        assert.deepEqual(got, [...want], `cell (${r}, ${c}) at (${fx}, ${fy})`);
      }
    }
  });

  test('heat maps and images stay pixel-exact at device pixel ratio 2', async () => {
    const hi = await h.open({ deviceScaleFactor: 2 });
    try {
      const spec = weightMap();
      const scale = makeScale(DIVERGING, spec.values);
      const res = await hi.page.evaluate(() => {
        const fig = window.gallery.heatmap('weights');
        const box = fig.cellBox(3, 5)!;
        const ctx = fig.canvas.getContext('2d')!;
        // Every device pixel of the cell, and one row just outside it on each side.
        const d = ctx.getImageData(box.x * 2, box.y * 2, box.w * 2, box.h * 2).data;
        const colours = new Set<string>();
        for (let i = 0; i < d.length; i += 4) colours.add(`${d[i]},${d[i + 1]},${d[i + 2]}`);
        const left = ctx.getImageData(box.x * 2 - 1, box.y * 2 + 2, 1, 1).data;
        return { colours: [...colours], left: [...left.slice(0, 3)], canvasWidth: fig.canvas.width, cssWidth: fig.canvas.getBoundingClientRect().width };
      });
      assert.equal(res.canvasWidth, Math.round(res.cssWidth * 2), 'backing store at device resolution');
      assert.deepEqual(res.colours, [(colorOf(scale, spec.values[3 * 16 + 5]!) as Rgb).join(',')]);
      assert.deepEqual(res.left, [...(colorOf(scale, spec.values[3 * 16 + 4]!) as Rgb)], 'the neighbour cell starts on the next device pixel');
    } finally {
      await hi.context.close();
    }
  });

  test('the image grid shares one symmetric colour scale across classes', async () => {
    const spec = interpreterRows();
    const all = spec.images.flatMap((im) => Array.from(im.data));
    const [lo, hi] = dataLimits(all, true);
    const scale = makeScale(DIVERGING, [], [lo, hi]);
    const scales = await page.evaluate(() => {
      const fig = window.gallery.imageGrid('rows');
      return [0, 4, 9].map((i) => [fig.scaleOf(i).min, fig.scaleOf(i).max]);
    });
    for (const s of scales) {
      assert.ok(Math.abs(s[0]! - lo) < 1e-6 && Math.abs(s[1]! - hi) < 1e-6, `shared limits ${s} vs ${lo}, ${hi}`);
    }
    for (const [i, r, c] of [[0, 14, 14], [3, 5, 20], [9, 27, 0]] as const) {
      const box = await page.evaluate(([ii, rr, cc]) => window.gallery.imageGrid('rows').pixelBox(ii, rr, cc), [i, r, c] as const);
      assert.ok(box);
      const got = await pixelAt(page, 'rows', box.x + box.w / 2, box.y + box.h / 2);
      const want = colorOf(scale, spec.images[i]!.data[r * 28 + c]!) as Rgb;
      // The test's float64 sums may differ from the page's in the last bit; allow one table step.
      assert.ok(got.every((v, k) => Math.abs(v - want[k]!) <= 3), `image ${i} (${r}, ${c}): ${got} vs ${want}`);
    }
    const perImage = await page.evaluate(() => {
      const fig = window.gallery.imageGrid('inputs');
      return [1, 2].map((i) => [fig.scaleOf(i).min, fig.scaleOf(i).max]);
    });
    assert.notDeepEqual(perImage[0], perImage[1], 'per-image scales differ');
  });

  test('hovering shows the value under the pointer', async () => {
    const spec = weightMap();
    const box = await page.evaluate(() => window.gallery.heatmap('weights').cellBox(3, 5)!);
    const p = await canvasPoint(page, 'weights', box.x + box.w / 2, box.y + box.h / 2);
    await page.mouse.move(p.x, p.y);
    const readout = page.locator('[data-figure-id="weights"] .ll-readout');
    await readout.filter({ hasText: 'class 3' }).waitFor({ timeout: TIMEOUT });
    assert.equal((await readout.textContent())?.trim(), `class 3, h5: ${formatValue(spec.values[3 * 16 + 5]!)}`);

    const px = await page.evaluate(() => window.gallery.imageGrid('rows').pixelBox(2, 10, 20)!);
    const q = await canvasPoint(page, 'rows', px.x + px.w / 2, px.y + px.h / 2);
    await page.mouse.move(q.x, q.y);
    const v = interpreterRows().images[2]!.data[10 * 28 + 20]!;
    await page.locator('[data-figure-id="rows"] .ll-readout').filter({ hasText: 'class 2, row 10, col 20' }).waitFor({ timeout: TIMEOUT });
    assert.match((await page.locator('[data-figure-id="rows"] .ll-readout').textContent()) ?? '', new RegExp(`: ${formatValue(v).replace('.', '\\.').slice(0, 5)}`));

    const bar = await page.evaluate(() => window.gallery.bar('logits').barBox(3, 0)!);
    const b = await canvasPoint(page, 'logits', bar.x + bar.w / 2, bar.y + bar.h / 2);
    await page.mouse.move(b.x, b.y);
    await page.locator('[data-figure-id="logits"] .ll-readout').filter({ hasText: '3, A·x₀: 3.8 (total 2.7)' }).waitFor({ timeout: TIMEOUT });
    await page.mouse.move(0, 0);
  });

  test('clicking a pixel or a bar calls back with where it is', async () => {
    await page.evaluate(() => { window.__sent.length = 0; });
    const box = await page.evaluate(() => window.gallery.heatmap('weights').cellBox(4, 7)!);
    const p = await canvasPoint(page, 'weights', box.x + 1, box.y + box.h - 1);
    await page.mouse.click(p.x, p.y);
    const px = await page.evaluate(() => window.gallery.imageGrid('rows').pixelBox(6, 0, 27)!);
    const q = await canvasPoint(page, 'rows', px.x + px.w / 2, px.y + px.h / 2);
    await page.mouse.click(q.x, q.y);
    const bar = await page.evaluate(() => window.gallery.bar('barriers').barBox(2, 1)!);
    const b = await canvasPoint(page, 'barriers', bar.x + bar.w / 2, bar.y + bar.h / 2);
    await page.mouse.click(b.x, b.y);
    // Outside any cell: no callback.
    const miss = await canvasPoint(page, 'weights', 2, 2);
    await page.mouse.click(miss.x, miss.y);
    assert.deepEqual(await g.sent(), [
      { type: 'select', figureId: 'weights', target: { kind: 'pixel', row: 4, col: 7 } },
      { type: 'select', figureId: 'rows', target: { kind: 'pixel', image: 6, row: 0, col: 27 } },
      { type: 'select', figureId: 'barriers', target: { kind: 'bar', category: 2, series: 1 } },
    ]);
  });

  test('appendPoint grows a curve and redraws it', async () => {
    const before = await canvasStats(page, 'lmc');
    const counts = await page.evaluate(() => {
      const fig = window.gallery.line('lmc');
      return { points: fig.pointCount(2), x: fig.uplot!.data[0].length, y: Array.from(fig.uplot!.data[3]!).filter((v) => v != null).length };
    });
    assert.deepEqual(counts, { points: 6, x: 11, y: 6 });
    await page.evaluate(() => {
      const fig = window.gallery.line('lmc');
      fig.appendPoint(2, 0.6, 0.34);
      fig.appendPoint(2, 0.7, 0.33);
      fig.appendPoint(0, 1.2, 2.4); // a new x widens the shared axis
    });
    await nextFrames(page);
    const after = await page.evaluate(() => {
      const fig = window.gallery.line('lmc');
      return { points: fig.pointCount(2), x: fig.uplot!.data[0].length, y: Array.from(fig.uplot!.data[3]!).filter((v) => v != null).length };
    });
    assert.deepEqual(after, { points: 8, x: 12, y: 8 });
    const redrawn = await canvasStats(page, 'lmc');
    assert.notEqual(redrawn.hash, before.hash, 'the canvas changed');
  });

  test('partial messages from the extension stream into the curve', async () => {
    const before = await page.evaluate(() => window.gallery.line('lmc').pointCount(2));
    await page.evaluate(() => {
      for (const [x, y] of [[0.8, 0.31], [0.9, 0.305], [1, 0.3]]) {
        window.postMessage({ type: 'partial', figureId: 'lmc', seriesId: 'repair', point: { x, y } }, '*');
      }
      window.postMessage({ type: 'partial', figureId: 'lmc', seriesId: 'repair', point: { x: 'bad' } }, '*');
    });
    await page.waitForFunction((n) => window.gallery.line('lmc').pointCount(2) === n + 3, before, { timeout: TIMEOUT });
    await nextFrames(page);
    const ys = await page.evaluate(() => Array.from(window.gallery.line('lmc').uplot!.data[3]!).filter((v) => v != null).length);
    assert.equal(ys, before + 3);
  });

  test('a theme change redraws every figure on the new background', async () => {
    const dark = await Promise.all(FIGURES.map((id) => canvasStats(page, id)));
    for (const s of dark) assert.deepEqual(s.corner, [31, 31, 31], 'dark editor background #1f1f1f');
    // What VS Code does: new inline variables on <html> and a new class on <body>.
    await page.evaluate(() => {
      const st = document.documentElement.style;
      st.setProperty('--vscode-editor-background', '#ffffff');
      st.setProperty('--vscode-editor-foreground', '#3b3b3b');
      st.setProperty('--vscode-foreground', '#3b3b3b');
      st.setProperty('--vscode-charts-blue', '#1a85ff');
      document.body.classList.replace('vscode-dark', 'vscode-light');
    });
    await nextFrames(page);
    const light = await Promise.all(FIGURES.map((id) => canvasStats(page, id)));
    light.forEach((s, i) => {
      assert.deepEqual(s.corner, [255, 255, 255], `${FIGURES[i]} background after the switch`);
      assert.ok(s.nonBackground > 0, `${FIGURES[i]} still draws`);
    });
    await page.evaluate(() => window.gallery.setTheme('dark'));
    await nextFrames(page);
    assert.deepEqual((await canvasStats(page, 'weights')).corner, [31, 31, 31]);
  });

  test('PNG export is a valid image at twice the size, on white paper', async () => {
    const { name, bytes } = await download(page, 'weights', 'png');
    assert.equal(name, 'output-layer-weights.png');
    const size = pngSize(bytes);
    const oneX = await page.evaluate(async () => {
      const blob = await window.gallery.heatmap('weights').toPng(window.gallery.paper, 1);
      const bmp = await createImageBitmap(blob);
      return { width: bmp.width, height: bmp.height };
    });
    assert.deepEqual(size, { width: oneX.width * 2, height: oneX.height * 2 });
    const png = PNG.sync.read(bytes);
    assert.deepEqual([...png.data.subarray(0, 4)], [255, 255, 255, 255], 'paper background');
    writeFileSync(join(artifactsDir(), 'export-heatmap.png'), bytes);

    for (const id of ['lmc', 'rows', 'logits']) {
      const file = await page.evaluate((fid) => window.gallery.exportFile(fid, 'png'), id);
      const b = Buffer.from(file.data, 'base64');
      const s = pngSize(b);
      assert.ok(s.width > 200 && s.height > 150, `${id}: ${s.width} × ${s.height}`);
      const img = PNG.sync.read(b);
      let ink = 0;
      for (let i = 0; i < img.data.length; i += 4) if (img.data[i]! < 200) ink++;
      assert.ok(ink > 1000, `${id}: the PNG has content`);
      writeFileSync(join(artifactsDir(), `export-${id}.png`), b);
    }
  });

  test('SVG export parses, with a path per series and a rect per bar', async () => {
    const line = await download(page, 'lmc', 'svg');
    assert.match(line.name, /\.svg$/);
    const bars = await download(page, 'logits', 'svg');
    const grouped = (await page.evaluate(() => window.gallery.exportFile('barriers', 'svg'))).data;
    writeFileSync(join(artifactsDir(), 'export-lmc.svg'), line.bytes);
    writeFileSync(join(artifactsDir(), 'export-logits.svg'), bars.bytes);
    const parsed = await page.evaluate((texts) => texts.map((t) => {
      const doc = new DOMParser().parseFromString(t, 'image/svg+xml');
      return {
        error: doc.querySelector('parsererror')?.textContent ?? null,
        root: doc.documentElement.nodeName,
        paths: Array.from(doc.querySelectorAll('path[data-series]')).map((p) => p.getAttribute('data-label')),
        bars: doc.querySelectorAll('rect[data-bar]').length,
        background: doc.querySelector('rect')?.getAttribute('fill'),
      };
    }), [line.bytes.toString('utf8'), bars.bytes.toString('utf8'), grouped]);
    for (const p of parsed) {
      assert.equal(p.error, null);
      assert.equal(p.root, 'svg');
      assert.equal(p.background, '#ffffff');
    }
    assert.deepEqual(parsed[0]!.paths, ['naive', 'aligned', 'aligned + REPAIR']);
    assert.equal(parsed[1]!.bars, 20, 'ten classes × two parts');
    assert.equal(parsed[2]!.bars, 12, 'six layers × two series');
    const raster = await page.locator('[data-figure-id="weights"] vscode-button[data-export="svg"]').count();
    assert.equal(raster, 0, 'no SVG button on a raster figure');
  });

  test('CSV export has a header and one row per point', async () => {
    const points = await page.evaluate(() => [0, 1, 2].reduce((a, i) => a + window.gallery.line('lmc').pointCount(i), 0));
    const line = (await download(page, 'lmc', 'csv')).bytes.toString('utf8').trimEnd().split('\n');
    assert.equal(line[0], 'series,x,y');
    assert.equal(line.length - 1, points);
    assert.match(line[1]!, /^naive,0,0\.31$/);
    const heat = (await page.evaluate(() => window.gallery.exportFile('weights', 'csv'))).data.trimEnd().split('\n');
    assert.equal(heat[0], 'row,col,row_label,col_label,value');
    assert.equal(heat.length - 1, 10 * 16);
    assert.match(heat[1 + 3 * 16 + 5]!, /^3,5,class 3,h5,-?\d/);
    const grid = (await page.evaluate(() => window.gallery.exportFile('rows', 'csv'))).data.trimEnd().split('\n');
    assert.equal(grid[0], 'image,title,row,col,channel,value');
    assert.equal(grid.length - 1, 10 * 28 * 28);
    const bar = (await page.evaluate(() => window.gallery.exportFile('logits', 'csv'))).data.trimEnd().split('\n');
    assert.deepEqual(bar.slice(0, 3), ['category,series,value', '0,A·x₀,2.1', '0,b,-0.4']);
    assert.equal(bar.length - 1, 20);
  });

  test('JSON export round-trips the figure data', async () => {
    for (const id of FIGURES) {
      const { data } = await page.evaluate((fid) => window.gallery.exportFile(fid, 'json'), id);
      const live = await page.evaluate((fid) => window.gallery.board.figure(fid)!.toJson(), id);
      // JSON has no -0 (feature maps have some): compare with the live data as JSON sees it.
      assert.deepEqual(JSON.parse(data), JSON.parse(JSON.stringify(live)), id);
    }
    const heat = JSON.parse((await download(page, 'weights', 'json')).bytes.toString('utf8'));
    const spec = weightMap();
    assert.equal(heat.rows, 10);
    assert.equal(heat.values.length, 160);
    heat.values.forEach((v: number, i: number) => assert.ok(Math.abs(v - spec.values[i]!) < 1e-6));
    const curves = JSON.parse((await page.evaluate(() => window.gallery.exportFile('lmc', 'json'))).data);
    assert.deepEqual(curves.series[0].points, lossCurves().series[0]!.points.concat([{ x: 1.2, y: 2.4 }]));
  });

  test('numbers are also in tables for screen readers', async () => {
    const summary = page.locator('[data-figure-id="barriers"] details.ll-data summary');
    await summary.click();
    const rows = page.locator('[data-figure-id="barriers"] table.ll-data-table tbody tr');
    // The table is built on the details' toggle event, which fires after the click returns.
    await rows.first().waitFor({ timeout: TIMEOUT });
    assert.equal(await rows.count(), 6);
    assert.equal((await rows.nth(3).locator('th').textContent())?.trim(), 'conv4');
    const labels = await page.evaluate(() => Array.from(document.querySelectorAll('figure.ll-figure')).map((f) => {
      const cap = document.getElementById(f.getAttribute('aria-labelledby') ?? '');
      const img = f.querySelector('[role="img"]');
      return Boolean(cap?.textContent) && Boolean(img?.getAttribute('aria-label'));
    }));
    assert.deepEqual(labels, FIGURES.map(() => true));
  });

  test('screenshots of the gallery, dark and light', async () => {
    const dir = artifactsDir();
    const dark = await h.open();
    const light = await h.open({ theme: 'light' });
    try {
      await nextFrames(dark.page);
      await nextFrames(light.page);
      await dark.page.screenshot({ path: join(dir, 'gallery-dark.png'), fullPage: true, timeout: TIMEOUT });
      await light.page.screenshot({ path: join(dir, 'gallery-light.png'), fullPage: true, timeout: TIMEOUT });
      assert.deepEqual((await canvasStats(light.page, 'weights')).corner, [255, 255, 255]);
      assert.deepEqual(light.errors, []);
    } finally {
      await dark.context.close();
      await light.context.close();
    }
  });

  test('the page logged no errors', () => {
    assert.deepEqual(g.errors, []);
  });
});

describe('a panel inside VS Code', { skip: skip ?? false, timeout: 120_000 }, () => {
  let h: Harness;
  let g: GalleryPage;
  let page: Page;

  before(async () => {
    h = await startHarness();
    g = await h.open({ vscode: true });
    page = g.page;
  }, { timeout: 90_000 });

  after(async () => {
    await h?.close();
  });

  test('says ready once it listens', async () => {
    assert.deepEqual((await g.sent())[0], { type: 'ready', protocol: 1 });
    assert.equal(await page.evaluate(() => window.gallery.messaging.inVsCode), true);
  });

  test('exports go to the extension as messages, not downloads', async () => {
    let downloads = 0;
    page.on('download', () => downloads++);
    await page.evaluate(() => { window.__sent.length = 0; });
    await page.locator('[data-figure-id="weights"] vscode-button[data-export="png"]').click();
    await page.locator('[data-figure-id="logits"] vscode-button[data-export="csv"]').click();
    await page.waitForFunction(() => window.__sent.length >= 2, undefined, { timeout: TIMEOUT });
    const [png, csv] = (await g.sent()) as ExportMessage[];
    assert.equal(png!.type, 'export');
    assert.equal(png!.format, 'png');
    assert.equal(png!.encoding, 'base64');
    assert.equal(png!.fileName, 'output-layer-weights.png');
    assert.equal(png!.figureId, 'weights');
    assert.ok(pngSize(Buffer.from(png!.data, 'base64')).width > 100);
    assert.equal(csv!.encoding, 'utf8');
    assert.match(csv!.data, /^category,series,value\n/);
    assert.equal(downloads, 0);
  });

  test('state is kept for restore and sent to the extension', async () => {
    await page.evaluate(() => window.gallery.messaging.setState({ selected: [3, 5], alpha: 0.25 }));
    assert.deepEqual(await page.evaluate(() => window.__state), { selected: [3, 5], alpha: 0.25 });
    assert.deepEqual(await page.evaluate(() => window.gallery.messaging.getState()), { selected: [3, 5], alpha: 0.25 });
    assert.deepEqual((await g.sent()).at(-1), { type: 'setState', state: { selected: [3, 5], alpha: 0.25 } });
  });

  test('render, progress and partial messages build a streaming curve', async () => {
    await page.evaluate(() => window.postMessage({
      type: 'render', title: 'Streaming', status: 'running',
      figures: [{ kind: 'line', id: 'live', title: 'Loss vs α', xLabel: 'α', yLabel: 'loss', series: [{ id: 'naive', label: 'naive', points: [] }] }],
    }, '*'));
    await page.locator('[data-figure-id="live"]').waitFor({ timeout: TIMEOUT });
    assert.equal(await page.locator('figure.ll-figure').count(), 1);
    assert.equal(await page.locator('.ll-busy').isVisible(), true);
    await page.evaluate(() => {
      for (let i = 0; i <= 10; i++) {
        window.postMessage({ type: 'partial', figureId: 'live', seriesId: 'naive', point: { x: i / 10, y: 1 + Math.sin(i) } }, '*');
        window.postMessage({ type: 'progress', fraction: i / 10 }, '*');
        if (i === 4) window.postMessage({ type: 'partial', figureId: 'live', seriesId: 'aligned', point: { x: 0, y: 0.5 } }, '*');
      }
    });
    await page.waitForFunction(() => window.gallery.line('live').pointCount(0) === 11, undefined, { timeout: TIMEOUT });
    await nextFrames(page);
    assert.equal(await page.evaluate(() => window.gallery.line('live').uplot!.data[0].length), 11);
    assert.equal(await page.evaluate(() => window.gallery.line('live').seriesIndex('aligned')), 1, 'a new series id starts a curve');
    assert.equal(await page.locator('.ll-busy').isVisible(), false, 'progress 1 ends the busy state');
    const s = await canvasStats(page, 'live');
    assert.ok(s.nonBackground > 1000);
  });

  test('errors offer Retry, which is sent to the extension', async () => {
    await page.evaluate(() => { window.__sent.length = 0; });
    await page.evaluate(() => window.postMessage({ type: 'error', message: 'model.onnx: unknown op "Einsum" in node /attn/Einsum', retry: true }, '*'));
    const banner = page.locator('.ll-error');
    await banner.waitFor({ state: 'visible', timeout: TIMEOUT });
    assert.match((await banner.textContent()) ?? '', /unknown op "Einsum"/);
    assert.equal(await banner.getAttribute('role'), 'alert');
    await banner.locator('vscode-button[data-action="retry"]').click();
    await banner.waitFor({ state: 'hidden', timeout: TIMEOUT });
    assert.deepEqual(await g.sent(), [{ type: 'retry' }]);
    await page.evaluate(() => window.postMessage({ type: 'error', message: 'out of memory' }, '*'));
    await banner.waitFor({ state: 'visible', timeout: TIMEOUT });
    assert.equal(await banner.locator('vscode-button').count(), 0, 'no Retry unless offered');
  });

  test('the page logged no errors', () => {
    assert.deepEqual(g.errors, []);
  });
});
