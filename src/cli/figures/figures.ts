/**
 * The CLI's figures as PNG files: image grids (vote and contribution maps), heat maps, line charts
 * and bar charts, on a white "paper" background with a title, axis and tick labels and a colour
 * bar where colours carry values. They use the webview's colour maps and tick rules, so a figure
 * written by the CLI reads like the one the panel shows. Same spec, same bytes.
 */
import {
  dataLimits, DIVERGING, GRAY, makeScale, VIRIDIS, type Colormap, type ColorScale,
} from '../../../webview/components/colormap';
import { formatTick, formatValue, niceRange, niceTicks } from '../../../webview/components/ticks';
import { fitText, lineHeight, measureText, Raster, textHeight, wrapText, type Rgb } from './raster';

export interface Box {
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

/** A drawn figure and where its parts landed, in pixels (tests and HTML reports read them). */
export interface Rendered<L> {
  readonly raster: Raster;
  readonly layout: L;
}

// ---------------------------------------------------------------------------------------------
// Style

const INK: Rgb = [28, 28, 28];
const MUTED: Rgb = [80, 80, 80];
const AXIS: Rgb = [60, 60, 60];
const GRID: Rgb = [228, 228, 228];
const FRAME: Rgb = [170, 170, 170];
const NAN_GRAY: Rgb = [200, 200, 200];
const PAD = 14;
const TITLE_SCALE = 2;
const MAX_TITLE_WIDTH = 1000;

/**
 * Okabe and Ito's colour-blind-safe palette, yellow last (it is faint on white). Exported so that
 * callers can match text or tests to a series.
 */
export const SERIES_COLORS: readonly Rgb[] = [
  [0, 114, 178], [230, 159, 0], [0, 158, 115], [213, 94, 0], [204, 121, 167], [86, 180, 233], [90, 90, 90], [240, 228, 66],
];

/** The colour of series `i` (the palette repeats after 8). */
export function seriesColor(i: number): Rgb {
  return SERIES_COLORS[i % SERIES_COLORS.length]!;
}

// A typographic minus: a hyphen reads as a dash next to a number.
function tickText(v: number, step: number): string {
  return formatTick(v, step).replace(/^-/, '−');
}

function valueText(v: number): string {
  return formatValue(v).replace(/^-/, '−');
}

const mapOf = (name: 'diverging' | 'viridis' | 'gray'): Colormap => (name === 'diverging' ? DIVERGING : name === 'gray' ? GRAY : VIRIDIS);

/**
 * Lays a figure out under its title: `content` is drawn at (ox, oy) with size w × h. A title wider
 * than the content widens the figure (up to MAX_TITLE_WIDTH, then it wraps) and the content is
 * centred under it.
 */
function compose<L>(title: string, w: number, h: number, content: (r: Raster, ox: number, oy: number) => L): Rendered<L> {
  const titleW = measureText(title, TITLE_SCALE, true);
  const width = Math.max(w + 2 * PAD, Math.min(titleW + 2 * PAD, MAX_TITLE_WIDTH));
  const lines = title.trim() ? wrapText(title, width - 2 * PAD, TITLE_SCALE, true) : [];
  const titleH = lines.length ? (lines.length - 1) * lineHeight(TITLE_SCALE) + textHeight(TITLE_SCALE) + 12 : 0;
  const r = new Raster(Math.ceil(width), Math.ceil(PAD + titleH + h + PAD));
  lines.forEach((line, i) => r.drawText(line, Math.floor(width / 2), PAD + i * lineHeight(TITLE_SCALE), INK, { scale: TITLE_SCALE, bold: true, align: 'center' }));
  const layout = content(r, Math.floor((width - w) / 2), PAD + titleH);
  return { raster: r, layout };
}

// ---------------------------------------------------------------------------------------------
// Colour bars

const BAR_W = 14;
const TICK = 4;

/** Tick values and labels of a colour bar: round values, or its two ends when fewer than two round values fall inside. */
function colorbarTicks(scale: ColorScale, height: number): { values: readonly number[]; labels: readonly string[] } {
  const { values, step } = niceTicks(scale.min, scale.max, Math.max(4, Math.min(7, Math.floor(height / 30))));
  if (values.length >= 2) return { values, labels: values.map((v) => tickText(v, step)) };
  const ends = [scale.min, ...values.filter((v) => v > scale.min && v < scale.max), scale.max];
  return { values: ends, labels: ends.map(valueText) };
}

/** Width of a vertical colour bar of `height` with its tick labels and caption. */
function colorbarWidth(scale: ColorScale, height: number, label?: string): number {
  const labelW = Math.max(0, ...colorbarTicks(scale, height).labels.map((t) => measureText(t)));
  return BAR_W + TICK + 3 + labelW + (label ? 8 + textHeight(1) : 0);
}

/** A vertical colour bar at (x, y): the maximum's colour in the top row, the minimum's in the bottom row. */
function drawColorbar(r: Raster, scale: ColorScale, x: number, y: number, height: number, label?: string): Box {
  const lut = scale.map.lut;
  const last = scale.map.size - 1;
  for (let i = 0; i < height; i++) {
    const k = height === 1 ? last : Math.round((1 - i / (height - 1)) * last);
    r.fillRect(x, y + i, BAR_W, 1, [lut[k * 3]!, lut[k * 3 + 1]!, lut[k * 3 + 2]!]);
  }
  r.strokeRect(x - 1, y - 1, BAR_W + 2, height + 2, FRAME);
  const { values, labels } = colorbarTicks(scale, height);
  let labelW = 0;
  values.forEach((v, i) => {
    const ty = y + Math.round((1 - (v - scale.min) / (scale.max - scale.min)) * (height - 1));
    r.hline(x + BAR_W + 1, x + BAR_W + TICK, ty, AXIS);
    labelW = Math.max(labelW, r.drawText(labels[i]!, x + BAR_W + TICK + 3, ty, MUTED, { baseline: 'middle' }));
  });
  if (label) {
    r.drawText(fitText(label, height + 40), x + BAR_W + TICK + 3 + labelW + 8, y + Math.floor(height / 2), INK, { rotate: -90, align: 'center', baseline: 'top' });
  }
  return { x, y, w: BAR_W, h: height };
}

// A thin ramp under one image with its limits, for grids whose images each have their own scale.
const MINI_H = 4 + 6 + 3 + textHeight(1);

function drawMiniColorbar(r: Raster, scale: ColorScale, x: number, y: number, width: number): void {
  const lut = scale.map.lut;
  const last = scale.map.size - 1;
  for (let i = 0; i < width; i++) {
    const k = width === 1 ? last : Math.round((i / (width - 1)) * last);
    r.fillRect(x + i, y + 4, 1, 6, [lut[k * 3]!, lut[k * 3 + 1]!, lut[k * 3 + 2]!]);
  }
  const lo = valueText(scale.min);
  const hi = valueText(scale.max);
  r.drawText(lo, x, y + 13, MUTED);
  r.drawText(hi, x + width, y + 13, MUTED, { align: 'right' });
  if (scale.map.diverging && measureText(lo) + measureText(hi) + measureText('0') + 12 <= width) {
    r.drawText('0', x + Math.floor(width / 2), y + 13, MUTED, { align: 'center' });
  }
}

// ---------------------------------------------------------------------------------------------
// Image grid

export interface GridImage {
  readonly title: string;
  /** Row-major, channels last: `values[(row * width + col) * channels + k]`. */
  readonly values: ArrayLike<number>;
  readonly height: number;
  readonly width: number;
  /** Default 1. */
  readonly channels?: number;
}

export interface ImageGridSpec {
  readonly title: string;
  readonly images: readonly GridImage[];
  /**
   * 'diverging' / 'viridis': values through the colour map (several channels are summed: one map
   * per image, as an attribution map of an RGB input is read). 'gray': several channels are
   * averaged. 'gray' and 'rgb' show an input as it is when every value lies in [0, 1]; otherwise
   * they stretch the values' range onto black..white (per image, or over the set when
   * sharedScale), all channels together so that hues keep. 'rgb' takes channels 0-2 (a single
   * channel is shown gray) and has no colour bar.
   */
  readonly colormap: 'diverging' | 'viridis' | 'gray' | 'rgb';
  /** One scale across all images (symmetric about 0 for 'diverging') and one colour bar; else a small bar under each image. */
  readonly sharedScale: boolean;
  readonly colorbarLabel?: string;
  /** Images a row; by default a balanced grid about twice as wide as tall. */
  readonly columns?: number;
  /**
   * Pixels per image pixel, a whole number (default: about 100 px per image). An image thinner
   * than 16 px on a side is stretched along that side by a whole factor so that it stays visible.
   */
  readonly pixelSize?: number;
}

export interface ImageGridLayout {
  /** Where each image's pixels are. */
  readonly tiles: readonly Box[];
  /** Pixels per image pixel, across and down, of each image. */
  readonly pixel: readonly { readonly sx: number; readonly sy: number }[];
  /** The colour scale of each image (the same object for all when shared); null for 'rgb'. */
  readonly scales: readonly (ColorScale | null)[];
  /** The shared colour bar's ramp, when there is one. */
  readonly colorbar: Box | null;
}

const GRID_GAP_X = 16;
const GRID_GAP_Y = 14;

/** One plane per image for the colour-mapped modes: channels summed (diverging, viridis) or averaged (gray). */
function imagePlane(im: GridImage, mode: 'diverging' | 'viridis' | 'gray'): ArrayLike<number> {
  const c = im.channels ?? 1;
  if (c === 1) return im.values;
  const out = new Float64Array(im.height * im.width);
  for (let i = 0; i < out.length; i++) {
    let s = 0;
    for (let k = 0; k < c; k++) s += im.values[i * c + k]!;
    out[i] = mode === 'gray' ? s / c : s;
  }
  return out;
}

function finiteRange(lists: readonly ArrayLike<number>[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of lists) {
    for (let i = 0; i < v.length; i++) {
      const x = v[i]!;
      if (Number.isFinite(x)) { if (x < lo) lo = x; if (x > hi) hi = x; }
    }
  }
  return [lo, hi];
}

// [0, 1] when the values already are intensities, else their own range.
function intensityLimits(lists: readonly ArrayLike<number>[]): [number, number] {
  const [lo, hi] = finiteRange(lists);
  if (lo > hi) return [0, 1];
  if (lo >= 0 && hi <= 1) return [0, 1];
  return lo === hi ? [lo - 0.5, hi + 0.5] : [lo, hi];
}

function rgbBytes(im: GridImage, limits: readonly [number, number]): Uint8Array {
  const c = im.channels ?? 1;
  const n = im.height * im.width;
  const out = new Uint8Array(n * 3);
  const [lo, hi] = limits;
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < 3; k++) {
      const v = im.values[i * c + (c >= 3 ? k : 0)]!;
      out[i * 3 + k] = Number.isFinite(v) ? Math.round(Math.min(1, Math.max(0, (v - lo) / (hi - lo))) * 255) : NAN_GRAY[k]!;
    }
  }
  return out;
}

function checkImage(im: GridImage, i: number): void {
  const c = im.channels ?? 1;
  if (!(Number.isInteger(im.height) && Number.isInteger(im.width) && Number.isInteger(c)) || im.height < 1 || im.width < 1 || c < 1) {
    throw new Error(`Image ${i} ('${im.title}') has an invalid shape ${im.height} × ${im.width} × ${c}`);
  }
  if (im.values.length !== im.height * im.width * c) {
    throw new Error(`Image ${i} ('${im.title}') has ${im.values.length} values for ${im.height} × ${im.width} × ${c}`);
  }
}

function defaultColumns(n: number): number {
  if (n <= 5) return n;
  const rows = Math.ceil(n / Math.ceil(Math.sqrt(2 * n)));
  return Math.ceil(n / rows);
}

/** Draws an image grid (see ImageGridSpec) and returns it with its layout. */
export function renderImageGrid(spec: ImageGridSpec): Rendered<ImageGridLayout> {
  const ims = spec.images;
  if (ims.length === 0) throw new Error(`Image grid '${spec.title}' has no images`);
  ims.forEach(checkImage);
  const n = ims.length;
  const cols = Math.max(1, Math.min(n, Math.round(spec.columns ?? defaultColumns(n))));
  const rows = Math.ceil(n / cols);
  const maxDim = Math.max(...ims.map((im) => Math.max(im.height, im.width)));
  const target = n <= 2 ? 192 : n <= 4 ? 140 : 100;
  const p = Math.max(1, Math.round(spec.pixelSize ?? Math.floor(target / maxDim)));
  const pixel = ims.map((im) => ({
    sx: p * Math.max(1, Math.ceil(16 / (im.width * p))),
    sy: p * Math.max(1, Math.ceil(16 / (im.height * p))),
  }));
  const tileW = Math.max(...ims.map((im, i) => im.width * pixel[i]!.sx));
  const tileH = Math.max(...ims.map((im, i) => im.height * pixel[i]!.sy));

  const mode = spec.colormap;
  // Per image: its colour scale and the plane it maps, or (for 'rgb') its bytes.
  let scales: (ColorScale | null)[] = ims.map(() => null);
  let planes: (ArrayLike<number> | null)[] = ims.map(() => null);
  let rgb: (Uint8Array | null)[] = ims.map(() => null);
  if (mode === 'rgb') {
    const shared = spec.sharedScale ? intensityLimits(ims.map((im) => im.values)) : null;
    rgb = ims.map((im) => rgbBytes(im, shared ?? intensityLimits([im.values])));
  } else {
    const map = mapOf(mode);
    const ps = ims.map((im) => imagePlane(im, mode));
    const limitsOf = (lists: readonly ArrayLike<number>[]): [number, number] => {
      if (mode === 'gray') return intensityLimits(lists);
      const [lo, hi] = finiteRange(lists);
      return lo > hi ? dataLimits([], map.diverging) : dataLimits([lo, hi], map.diverging);
    };
    if (spec.sharedScale) {
      const shared = makeScale(map, [], limitsOf(ps));
      scales = ps.map(() => shared);
    } else {
      scales = ps.map((pl) => makeScale(map, [], limitsOf([pl])));
    }
    planes = ps;
  }

  const titleH = textHeight(1) + 5;
  const mini = mode !== 'rgb' && !spec.sharedScale;
  const cellW = Math.max(tileW, 48);
  const cellH = titleH + tileH + (mini ? MINI_H : 0);
  const gridW = cols * cellW + (cols - 1) * GRID_GAP_X;
  const gridH = rows * cellH + (rows - 1) * GRID_GAP_Y;
  const sharedBar = mode !== 'rgb' && spec.sharedScale ? scales[0]! : null;
  const barH = Math.max(80, gridH - titleH);
  const barX = gridW + 20;
  const contentW = sharedBar ? barX + colorbarWidth(sharedBar, barH, spec.colorbarLabel) : gridW;
  const contentH = Math.max(gridH, sharedBar ? titleH + barH : 0);

  return compose(spec.title, contentW, contentH, (r, ox, oy) => {
    const tiles: Box[] = [];
    ims.forEach((im, i) => {
      const col = i % cols;
      const row = Math.floor(i / cols);
      const cx = ox + col * (cellW + GRID_GAP_X);
      const cy = oy + row * (cellH + GRID_GAP_Y);
      const { sx, sy } = pixel[i]!;
      const w = im.width * sx;
      const h = im.height * sy;
      const x = cx + Math.floor((cellW - w) / 2);
      const y = cy + titleH + Math.floor((tileH - h) / 2);
      r.drawText(fitText(im.title, cellW + GRID_GAP_X - 4), cx + Math.floor(cellW / 2), cy, INK, { align: 'center' });
      const scale = scales[i];
      const plane = planes[i];
      if (scale && plane) r.drawValues(plane, x, y, im.width, im.height, scale, { sx, sy, nanColor: NAN_GRAY });
      else r.drawRgb(rgb[i]!, x, y, im.width, im.height, sx, sy);
      r.strokeRect(x - 1, y - 1, w + 2, h + 2, FRAME);
      if (mini && scale) drawMiniColorbar(r, scale, x, cy + titleH + tileH, w);
      tiles.push({ x, y, w, h });
    });
    const colorbar = sharedBar ? drawColorbar(r, sharedBar, ox + barX, oy + titleH, barH, spec.colorbarLabel) : null;
    return { tiles, pixel, scales, colorbar };
  });
}

/** An image grid as PNG bytes: vote and contribution maps per class, input images (see ImageGridSpec). */
export function imageGridPng(spec: ImageGridSpec): Buffer {
  return renderImageGrid(spec).raster.toPng();
}

// ---------------------------------------------------------------------------------------------
// Axes: tick labels on the left and at the bottom, rotated y label, x label under

// Space that y tick labels and a rotated y label take left of a plot.
function leftMargin(tickLabels: readonly string[], yLabel?: string): number {
  return (yLabel ? textHeight(1) + 10 : 0) + Math.max(0, ...tickLabels.map((t) => measureText(t))) + TICK + 4;
}

// Space under a plot: tick marks, one row of tick labels and the x label.
function bottomMargin(xLabel?: string): number {
  return TICK + 4 + textHeight(1) + (xLabel ? 10 + textHeight(1) : 0);
}

function drawAxisLabels(r: Raster, plot: Box, left: number, xLabel?: string, yLabel?: string): void {
  if (xLabel) {
    r.drawText(fitText(xLabel, plot.w + 120), plot.x + Math.floor(plot.w / 2), plot.y + plot.h + TICK + 4 + textHeight(1) + 10, INK, { align: 'center' });
  }
  if (yLabel) {
    r.drawText(fitText(yLabel, plot.h + 60), plot.x - left, plot.y + Math.floor(plot.h / 2), INK, { rotate: -90, align: 'center', baseline: 'top' });
  }
}

// Legend entries (and annotation lines under them) right of a plot; returns the width they take.
interface LegendEntry {
  readonly name: string;
  readonly color: Rgb;
  readonly kind: 'line' | 'box' | 'rule';
}

const LEGEND_MAX = 220;
const SWATCH = 20;
// Middle of the capitals of a scale-1 line, from its top.
const FONT_MID = 3;

function legendWidth(entries: readonly LegendEntry[], annotations: readonly string[]): number {
  const names = entries.map((e) => SWATCH + 6 + measureText(e.name));
  const notes = annotations.map((a) => measureText(a));
  return Math.min(LEGEND_MAX, Math.max(0, ...names, ...notes));
}

function legendHeight(entries: readonly LegendEntry[], annotations: readonly string[], width: number): number {
  const notes = annotations.flatMap((a) => wrapText(a, width)).length;
  return entries.length * (lineHeight(1) + 4) + (notes ? 6 + notes * lineHeight(1) : 0);
}

function drawLegend(r: Raster, x: number, y: number, width: number, entries: readonly LegendEntry[], annotations: readonly string[]): void {
  let ty = y;
  for (const e of entries) {
    const my = ty + FONT_MID;
    if (e.kind === 'line') {
      r.line(x, my + 0.5, x + SWATCH, my + 0.5, e.color, 2);
      r.fillCircle(x + SWATCH / 2, my + 0.5, 3, e.color);
    } else if (e.kind === 'box') {
      r.fillRect(x + 4, my - 5, SWATCH - 8, 11, e.color);
    } else {
      r.fillRect(x + 2, my - 1, SWATCH - 4, 2, e.color);
    }
    r.drawText(fitText(e.name, width - SWATCH - 6), x + SWATCH + 6, ty, INK);
    ty += lineHeight(1) + 4;
  }
  if (annotations.length) ty += 6;
  for (const line of annotations.flatMap((a) => wrapText(a, width))) {
    r.drawText(line, x, ty, MUTED);
    ty += lineHeight(1);
  }
}


// ---------------------------------------------------------------------------------------------
// Heat map

export interface HeatmapSpec {
  readonly title: string;
  /** Row-major: `values[row * cols + col]`. */
  readonly values: ArrayLike<number>;
  readonly rows: number;
  readonly cols: number;
  /** Default: row numbers. */
  readonly rowLabels?: readonly string[];
  /** Default: column numbers. */
  readonly colLabels?: readonly string[];
  readonly xLabel?: string;
  readonly yLabel?: string;
  /** Default 'viridis'; 'diverging' is white at 0 with symmetric limits. */
  readonly colormap?: 'diverging' | 'viridis' | 'gray';
  readonly colorbarLabel?: string;
}

export interface HeatmapLayout {
  /** The cells' area; cell (r, c) is at (x + c·cellW, y + r·cellH). */
  readonly grid: Box;
  readonly cellW: number;
  readonly cellH: number;
  readonly scale: ColorScale;
  readonly colorbar: Box;
}

/** Draws a heat map (rows × cols cells, labelled, with a colour bar) and returns it with its layout. */
export function renderHeatmap(spec: HeatmapSpec): Rendered<HeatmapLayout> {
  const { rows, cols } = spec;
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 1 || cols < 1) throw new Error(`Heat map '${spec.title}' has an invalid size ${rows} × ${cols}`);
  if (spec.values.length !== rows * cols) throw new Error(`Heat map '${spec.title}' has ${spec.values.length} values for ${rows} × ${cols}`);
  const map = mapOf(spec.colormap ?? 'viridis');
  const [lo, hi] = finiteRange([spec.values]);
  const scale = makeScale(map, [], lo > hi ? dataLimits([], map.diverging) : dataLimits([lo, hi], map.diverging));
  // Cells big enough to read, the whole map about 480 × 320 px at most unless it has more cells than that.
  const cellW = Math.max(1, Math.min(56, Math.floor(480 / cols)));
  const cellH = Math.max(1, Math.min(40, Math.floor(320 / rows)));
  const gridW = cols * cellW;
  const gridH = rows * cellH;
  const rowLabels = Array.from({ length: rows }, (_, i) => spec.rowLabels?.[i] ?? String(i));
  const colLabels = Array.from({ length: cols }, (_, i) => spec.colLabels?.[i] ?? String(i));
  const rowLabelW = Math.min(160, Math.max(...rowLabels.map((t) => measureText(t))));
  const rowEvery = Math.max(1, Math.ceil(lineHeight(1) / cellH));
  const colLabelW = Math.min(120, Math.max(...colLabels.map((t) => measureText(t))));
  const colEvery = Math.max(1, Math.ceil((colLabelW + 8) / cellW));
  const left = (spec.yLabel ? textHeight(1) + 10 : 0) + rowLabelW + TICK + 4;
  const barH = Math.max(80, gridH);
  const barX = left + gridW + 18;
  const contentW = barX + colorbarWidth(scale, barH, spec.colorbarLabel);
  const contentH = Math.max(gridH, barH) + bottomMargin(spec.xLabel);

  return compose(spec.title, contentW, contentH, (r, ox, oy) => {
    const grid: Box = { x: ox + left, y: oy, w: gridW, h: gridH };
    r.drawValues(spec.values, grid.x, grid.y, cols, rows, scale, { sx: cellW, sy: cellH, nanColor: NAN_GRAY });
    r.strokeRect(grid.x - 1, grid.y - 1, gridW + 2, gridH + 2, AXIS);
    for (let i = 0; i < rows; i += rowEvery) {
      const y = grid.y + i * cellH + Math.floor(cellH / 2);
      r.hline(grid.x - 1 - TICK, grid.x - 2, y, AXIS);
      r.drawText(fitText(rowLabels[i]!, rowLabelW), grid.x - TICK - 4, y, MUTED, { align: 'right', baseline: 'middle' });
    }
    for (let j = 0; j < cols; j += colEvery) {
      const x = grid.x + j * cellW + Math.floor(cellW / 2);
      r.vline(x, grid.y + gridH + 1, grid.y + gridH + TICK, AXIS);
      r.drawText(fitText(colLabels[j]!, colEvery * cellW - 4), x, grid.y + gridH + TICK + 4, MUTED, { align: 'center' });
    }
    drawAxisLabels(r, grid, left, spec.xLabel, spec.yLabel);
    const colorbar = drawColorbar(r, scale, ox + barX, oy, barH, spec.colorbarLabel);
    return { grid, cellW, cellH, scale, colorbar };
  });
}

/** A heat map as PNG bytes, e.g. the LLFC distance per layer × α (see HeatmapSpec). */
export function heatmapPng(spec: HeatmapSpec): Buffer {
  return renderHeatmap(spec).raster.toPng();
}

// ---------------------------------------------------------------------------------------------
// Line chart

export interface LineSeries {
  readonly name: string;
  readonly x: ArrayLike<number>;
  readonly y: ArrayLike<number>;
}

export interface LineChartSpec {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  /**
   * Curves in palette order. Points are marked (smaller markers past 60 points, none past 200);
   * a non-finite y breaks the curve.
   */
  readonly series: readonly LineSeries[];
  /** Lines of text under the legend, e.g. "barrier 0.90". */
  readonly annotations?: readonly string[];
}

/** Data ranges of a plot and where they are drawn: the pixel of (x, y) is plotPoint(frame, x, y). */
export interface PlotFrame {
  /** Inside of the axes frame. */
  readonly box: Box;
  readonly x: readonly [number, number];
  readonly y: readonly [number, number];
}

export interface LineChartLayout extends PlotFrame {
  readonly colors: readonly Rgb[];
}

/** Pixel coordinates (fractional; the pixel is their floor) of a data point in a plot frame. */
export function plotPoint(frame: PlotFrame, x: number, y: number): [number, number] {
  const { box } = frame;
  return [
    box.x + ((x - frame.x[0]) / (frame.x[1] - frame.x[0])) * box.w,
    box.y + box.h - ((y - frame.y[0]) / (frame.y[1] - frame.y[0])) * box.h,
  ];
}

// Data limits with a margin, so that markers at the extremes stay off the frame.
function paddedRange(lo: number, hi: number, margin: number): [number, number] {
  if (!(lo <= hi)) return [0, 1];
  if (lo === hi) {
    const d = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    return [lo - d, hi + d];
  }
  const d = (hi - lo) * margin;
  return [lo - d, hi + d];
}

const PLOT_W = 480;
const PLOT_H = 280;

/** Draws a line chart (see LineChartSpec) and returns it with its layout. */
export function renderLineChart(spec: LineChartSpec): Rendered<LineChartLayout> {
  spec.series.forEach((s) => {
    if (s.x.length !== s.y.length) throw new Error(`Line chart '${spec.title}': series '${s.name}' has ${s.x.length} x and ${s.y.length} y values`);
  });
  const [x0, x1] = finiteRange(spec.series.map((s) => s.x));
  const [y0, y1] = finiteRange(spec.series.map((s) => s.y));
  const xr = paddedRange(x0, x1, 0.04);
  const yr = paddedRange(y0, y1, 0.06);
  const xt = niceTicks(xr[0], xr[1], 6);
  const yt = niceTicks(yr[0], yr[1], 7);
  const yLabels = yt.values.map((v) => tickText(v, yt.step));
  const colors = spec.series.map((_, i) => seriesColor(i));
  const entries: LegendEntry[] = spec.series.map((s, i) => ({ name: s.name, color: colors[i]!, kind: 'line' }));
  const notes = spec.annotations ?? [];
  const legW = legendWidth(entries, notes);
  const left = leftMargin(yLabels, spec.yLabel);
  const lastX = measureText(tickText(xt.values[xt.values.length - 1] ?? 0, xt.step));
  const contentW = left + PLOT_W + Math.max(Math.ceil(lastX / 2), legW ? 20 + legW : 0);
  const contentH = Math.max(PLOT_H, legendHeight(entries, notes, legW)) + bottomMargin(spec.xLabel);

  return compose(spec.title, contentW, contentH, (r, ox, oy) => {
    const box: Box = { x: ox + left, y: oy, w: PLOT_W, h: PLOT_H };
    const frame: PlotFrame = { box, x: xr, y: yr };
    const right = box.x + box.w;
    const bottom = box.y + box.h;
    xt.values.forEach((v) => {
      const px = Math.floor(plotPoint(frame, v, yr[0])[0]);
      r.vline(px, box.y, bottom - 1, GRID);
      r.vline(px, bottom + 1, bottom + TICK, AXIS);
      r.drawText(tickText(v, xt.step), px, bottom + TICK + 4, MUTED, { align: 'center' });
    });
    yt.values.forEach((v, i) => {
      const py = Math.floor(plotPoint(frame, xr[0], v)[1]);
      r.hline(box.x, right - 1, py, GRID);
      r.hline(box.x - 1 - TICK, box.x - 2, py, AXIS);
      r.drawText(yLabels[i]!, box.x - TICK - 4, py, MUTED, { align: 'right', baseline: 'middle' });
    });
    // A zero line when zero is inside the y range: values of either sign read against it.
    if (yr[0] < 0 && yr[1] > 0) r.hline(box.x, right - 1, Math.floor(plotPoint(frame, xr[0], 0)[1]), FRAME);
    r.strokeRect(box.x - 1, box.y - 1, box.w + 2, box.h + 2, AXIS);
    const pts = spec.series.map((s) => Array.from({ length: s.x.length }, (_, i) => {
      const yv = s.y[i]!;
      const xv = s.x[i]!;
      return Number.isFinite(xv) && Number.isFinite(yv) ? plotPoint(frame, xv, yv) : [NaN, NaN] as [number, number];
    }));
    pts.forEach((p, i) => r.polyline(p, colors[i]!, 2));
    pts.forEach((p, i) => {
      const radius = p.length <= 60 ? 3 : p.length <= 200 ? 2 : 0;
      if (radius) for (const [px, py] of p) if (Number.isFinite(px)) r.fillCircle(px, py, radius, colors[i]!);
    });
    drawAxisLabels(r, box, left, spec.xLabel, spec.yLabel);
    if (legW) drawLegend(r, right + 20, box.y, legW, entries, notes);
    return { box, x: xr, y: yr, colors };
  });
}

/** A line chart as PNG bytes, e.g. loss along an interpolation path (see LineChartSpec). */
export function lineChartPng(spec: LineChartSpec): Buffer {
  return renderLineChart(spec).raster.toPng();
}

// ---------------------------------------------------------------------------------------------
// Bar chart

export interface BarSeries {
  readonly name: string;
  /** One value per category; non-finite values get no bar. */
  readonly values: ArrayLike<number>;
}

export interface BarChartSpec {
  readonly title: string;
  readonly categories: readonly string[];
  readonly series: readonly BarSeries[];
  /**
   * Stacked: per category, positive parts stack up from zero and negative parts down, and a dark
   * tick marks the net total (e.g. a logit split into A·x0 and b). Otherwise bars stand side by side.
   */
  readonly stacked?: boolean;
  readonly xLabel?: string;
  readonly yLabel?: string;
}

export interface BarChartLayout extends PlotFrame {
  /** Row of the zero line. */
  readonly zeroRow: number;
  /** bars[category][series]: the bar's pixels (h 0 for a zero or missing value). */
  readonly bars: readonly (readonly Box[])[];
  readonly colors: readonly Rgb[];
}

const BAR_PLOT_H = 260;

/** Draws a bar chart (see BarChartSpec) and returns it with its layout. */
export function renderBarChart(spec: BarChartSpec): Rendered<BarChartLayout> {
  const nc = spec.categories.length;
  const ns = spec.series.length;
  if (nc === 0 || ns === 0) throw new Error(`Bar chart '${spec.title}' has no bars`);
  spec.series.forEach((s) => {
    if (s.values.length !== nc) throw new Error(`Bar chart '${spec.title}': series '${s.name}' has ${s.values.length} values for ${nc} categories`);
  });
  const stacked = spec.stacked === true;
  const val = (k: number, c: number): number => {
    const v = spec.series[k]!.values[c]!;
    return Number.isFinite(v) ? v : 0;
  };
  let lo = 0;
  let hi = 0;
  for (let c = 0; c < nc; c++) {
    let pos = 0;
    let neg = 0;
    for (let k = 0; k < ns; k++) {
      const v = val(k, c);
      if (stacked) { if (v > 0) pos += v; else neg += v; } else { pos = Math.max(pos, v); neg = Math.min(neg, v); }
    }
    hi = Math.max(hi, pos);
    lo = Math.min(lo, neg);
  }
  const yr = niceRange(lo, hi, 6);
  const yt = niceTicks(yr[0], yr[1], 6);
  const yLabels = yt.values.map((v) => tickText(v, yt.step));
  const colors = spec.series.map((_, i) => seriesColor(i));
  const legend: LegendEntry[] = ns > 1 ? spec.series.map((s, i) => ({ name: s.name, color: colors[i]!, kind: 'box' })) : [];
  if (stacked && ns > 1) legend.push({ name: 'net total', color: INK, kind: 'rule' });
  const legW = legendWidth(legend, []);

  // Wide enough bands for the bars and, up to a point, for the category names; at most about 960 px in all.
  const widest = Math.max(...spec.categories.map((t) => measureText(t)));
  let band = Math.max(stacked ? 44 : ns * 18 + 14, Math.min(widest + 10, 100));
  if (band * nc > 960) band = Math.max(3, Math.floor(960 / nc));
  const barW = stacked ? Math.max(1, Math.min(32, Math.round(band * 0.6))) : Math.max(1, Math.min(22, Math.floor((band * 0.8) / ns)));
  const plotW = Math.max(200, band * nc);
  band = Math.floor(plotW / nc);
  const labelEvery = Math.max(1, Math.ceil((Math.min(widest, 100) + 6) / band));
  const left = leftMargin(yLabels, spec.yLabel);
  const contentW = left + band * nc + (legW ? 20 + legW : 0);
  const contentH = Math.max(BAR_PLOT_H, legendHeight(legend, [], legW)) + bottomMargin(spec.xLabel);

  return compose(spec.title, contentW, contentH, (r, ox, oy) => {
    const box: Box = { x: ox + left, y: oy, w: band * nc, h: BAR_PLOT_H };
    const frame: PlotFrame = { box, x: [0, nc], y: yr };
    const rowOf = (v: number): number => Math.round(plotPoint(frame, 0, v)[1]);
    const zeroRow = rowOf(0);
    const right = box.x + box.w;
    const bottom = box.y + box.h;
    yt.values.forEach((v, i) => {
      const py = Math.min(bottom, rowOf(v));
      if (py < bottom) r.hline(box.x, right - 1, py, GRID);
      r.hline(box.x - 1 - TICK, box.x - 2, py, AXIS);
      r.drawText(yLabels[i]!, box.x - TICK - 4, py, MUTED, { align: 'right', baseline: 'middle' });
    });
    // Rows of a bar from cumulative value `from` to `to`: above the zero row for positive parts,
    // below it for negative ones, so that bar heights are |value| in pixels up to rounding.
    const span = (from: number, to: number): [number, number] => {
      if (to >= from) return [rowOf(to), rowOf(from)];
      return [rowOf(from) + 1, rowOf(to) + 1];
    };
    const bars: Box[][] = [];
    const totals: [number, number, number][] = [];
    for (let c = 0; c < nc; c++) {
      const row: Box[] = [];
      let pos = 0;
      let neg = 0;
      for (let k = 0; k < ns; k++) {
        const v = val(k, c);
        let x: number, from: number;
        if (stacked) {
          x = box.x + c * band + Math.floor((band - barW) / 2);
          from = v >= 0 ? pos : neg;
          if (v >= 0) pos += v; else neg += v;
        } else {
          x = box.x + c * band + Math.floor((band - barW * ns) / 2) + k * barW;
          from = 0;
        }
        const [y0, y1] = span(from, from + v);
        const w = stacked || barW < 3 ? barW : barW - 1;
        const b: Box = { x, y: y0, w, h: Math.max(0, y1 - y0) };
        if (b.h > 0) r.fillRect(b.x, b.y, b.w, b.h, colors[k]!);
        row.push(b);
      }
      bars.push(row);
      if (stacked && ns > 1) totals.push([box.x + c * band + Math.floor((band - barW) / 2), rowOf(pos + neg), barW]);
    }
    r.hline(box.x, right - 1, zeroRow, AXIS);
    for (const [x, y, w] of totals) r.fillRect(x - 3, y - 1, w + 6, 2, INK);
    r.strokeRect(box.x - 1, box.y - 1, box.w + 2, box.h + 2, AXIS);
    for (let c = 0; c < nc; c += labelEvery) {
      const x = box.x + c * band + Math.floor(band / 2);
      r.vline(x, bottom + 1, bottom + TICK, AXIS);
      r.drawText(fitText(spec.categories[c]!, labelEvery * band - 4), x, bottom + TICK + 4, MUTED, { align: 'center' });
    }
    drawAxisLabels(r, box, left, spec.xLabel, spec.yLabel);
    if (legW) drawLegend(r, right + 20, box.y, legW, legend, []);
    return { box, x: [0, nc], y: yr, zeroRow, bars, colors };
  });
}

/** A bar chart as PNG bytes, grouped or stacked, e.g. logits split into A·x0 and b (see BarChartSpec). */
export function barChartPng(spec: BarChartSpec): Buffer {
  return renderBarChart(spec).raster.toPng();
}
