/**
 * The CLI's PNG figures: the raster and its pixel font, and each figure decoded back from its PNG
 * bytes and checked pixel by pixel. Sample figures land in .test-artifacts/figures/ for a look.
 * Run: node --import tsx --test test/unit/figures.test.ts
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { PNG } from 'pngjs';
import {
  barChartPng, heatmapPng, imageGridPng, lineChartPng, plotPoint, renderBarChart, renderHeatmap, renderImageGrid,
  renderLineChart, SERIES_COLORS, type BarChartSpec, type HeatmapSpec, type ImageGridSpec, type LineChartSpec,
} from '../../src/cli/figures/figures';
import { FONT_ASCENT, glyphOf, hasGlyph } from '../../src/cli/figures/font';
import { fitText, measureText, Raster, textHeight, wrapText, type Rgb } from '../../src/cli/figures/raster';
import { colorOf, DIVERGING, GRAY, makeScale, VIRIDIS } from '../../webview/components/colormap';

const ARTIFACTS = path.join(__dirname, '..', '..', '.test-artifacts', 'figures');
const WHITE: Rgb = [255, 255, 255];

interface Decoded {
  readonly width: number;
  readonly height: number;
  at(x: number, y: number): Rgb;
}

/** Decodes PNG bytes the way any viewer would, and checks they are opaque. */
function decode(png: Buffer): Decoded {
  const img = PNG.sync.read(png);
  for (let i = 3; i < img.data.length; i += 4) assert.equal(img.data[i], 255, 'every pixel is opaque');
  return {
    width: img.width,
    height: img.height,
    at(x, y) {
      assert.ok(x >= 0 && y >= 0 && x < img.width && y < img.height, `(${x}, ${y}) lies inside ${img.width} × ${img.height}`);
      const o = (y * img.width + x) * 4;
      return [img.data[o]!, img.data[o + 1]!, img.data[o + 2]!];
    },
  };
}

function save(name: string, png: Buffer): void {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  fs.writeFileSync(path.join(ARTIFACTS, name), png);
}

function inkCount(img: Decoded, x0: number, y0: number, x1: number, y1: number): number {
  let n = 0;
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) if (!same(img.at(x, y), WHITE)) n++;
  return n;
}

/** The colours of the (2d + 1)² pixels around (x, y). */
function around(img: Decoded, x: number, y: number, d: number): Rgb[] {
  const out: Rgb[] = [];
  for (let dy = -d; dy <= d; dy++) for (let dx = -d; dx <= d; dx++) out.push(img.at(x + dx, y + dy));
  return out;
}

function same(a: Rgb, b: Rgb): boolean {
  return a[0] === b[0] && a[1] === b[1] && a[2] === b[2];
}

function lutColor(map: typeof DIVERGING, k: number): Rgb {
  return [map.lut[k * 3]!, map.lut[k * 3 + 1]!, map.lut[k * 3 + 2]!];
}

function assertCorners(img: Decoded): void {
  for (const [x, y] of [[0, 0], [img.width - 1, 0], [0, img.height - 1], [img.width - 1, img.height - 1]] as const) {
    assert.deepEqual(img.at(x, y), WHITE, `corner (${x}, ${y}) is paper white`);
  }
}

// The title sits in the top band: its strokes are there, in dark ink.
function assertTitle(img: Decoded): void {
  const ink = inkCount(img, 0, 14, img.width, 14 + textHeight(2));
  assert.ok(ink > 150, `title band has ink (${ink} pixels)`);
}

// ---------------------------------------------------------------------------------------------
// Sample data, shared by the tests and the sample PNGs

const CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

function voteMaps(): ImageGridSpec['images'] {
  return CLASSES.map((title, k) => {
    const v = new Float32Array(28 * 28);
    for (let r = 0; r < 28; r++) {
      for (let c = 0; c < 28; c++) {
        const dx = (c - 14) / 8;
        const dy = (r - 14) / 8;
        v[r * 28 + c] = (0.3 + k / 12) * Math.sin(dx * (k + 1) * 0.9 + dy * 1.7) * Math.exp(-(dx * dx + dy * dy) / 2);
      }
    }
    return { title, values: v, height: 28, width: 28 };
  });
}

const votesSpec = (): ImageGridSpec => ({
  title: "Rows of A: each pixel's vote for each class", images: voteMaps(), colormap: 'diverging', sharedScale: true,
  colorbarLabel: '∂ logit / ∂ pixel', columns: 5, pixelSize: 3,
});

const LAYERS = ['conv1', 'conv2', 'pool', 'fc1', 'fc2', 'logits'];
const ALPHAS = Array.from({ length: 11 }, (_, i) => i / 10);

const heatSpec = (): HeatmapSpec => {
  const values = new Float64Array(LAYERS.length * ALPHAS.length);
  LAYERS.forEach((_, r) => ALPHAS.forEach((a, c) => { values[r * ALPHAS.length + c] = 4 * a * (1 - a) * (0.2 + r * 0.15); }));
  return {
    title: 'LLFC distance per layer × α', values, rows: LAYERS.length, cols: ALPHAS.length, rowLabels: LAYERS,
    colLabels: ALPHAS.map((a) => a.toFixed(1)), xLabel: 'interpolation weight α', yLabel: 'layer', colormap: 'viridis',
    colorbarLabel: 'cosine distance',
  };
};

const lineSpec = (): LineChartSpec => ({
  title: 'Loss along the linear path between two trained networks', xLabel: 'interpolation weight α', yLabel: 'loss',
  series: [
    { name: 'train loss', x: ALPHAS, y: ALPHAS.map((a) => 0.3 + 0.9 * 4 * a * (1 - a)) },
    { name: 'test loss', x: ALPHAS, y: ALPHAS.map((a) => 0.35 + 0.95 * 4 * a * (1 - a)) },
    { name: 'test error', x: ALPHAS, y: ALPHAS.map((a) => 0.1 + 0.5 * 4 * a * (1 - a)) },
  ],
  annotations: ['barrier 0.90 (train)', 'barrier 0.95 (test)'],
});

const logitSpec = (): BarChartSpec => ({
  title: 'Logits split into A·x0 and b (residual 3.2e-7)', categories: CLASSES,
  series: [
    { name: 'A·x0', values: CLASSES.map((_, k) => Math.sin(k * 1.3) * 6) },
    { name: 'b', values: CLASSES.map((_, k) => Math.cos(k * 0.7) * 1.5) },
  ],
  stacked: true, xLabel: 'class', yLabel: 'logit',
});

const groupedSpec = (): BarChartSpec => ({
  title: 'Accuracy of the endpoints and the midpoint', categories: ['MNIST MLP', 'MNIST CNN', 'Fashion CNN', 'CIFAR ResNet'],
  series: [
    { name: 'network A', values: [0.98, 0.99, 0.91, 0.93] },
    { name: 'network B', values: [0.979, 0.991, 0.905, 0.928] },
    { name: 'midpoint α = 0.5', values: [0.95, 0.62, 0.4, 0.1] },
  ],
  xLabel: 'model', yLabel: 'test accuracy',
});

// ---------------------------------------------------------------------------------------------

describe('pixel font', () => {
  test('covers printable ASCII and the analyses\' symbols, every glyph inked except space', () => {
    const chars = [...Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)), ...'·αθσ−×≈²⊙…₀∂'];
    for (const ch of chars) {
      assert.ok(hasGlyph(ch), `glyph for ${JSON.stringify(ch)}`);
      const g = glyphOf(ch);
      assert.ok(g.width >= 1 && g.width <= 8, `${ch} width ${g.width}`);
      if (ch !== ' ') assert.ok(g.pixels.length > 0, `${ch} is inked`);
      for (let i = 1; i < g.pixels.length; i += 2) assert.ok(g.pixels[i]! < 9, `${ch} stays in the 9-row cell`);
    }
    // Distinguishable: no two printable glyphs are drawn the same.
    const seen = new Map<string, string>();
    for (const ch of chars) {
      const key = `${glyphOf(ch).width}:${glyphOf(ch).pixels.join(',')}`;
      assert.ok(!seen.has(key), `${ch} differs from ${seen.get(key)}`);
      seen.set(key, ch);
    }
    assert.ok(!hasGlyph('€') && glyphOf('€').pixels.length > 0, 'a missing glyph is drawn as a box');
  });

  test('drawn text covers exactly the measured box, at scales 1-3, and aligns', () => {
    for (const scale of [1, 2, 3]) {
      const r = new Raster(300, 60);
      const w = r.drawText('Hd', 10, 7, [0, 0, 0], { scale });
      assert.equal(w, measureText('Hd', scale));
      const img = decode(r.toPng());
      const xs: number[] = [];
      const ys: number[] = [];
      for (let y = 0; y < img.height; y++) for (let x = 0; x < img.width; x++) if (!same(img.at(x, y), WHITE)) { xs.push(x); ys.push(y); }
      assert.equal(Math.min(...xs), 10);
      assert.equal(Math.max(...xs), 10 + w - 1);
      assert.equal(Math.min(...ys), 7);
      assert.equal(Math.max(...ys), 7 + FONT_ASCENT * scale - 1, 'H and d stand on the baseline');
    }
    const r = new Raster(200, 40);
    const w = r.drawText('right', 150, 5, [0, 0, 0], { align: 'right' });
    const img = decode(r.toPng());
    assert.equal(inkCount(img, 150, 0, 200, 40), 0, 'right-aligned text ends left of x');
    assert.ok(inkCount(img, 150 - w, 0, 150, 40) > 10);
  });

  test('rotated text turns its box; bold widens it by one pixel', () => {
    const r = new Raster(60, 120);
    r.drawText('loss', 20, 100, [0, 0, 0], { rotate: -90 });
    const img = decode(r.toPng());
    assert.equal(inkCount(img, 0, 0, 60, 100 - measureText('loss')), 0, 'runs upwards from y over its width');
    assert.ok(inkCount(img, 20, 100 - measureText('loss'), 20 + textHeight(1), 100) > 10);
    assert.equal(inkCount(img, 20 + textHeight(1), 0, 60, 120), 0);
    assert.equal(measureText('bold', 2, true), measureText('bold', 2) + 1);
  });

  test('fitting and wrapping', () => {
    assert.equal(fitText('short', 100), 'short');
    const cut = fitText('a rather long class name', 60);
    assert.ok(cut.endsWith('…') && measureText(cut) <= 60);
    const lines = wrapText('Rows of A: each pixel\'s vote for each class', 100, 1);
    assert.ok(lines.length > 1 && lines.every((l) => measureText(l) <= 100));
    assert.equal(lines.join(' '), 'Rows of A: each pixel\'s vote for each class');
  });
});

describe('raster', () => {
  test('rectangles and rules are pixel-exact; PNG round-trips', () => {
    const r = new Raster(20, 10, [250, 250, 250]);
    r.fillRect(2, 3, 4, 2, [255, 0, 0]);
    r.hline(0, 19, 9, [0, 0, 255]);
    r.vline(19, 0, 9, [0, 255, 0]);
    const img = decode(r.toPng());
    assert.equal(img.width, 20);
    assert.equal(img.height, 10);
    assert.deepEqual(img.at(2, 3), [255, 0, 0]);
    assert.deepEqual(img.at(5, 4), [255, 0, 0]);
    assert.deepEqual(img.at(6, 4), [250, 250, 250]);
    assert.deepEqual(img.at(5, 5), [250, 250, 250]);
    assert.deepEqual(img.at(7, 9), [0, 0, 255]);
    assert.deepEqual(img.at(19, 2), [0, 255, 0]);
    assert.throws(() => new Raster(0, 5), /positive whole size/);
  });

  test('anti-aliased lines and discs: full colour on the stroke, blended edges, nothing far away', () => {
    const r = new Raster(40, 40);
    r.line(5, 20.5, 35, 20.5, [0, 114, 178], 2);
    r.fillCircle(20.5, 8.5, 3, [213, 94, 0]);
    const img = decode(r.toPng());
    assert.deepEqual(img.at(20, 20), [0, 114, 178]);
    assert.deepEqual(img.at(20, 8), [213, 94, 0]);
    const edge = img.at(20, 11);
    assert.ok(!same(edge, WHITE) && !same(edge, [213, 94, 0]), 'the disc edge is blended');
    assert.deepEqual(img.at(20, 24), WHITE);
    assert.deepEqual(img.at(20, 13), WHITE);
  });

  test('colour-mapped arrays are drawn nearest-neighbour, each value a flat block', () => {
    const values = [-1, 0, 0.5, 1, NaN, -0.25];
    const scale = makeScale(DIVERGING, values);
    const r = new Raster(20, 12);
    r.drawValues(values, 1, 2, 3, 2, scale, { sx: 3, sy: 4 });
    const img = decode(r.toPng());
    for (let i = 0; i < 6; i++) {
      const want = colorOf(scale, values[i]!) ?? [190, 190, 190];
      const c = i % 3;
      const row = Math.floor(i / 3);
      for (let dy = 0; dy < 4; dy++) for (let dx = 0; dx < 3; dx++) assert.deepEqual(img.at(1 + c * 3 + dx, 2 + row * 4 + dy), want);
    }
    assert.deepEqual(img.at(1, 1), WHITE);
    assert.deepEqual(img.at(10, 2), WHITE);
  });
});

describe('image grid', () => {
  test('10 vote maps of 28 × 28 at 3 px: a sensible size, white paper, a title, a colour bar', () => {
    const png = imageGridPng(votesSpec());
    save('votes.png', png);
    const img = decode(png);
    assert.ok(img.width >= 450 && img.width <= 1100, `width ${img.width}`);
    assert.ok(img.height >= 250 && img.height <= 600, `height ${img.height}`);
    assertCorners(img);
    assertTitle(img);
    const { layout } = renderImageGrid(votesSpec());
    assert.equal(layout.tiles.length, 10);
    assert.deepEqual(layout.tiles[0]!.w, 84);
    assert.ok(layout.tiles[5]!.y > layout.tiles[0]!.y, 'ten maps in two rows of five');
    // Each map's title above it.
    for (const t of layout.tiles) assert.ok(inkCount(img, t.x, t.y - 14, t.x + t.w, t.y - 2) > 10);
  });

  test('a shared diverging scale: 0 is white, the largest |value| of all images gets the end colours', () => {
    const a = new Float32Array(16);
    a[0] = 2; a[1] = -2; a[5] = 0; a[6] = 1;
    const b = new Float32Array(16);
    b[0] = 0.5; b[1] = -0.5;
    const spec: ImageGridSpec = {
      title: 'Shared', colormap: 'diverging', sharedScale: true, pixelSize: 5, colorbarLabel: 'vote',
      images: [{ title: 'a', values: a, height: 4, width: 4 }, { title: 'b', values: b, height: 4, width: 4 }],
    };
    const { raster, layout } = renderImageGrid(spec);
    const img = decode(raster.toPng());
    const at = (i: number, row: number, col: number): Rgb => {
      const t = layout.tiles[i]!;
      const { sx, sy } = layout.pixel[i]!;
      return img.at(t.x + col * sx + Math.floor(sx / 2), t.y + row * sy + Math.floor(sy / 2));
    };
    const scale = layout.scales[0]!;
    assert.equal(layout.scales[1], scale);
    assert.deepEqual([scale.min, scale.max], [-2, 2]);
    assert.deepEqual(at(0, 0, 0), lutColor(DIVERGING, DIVERGING.size - 1));
    assert.deepEqual(at(0, 0, 1), lutColor(DIVERGING, 0));
    assert.deepEqual(at(0, 1, 1), WHITE);
    assert.deepEqual(at(0, 1, 2), colorOf(scale, 1));
    assert.deepEqual(at(1, 0, 0), colorOf(scale, 0.5), 'the smaller map is paler on the shared scale');
    assert.notDeepEqual(at(1, 0, 0), lutColor(DIVERGING, DIVERGING.size - 1));
    assert.deepEqual(at(1, 2, 2), WHITE);
    // Every pixel of the 4 × 4 map is one flat 5 × 5 block (pixel-exact, nearest neighbour).
    const t = layout.tiles[0]!;
    for (let dy = 0; dy < 5; dy++) for (let dx = 0; dx < 5; dx++) assert.deepEqual(img.at(t.x + dx, t.y + dy), lutColor(DIVERGING, DIVERGING.size - 1));
    const bar = layout.colorbar!;
    assert.deepEqual(img.at(bar.x + 5, bar.y), lutColor(DIVERGING, DIVERGING.size - 1), 'colour bar: maximum on top');
    assert.deepEqual(img.at(bar.x + 5, bar.y + bar.h - 1), lutColor(DIVERGING, 0), 'colour bar: minimum at the bottom');
    assert.ok(inkCount(img, bar.x + bar.w + 2, bar.y - 4, img.width, bar.y + bar.h + 4) > 40, 'tick labels and caption');
  });

  test('per-image scales: each map reaches its own end colours and gets its own small bar', () => {
    const a = Float32Array.from({ length: 9 }, (_, i) => i - 4);
    const b = Float32Array.from({ length: 9 }, (_, i) => (i - 4) / 100);
    const { raster, layout } = renderImageGrid({
      title: 'Per image', colormap: 'diverging', sharedScale: false, pixelSize: 6,
      images: [{ title: 'a', values: a, height: 3, width: 3 }, { title: 'b', values: b, height: 3, width: 3 }],
    });
    const img = decode(raster.toPng());
    assert.equal(layout.colorbar, null);
    assert.notEqual(layout.scales[0], layout.scales[1]);
    for (const t of layout.tiles) {
      assert.deepEqual(img.at(t.x + 14, t.y + 14), lutColor(DIVERGING, DIVERGING.size - 1));
      assert.deepEqual(img.at(t.x + 2, t.y + 2), lutColor(DIVERGING, 0));
      assert.deepEqual(img.at(t.x + 8, t.y + 8), WHITE);
      // The small bar under the map.
      assert.deepEqual(img.at(t.x, t.y + t.h + 5), lutColor(DIVERGING, 0));
    }
  });

  test('rgb and gray inputs: [0, 1] shown as is, other ranges stretched, channels summed for maps', () => {
    const rgb = new Float32Array([1, 0, 0, 0, 0.5, 0, 0, 0, 1, 0.2, 0.2, 0.2]);
    const { raster, layout } = renderImageGrid({
      title: 'Input', colormap: 'rgb', sharedScale: false, pixelSize: 10,
      images: [{ title: 'x0', values: rgb, height: 2, width: 2, channels: 3 }, { title: 'scaled', values: rgb.map((v) => v * 255 - 20), height: 2, width: 2, channels: 3 }],
    });
    const img = decode(raster.toPng());
    const [t, u] = layout.tiles as [typeof layout.tiles[0], typeof layout.tiles[0]];
    assert.deepEqual(img.at(t.x + 5, t.y + 5), [255, 0, 0]);
    assert.deepEqual(img.at(t.x + 15, t.y + 5), [0, 128, 0]);
    assert.deepEqual(img.at(t.x + 5, t.y + 15), [0, 0, 255]);
    assert.deepEqual(img.at(t.x + 15, t.y + 15), [51, 51, 51]);
    assert.deepEqual(img.at(u.x + 5, u.y + 5), [255, 0, 0], 'stretched from [-20, 235] onto [0, 255]');
    assert.deepEqual(layout.scales, [null, null]);
    assert.equal(inkCount(img, 0, t.y + t.h + 2, img.width, img.height), 0, 'no colour bar under an input image');

    const gray = renderImageGrid({ title: 'Gray', colormap: 'gray', sharedScale: false, pixelSize: 4, images: [{ title: 'x', values: [0, 0.5, 1, 0.25], height: 2, width: 2 }] });
    const g = decode(gray.raster.toPng());
    const gt = gray.layout.tiles[0]!;
    assert.deepEqual(gray.layout.pixel[0], { sx: 8, sy: 8 }, 'a 2 × 2 image at 4 px is stretched to 16 px');
    assert.deepEqual(g.at(gt.x + 1, gt.y + 1), [0, 0, 0]);
    assert.deepEqual(g.at(gt.x + 9, gt.y + 1), colorOf(makeScale(GRAY, [], [0, 1]), 0.5));
    assert.deepEqual(g.at(gt.x + 1, gt.y + 9), [255, 255, 255]);

    // A 2-channel diverging map shows the channel sum.
    const sum = renderImageGrid({ title: 'Sum', colormap: 'diverging', sharedScale: true, pixelSize: 4, images: [{ title: 's', values: [1, 1, -1, 0.5, 0, 0, 0.25, -0.25], height: 2, width: 2, channels: 2 }] });
    const si = decode(sum.raster.toPng());
    const st = sum.layout.tiles[0]!;
    assert.deepEqual([sum.layout.scales[0]!.min, sum.layout.scales[0]!.max], [-2, 2]);
    assert.deepEqual(si.at(st.x + 1, st.y + 1), lutColor(DIVERGING, DIVERGING.size - 1));
    assert.deepEqual(si.at(st.x + 9, st.y + 1), colorOf(sum.layout.scales[0]!, -0.5));
    assert.deepEqual(si.at(st.x + 9, st.y + 9), WHITE);
    save('input-rgb.png', imageGridPng({
      title: 'Input (label: cat), predicted cat', colormap: 'rgb', sharedScale: false, pixelSize: 5,
      images: [{ title: 'x0', height: 32, width: 32, channels: 3, values: Float32Array.from({ length: 32 * 32 * 3 }, (_, i) => [Math.floor(i / 96) / 31, (Math.floor(i / 3) % 32) / 31, 0.5][i % 3]!) }],
    }));
  });

  test('flat images are stretched to stay visible; bad shapes are refused', () => {
    const { layout } = renderImageGrid({ title: 'Flat', colormap: 'viridis', sharedScale: true, pixelSize: 2, images: [{ title: 'v', values: new Float32Array(100), height: 1, width: 100 }] });
    assert.deepEqual(layout.pixel[0], { sx: 2, sy: 16 });
    assert.throws(() => imageGridPng({ title: 'Bad', colormap: 'gray', sharedScale: true, images: [{ title: 'x', values: [1, 2, 3], height: 2, width: 2 }] }), /3 values for 2 × 2 × 1/);
    assert.throws(() => imageGridPng({ title: 'None', colormap: 'gray', sharedScale: true, images: [] }), /no images/);
  });
});

describe('heat map', () => {
  test('each cell is a flat block of its value\'s exact colour map colour', () => {
    const spec = heatSpec();
    const png = heatmapPng(spec);
    save('heatmap.png', png);
    const img = decode(png);
    assertCorners(img);
    assertTitle(img);
    const { layout } = renderHeatmap(spec);
    const scale = makeScale(VIRIDIS, spec.values as Float64Array);
    assert.deepEqual([layout.scale.min, layout.scale.max], [scale.min, scale.max]);
    for (let r = 0; r < spec.rows; r++) {
      for (let c = 0; c < spec.cols; c++) {
        const x = layout.grid.x + c * layout.cellW;
        const y = layout.grid.y + r * layout.cellH;
        const want = colorOf(scale, spec.values[r * spec.cols + c]!);
        assert.deepEqual(img.at(x + Math.floor(layout.cellW / 2), y + Math.floor(layout.cellH / 2)), want, `cell ${r}, ${c}`);
        assert.deepEqual(img.at(x, y), want);
        assert.deepEqual(img.at(x + layout.cellW - 1, y + layout.cellH - 1), want);
      }
    }
    // Framed, labelled on both axes, with a colour bar from the maximum down to the minimum.
    assert.deepEqual(img.at(layout.grid.x - 1, layout.grid.y + 5), [60, 60, 60]);
    assert.ok(inkCount(img, 0, layout.grid.y, layout.grid.x - 2, layout.grid.y + layout.grid.h) > 150, 'row labels and y label');
    assert.ok(inkCount(img, layout.grid.x, layout.grid.y + layout.grid.h + 2, layout.grid.x + layout.grid.w, img.height) > 150, 'column labels and x label');
    assert.deepEqual(img.at(layout.colorbar.x + 3, layout.colorbar.y), lutColor(VIRIDIS, 255));
    assert.deepEqual(img.at(layout.colorbar.x + 3, layout.colorbar.y + layout.colorbar.h - 1), lutColor(VIRIDIS, 0));
  });

  test('diverging heat maps are symmetric about white; NaN cells are gray; sizes are checked', () => {
    const { raster, layout } = renderHeatmap({ title: 'Δ', values: [-3, 0, 1.5, NaN], rows: 2, cols: 2, colormap: 'diverging' });
    const img = decode(raster.toPng());
    const cell = (r: number, c: number): Rgb => img.at(layout.grid.x + c * layout.cellW + 3, layout.grid.y + r * layout.cellH + 3);
    assert.deepEqual(cell(0, 0), lutColor(DIVERGING, 0));
    assert.deepEqual(cell(0, 1), WHITE);
    assert.deepEqual(cell(1, 0), colorOf(makeScale(DIVERGING, [], [-3, 3]), 1.5));
    assert.deepEqual(cell(1, 1), [200, 200, 200]);
    assert.throws(() => heatmapPng({ title: 'x', values: [1, 2], rows: 2, cols: 2 }), /2 values for 2 × 2/);
  });
});

describe('line chart', () => {
  test('markers sit at their data points in their series\' colour, over a framed, ticked plot', () => {
    const spec = lineSpec();
    const png = lineChartPng(spec);
    save('line.png', png);
    const img = decode(png);
    assertCorners(img);
    assertTitle(img);
    const { layout } = renderLineChart(spec);
    assert.equal(new Set(layout.colors.map((c) => c.join())).size, 3, 'distinct colours');
    assert.deepEqual(layout.colors, SERIES_COLORS.slice(0, 3));
    spec.series.forEach((s, k) => {
      for (const i of [0, 5, 10]) {
        const [px, py] = plotPoint(layout, s.x[i]!, s.y[i]!);
        assert.deepEqual(img.at(Math.floor(px), Math.floor(py)), layout.colors[k], `${s.name} at x = ${s.x[i]}`);
      }
      // Halfway between two markers the curve passes in the series' colour.
      const [ax, ay] = plotPoint(layout, s.x[2]!, s.y[2]!);
      const [bx, by] = plotPoint(layout, s.x[3]!, s.y[3]!);
      const near = around(img, Math.floor((ax + bx) / 2), Math.floor((ay + by) / 2), 1);
      assert.ok(near.some((c) => same(c, layout.colors[k]!)), `${s.name} between two markers`);
    });
    const { box } = layout;
    assert.ok(layout.x[0] < 0 && layout.x[1] > 1, 'a margin around the data');
    assert.deepEqual(img.at(box.x - 1, box.y + 10), [60, 60, 60], 'left axis');
    assert.deepEqual(img.at(box.x + 10, box.y + box.h), [60, 60, 60], 'bottom axis');
    assert.ok(inkCount(img, 0, box.y, box.x - 2, box.y + box.h) > 150, 'y tick labels and y label');
    assert.ok(inkCount(img, box.x, box.y + box.h + 2, box.x + box.w, img.height) > 150, 'x tick labels and x label');
    // The legend right of the plot: a swatch of each colour, names and the annotations.
    for (const c of layout.colors) {
      let found = false;
      for (let y = box.y; y < box.y + 80 && !found; y++) for (let x = box.x + box.w + 2; x < img.width && !found; x++) found = same(img.at(x, y), c);
      assert.ok(found, `legend swatch ${c.join()}`);
    }
    assert.ok(inkCount(img, box.x + box.w + 2, box.y + 50, img.width, box.y + 90) > 100, 'annotation lines');
  });

  test('non-finite values break the curve; single points and empty charts still draw', () => {
    const { raster, layout } = renderLineChart({ title: 'Gap', xLabel: 'x', yLabel: 'y', series: [{ name: 's', x: [0, 1, 2, 3], y: [0, 1, NaN, 1] }] });
    const img = decode(raster.toPng());
    const [ax, ay] = plotPoint(layout, 1, 1);
    const [bx, by] = plotPoint(layout, 3, 1);
    const gap = around(img, Math.floor((ax + bx) / 2), Math.floor((ay + by) / 2), 3);
    assert.ok(gap.every((c) => same(c, WHITE) || same(c, [228, 228, 228])), 'nothing but paper and grid across the gap');
    assert.doesNotThrow(() => lineChartPng({ title: 'One', xLabel: 'x', yLabel: 'y', series: [{ name: 's', x: [1], y: [2] }] }));
    assert.doesNotThrow(() => lineChartPng({ title: 'None', xLabel: 'x', yLabel: 'y', series: [] }));
    assert.throws(() => lineChartPng({ title: 'Bad', xLabel: 'x', yLabel: 'y', series: [{ name: 's', x: [1, 2], y: [2] }] }), /2 x and 1 y/);
  });
});

describe('bar chart', () => {
  // Pixels of a colour down one column, and the first and last row that has it.
  function columnRun(img: Decoded, x: number, c: Rgb): { n: number; top: number; bottom: number } {
    let n = 0, top = -1, bottom = -1;
    for (let y = 0; y < img.height; y++) {
      if (same(img.at(x, y), c)) { n++; if (top < 0) top = y; bottom = y; }
    }
    return { n, top, bottom };
  }

  test('bar heights are proportional to values; negative bars hang below the zero line', () => {
    const values = [1, 2, -1, 3, 0, -2.5];
    const spec: BarChartSpec = { title: 'Votes', categories: ['a', 'b', 'c', 'd', 'e', 'f'], series: [{ name: 'v', values }], xLabel: 'class', yLabel: 'logit' };
    const png = barChartPng(spec);
    const img = decode(png);
    assertCorners(img);
    assertTitle(img);
    const { layout } = renderBarChart(spec);
    const color = layout.colors[0]!;
    const runs = layout.bars.map((b) => columnRun(img, b[0]!.x + Math.floor(b[0]!.w / 2), color));
    const perUnit = runs[3]!.n / 3;
    assert.ok(perUnit > 20, `${perUnit} px per unit`);
    values.forEach((v, c) => {
      assert.ok(Math.abs(runs[c]!.n - Math.abs(v) * perUnit) <= 1, `bar ${c}: ${runs[c]!.n} px for ${v}`);
      if (v > 0) assert.equal(runs[c]!.bottom, layout.zeroRow - 1, `bar ${c} stands on the zero line`);
      if (v < 0) assert.equal(runs[c]!.top, layout.zeroRow + 1, `bar ${c} hangs from the zero line`);
    });
    // The zero line itself, dark across the plot, between the bars too.
    assert.deepEqual(img.at(layout.box.x + 2, layout.zeroRow), [60, 60, 60]);
    assert.deepEqual(img.at(layout.bars[2]![0]!.x - 2, layout.zeroRow), [60, 60, 60]);
    assert.equal(columnRun(img, img.width - 20, color).n, 0, 'one series: no legend');
  });

  test('stacked: positive parts up, negative parts down, a tick at the net total', () => {
    const spec: BarChartSpec = {
      title: 'Logit = A·x0 + b', categories: ['cat', 'dog'], stacked: true, yLabel: 'logit',
      series: [{ name: 'A·x0', values: [3, -2] }, { name: 'b', values: [-1, 0.5] }],
    };
    const { raster, layout } = renderBarChart(spec);
    const img = decode(raster.toPng());
    const [ax, b] = layout.colors as [Rgb, Rgb];
    for (const [c, pos, neg] of [[0, ax, b], [1, b, ax]] as const) {
      const box = layout.bars[c]![0]!;
      const x = box.x + Math.floor(box.w / 2);
      const up = columnRun(img, x, pos);
      const down = columnRun(img, x, neg);
      assert.ok(up.bottom < layout.zeroRow && up.n > 0, `category ${c}: the positive part is above zero`);
      assert.ok(down.top > layout.zeroRow && down.n > 0, `category ${c}: the negative part is below zero`);
    }
    const unit = columnRun(img, layout.bars[0]![0]!.x + 2, ax).n / 3;
    assert.ok(Math.abs(columnRun(img, layout.bars[0]![1]!.x + 2, b).n - unit) <= 1);
    // Net totals: 2 for cat, -1.5 for dog; the tick overhangs the bar on both sides.
    for (const [c, net] of [[0, 2], [1, -1.5]] as const) {
      const row = Math.round(plotPoint(layout, 0, net)[1]);
      const box = layout.bars[c]![0]!;
      for (const x of [box.x - 2, box.x + Math.floor(box.w / 2), box.x + box.w + 1]) {
        assert.deepEqual(img.at(x, row - 1), [28, 28, 28], `net tick of ${net} at x ${x}`);
      }
    }
    save('bars-stacked-small.png', raster.toPng());
  });

  test('sample bar charts, and refused specs', () => {
    const stacked = barChartPng(logitSpec());
    save('bars-stacked.png', stacked);
    const grouped = barChartPng(groupedSpec());
    save('bars-grouped.png', grouped);
    for (const png of [stacked, grouped]) {
      const img = decode(png);
      assertCorners(img);
      assertTitle(img);
    }
    const { layout } = renderBarChart(groupedSpec());
    assert.ok(layout.bars[0]![0]!.x + layout.bars[0]![0]!.w <= layout.bars[0]![1]!.x, 'grouped bars side by side');
    assert.throws(() => barChartPng({ title: 'x', categories: ['a'], series: [{ name: 's', values: [1, 2] }] }), /2 values for 1 categories/);
    assert.throws(() => barChartPng({ title: 'x', categories: [], series: [] }), /no bars/);
  });
});

describe('determinism', () => {
  test('the same spec gives the same bytes', () => {
    const makers: (() => Buffer)[] = [
      () => imageGridPng(votesSpec()), () => heatmapPng(heatSpec()), () => lineChartPng(lineSpec()),
      () => barChartPng(logitSpec()), () => barChartPng(groupedSpec()),
    ];
    for (const make of makers) assert.ok(make().equals(make()));
  });

  test('more samples: per-image scales, a gray input and the font', () => {
    const maps = voteMaps().slice(0, 4).map((m, i) => ({ ...m, title: `σ${i + 1} = ${(2.5 / (i + 1)).toPrecision(3)}` }));
    save('singular-vectors.png', imageGridPng({ title: 'Top right singular vectors of A', images: maps, colormap: 'diverging', sharedScale: false, columns: 4, pixelSize: 3 }));
    save('input-gray.png', imageGridPng({
      title: 'Input (label: Sneaker), predicted Sneaker', colormap: 'gray', sharedScale: false, pixelSize: 5,
      images: [{ title: 'x0', values: Float32Array.from(voteMaps()[3]!.values, (v) => Math.min(1, Math.max(0, v + 0.5))), height: 28, width: 28 }],
    }));
    const r = new Raster(720, 130);
    let ascii = '';
    for (let i = 32; i < 127; i++) ascii += String.fromCharCode(i);
    r.drawText(ascii.slice(0, 48), 10, 10, [20, 20, 20]);
    r.drawText(ascii.slice(48), 10, 24, [20, 20, 20]);
    r.drawText('· × − ± ≈ ≤ ≥ → ∞ ∂ ⊙ ‖ … ° ² ³ ₀ ₁ α β γ δ ε θ λ μ π σ Δ', 10, 38, [20, 20, 20]);
    r.drawText('LLFC distance per layer × α (barrier 0.90)', 10, 56, [20, 20, 20], { scale: 2, bold: true });
    r.drawText('The quick brown fox jumps over the lazy dog', 10, 84, [20, 20, 20], { scale: 2 });
    r.drawText('scale 3', 600, 84, [20, 20, 20], { scale: 3 });
    save('font.png', r.toPng());
    assert.ok(fs.existsSync(path.join(ARTIFACTS, 'font.png')));
  });
});
