/**
 * Curves over x with uPlot on screen (cursor, live legend), and the same data drawn as a Scene for
 * PNG and SVG export (uPlot draws on a canvas only). Curves can grow point by point while the host
 * streams partial results; appends within one task are drawn once.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { CurvePoint, JsonValue, LineFigureSpec } from '../../src/protocol/webview';
import { currentTheme, fontOf, registerThemed, seriesColor, type Theme } from '../lib/theme';
import { dataTable, type DataTableHandle } from './dataTable';
import { csvLines, type Figure } from './figure';
import { canvasMeasure, sceneToPng, sceneToSvg, type Measure, type Scene, type Shape } from './scene';
import { formatTick, formatValue, niceRange, niceTicks } from './ticks';

export interface LineChartOptions {
  /** Plot height in CSS px (default 260). */
  height?: number;
}

interface SeriesData {
  readonly id: string;
  readonly label: string;
  readonly points: CurvePoint[];
}

const PAD = 8;

export class LineChart implements Figure {
  readonly vector = true;
  readonly id: string;
  readonly title: string;
  readonly element: HTMLDivElement;
  private readonly host: HTMLDivElement;
  private readonly xLabel: string;
  private readonly yLabel: string;
  private series: SeriesData[];
  private plot: uPlot | null = null;
  private theme: Theme;
  private flushQueued = false;
  private readonly stopTheme: () => void;
  private readonly resize: ResizeObserver | null;
  private readonly table: DataTableHandle;

  constructor(spec: LineFigureSpec, private readonly options: LineChartOptions = {}) {
    this.id = spec.id;
    this.title = spec.title;
    this.xLabel = spec.xLabel;
    this.yLabel = spec.yLabel;
    this.series = spec.series.map((s) => ({ id: s.id, label: s.label, points: sortedPoints(s.points) }));
    this.element = document.createElement('div');
    this.element.className = 'll-figure-body ll-line';
    this.host = document.createElement('div');
    this.host.setAttribute('role', 'img');
    this.host.setAttribute('aria-label', spec.description ?? spec.title);
    this.table = dataTable(() => {
      const [xs, ...ys] = this.aligned();
      return {
        caption: this.title,
        header: [this.xLabel, ...this.series.map((s) => s.label)],
        rows: Array.from(xs, (x, i) => [x, ...ys.map((y) => y[i] ?? null)]),
      };
    });
    this.element.append(this.host, this.table.element);
    this.theme = currentTheme();
    this.stopTheme = registerThemed(this);
    this.resize = typeof ResizeObserver === 'undefined' ? null : new ResizeObserver(() => {
      const w = this.width();
      if (this.plot && Math.abs(this.plot.width - w) >= 1) this.plot.setSize({ width: w, height: this.height() });
    });
    this.resize?.observe(this.element);
    this.render(this.theme);
  }

  /** The uPlot instance on screen (tests read its data). */
  get uplot(): uPlot | null {
    return this.plot;
  }

  /** Points of series `i` received so far. */
  pointCount(i: number): number {
    return this.series[i]?.points.length ?? 0;
  }

  seriesIndex(id: string): number {
    return this.series.findIndex((s) => s.id === id);
  }

  /**
   * Adds a point to series `i` (kept sorted by x; a repeated x replaces the old y). Drawn on the
   * next microtask, so a burst of points costs one redraw.
   */
  appendPoint(i: number, x: number, y: number): void {
    const s = this.series[i];
    if (!s) throw new Error(`Line chart '${this.title}' has no series ${i}`);
    insertPoint(s.points, { x, y });
    this.queueFlush();
  }

  /** appendPoint by series id; a new id starts a new series (labelled by its id). */
  appendById(seriesId: string, point: CurvePoint): void {
    let i = this.seriesIndex(seriesId);
    if (i < 0) {
      this.series.push({ id: seriesId, label: seriesId, points: [] });
      i = this.series.length - 1;
      insertPoint(this.series[i]!.points, point);
      this.render(this.theme);
      return;
    }
    this.appendPoint(i, point.x, point.y);
  }

  setData(spec: LineFigureSpec): void {
    this.series = spec.series.map((s) => ({ id: s.id, label: s.label, points: sortedPoints(s.points) }));
    this.render(this.theme);
  }

  render(theme: Theme): void {
    this.theme = theme;
    // uPlot bakes colours and fonts into its options: a new theme means a new instance.
    this.plot?.destroy();
    this.plot = new uPlot(this.uplotOptions(theme), this.aligned(), this.host);
    this.table?.refresh();
  }

  private queueFlush(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    queueMicrotask(() => {
      this.flushQueued = false;
      this.plot?.setData(this.aligned());
      this.table.refresh();
    });
  }

  private width(): number {
    const w = this.element.clientWidth;
    return Math.max(200, w > 0 ? w : 640);
  }

  private height(): number {
    return this.options.height ?? 260;
  }

  /** uPlot wants one x array shared by all series: the union of their x, with gaps as null. */
  private aligned(): uPlot.AlignedData {
    const xs = [...new Set(this.series.flatMap((s) => s.points.map((p) => p.x)))].sort((a, b) => a - b);
    const at = new Map(xs.map((x, i) => [x, i]));
    const ys = this.series.map((s) => {
      const y: (number | null)[] = new Array<number | null>(xs.length).fill(null);
      for (const p of s.points) y[at.get(p.x)!] = Number.isFinite(p.y) ? p.y : null;
      return y;
    });
    return [xs, ...ys] as uPlot.AlignedData;
  }

  private uplotOptions(theme: Theme): uPlot.Options {
    const small = Math.max(9, theme.fontSize - 2);
    const axis = (label: string): uPlot.Axis => ({
      label,
      stroke: theme.muted,
      font: fontOf(theme, small),
      labelFont: fontOf(theme, theme.fontSize),
      labelSize: theme.fontSize + 8,
      grid: { stroke: theme.grid, width: 1 },
      ticks: { stroke: theme.grid, width: 1, size: 4 },
    });
    const few = this.series.every((s) => s.points.length <= 60);
    return {
      width: this.width(),
      height: this.height(),
      scales: { x: { time: false } },
      axes: [axis(this.xLabel), axis(this.yLabel)],
      series: [
        { label: this.xLabel, value: (_u, v) => (v == null ? '–' : formatValue(v)) },
        ...this.series.map((s, i) => ({
          label: s.label,
          stroke: seriesColor(theme, i),
          width: 2,
          spanGaps: true,
          points: { show: few, size: 5, fill: seriesColor(theme, i) },
          value: (_u: uPlot, v: number | null) => (v == null ? '–' : formatValue(v)),
        })),
      ],
      legend: { show: true, live: true },
      cursor: { drag: { x: false, y: false } },
      hooks: {
        // uPlot's canvas is transparent; paint the theme background so PNG copies and pixel
        // checks see what the user sees.
        drawClear: [(u) => {
          u.ctx.save();
          u.ctx.fillStyle = theme.background;
          u.ctx.fillRect(0, 0, u.ctx.canvas.width, u.ctx.canvas.height);
          u.ctx.restore();
        }],
      },
    };
  }

  // ---------------------------------------------------------------------------------------------
  // Export

  /** The chart as a Scene: title, legend, axes with ticks, one path (and dots) per series. */
  scene(theme: Theme, measure: Measure = canvasMeasure(theme.fontFamily), width = this.width()): Scene {
    const font = theme.fontSize;
    const small = Math.max(9, font - 2);
    const pts = this.series.flatMap((s) => s.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y)));
    const xMin = pts.length ? Math.min(...pts.map((p) => p.x)) : 0;
    const xMax0 = pts.length ? Math.max(...pts.map((p) => p.x)) : 1;
    const xMax = xMax0 > xMin ? xMax0 : xMin + 1;
    const [yMin, yMax] = niceRange(pts.length ? Math.min(...pts.map((p) => p.y)) : 0, pts.length ? Math.max(...pts.map((p) => p.y)) : 1, 5);
    const yt = niceTicks(yMin, yMax, 5);
    const xt = niceTicks(xMin, xMax, 6);

    const shapes: Shape[] = [];
    let top = PAD;
    shapes.push({ kind: 'text', x: PAD, y: top, text: this.title, fill: theme.foreground, size: font + 2, weight: 'bold', baseline: 'top' });
    top += font + 4 + 8;
    let lx = PAD;
    this.series.forEach((s, i) => {
      const w = 18 + 4 + measure(s.label, small) + 14;
      if (lx + w > width - PAD && lx > PAD) { lx = PAD; top += small + 6; }
      shapes.push({ kind: 'line', x1: lx, y1: top + 6, x2: lx + 18, y2: top + 6, stroke: seriesColor(theme, i), lineWidth: 2 });
      shapes.push({ kind: 'text', x: lx + 22, y: top + 6, text: s.label, fill: theme.foreground, size: small, baseline: 'middle' });
      lx += w;
    });
    top += small + 12;

    const tickW = Math.max(0, ...yt.values.map((v) => measure(formatTick(v, yt.step), small)));
    const left = PAD + font + 6 + tickW + 6;
    const plot = { x: left, y: top, w: Math.max(100, width - left - PAD - 8), h: this.height() - 60 };
    const X = (x: number): number => plot.x + ((x - xMin) / (xMax - xMin)) * plot.w;
    const Y = (y: number): number => plot.y + plot.h * (1 - (y - yMin) / (yMax - yMin));

    for (const v of yt.values) {
      const y = Math.round(Y(v)) + 0.5;
      shapes.push({ kind: 'line', x1: plot.x, y1: y, x2: plot.x + plot.w, y2: y, stroke: theme.grid });
      shapes.push({ kind: 'text', x: plot.x - 6, y, text: formatTick(v, yt.step), fill: theme.muted, size: small, align: 'end', baseline: 'middle' });
    }
    for (const v of xt.values) {
      const x = Math.round(X(v)) + 0.5;
      shapes.push({ kind: 'line', x1: x, y1: plot.y, x2: x, y2: plot.y + plot.h, stroke: theme.grid });
      shapes.push({ kind: 'text', x, y: plot.y + plot.h + 5, text: formatTick(v, xt.step), fill: theme.muted, size: small, align: 'middle', baseline: 'top' });
    }
    shapes.push({ kind: 'rect', x: plot.x + 0.5, y: plot.y + 0.5, w: plot.w, h: plot.h, stroke: theme.muted });

    const dots = this.series.every((s) => s.points.length <= 60);
    this.series.forEach((s, i) => {
      const segments: [number, number][][] = [[]];
      for (const p of s.points) {
        if (Number.isFinite(p.y)) segments[segments.length - 1]!.push([X(p.x), Y(p.y)]);
        else if (segments[segments.length - 1]!.length) segments.push([]);
      }
      const color = seriesColor(theme, i);
      shapes.push({ kind: 'path', segments, stroke: color, lineWidth: 2, tags: { series: String(i), label: s.label } });
      if (dots) for (const seg of segments) for (const [x, y] of seg) shapes.push({ kind: 'circle', cx: x, cy: y, r: 2.5, fill: color });
    });

    const xLabelY = plot.y + plot.h + 5 + small + 8;
    shapes.push({ kind: 'text', x: plot.x + plot.w / 2, y: xLabelY, text: this.xLabel, fill: theme.foreground, size: font, align: 'middle', baseline: 'top' });
    shapes.push({ kind: 'text', x: PAD + font / 2, y: plot.y + plot.h / 2, text: this.yLabel, fill: theme.foreground, size: font, align: 'middle', baseline: 'middle', rotate: -90 });
    return { width, height: Math.ceil(xLabelY + font + 2 + PAD), background: theme.background, fontFamily: theme.fontFamily, title: this.title, shapes };
  }

  toPng(theme: Theme, scale: number): Promise<Blob> {
    return sceneToPng(this.scene(theme), scale);
  }

  toSvg(theme: Theme): string {
    return sceneToSvg(this.scene(theme));
  }

  toCsv(): string {
    const rows = this.series.flatMap((s) => s.points.map((p) => [s.label, p.x, p.y] as const));
    return csvLines(['series', 'x', 'y'], rows);
  }

  toJson(): JsonValue {
    return {
      kind: 'line', id: this.id, title: this.title, xLabel: this.xLabel, yLabel: this.yLabel,
      series: this.series.map((s) => ({ id: s.id, label: s.label, points: s.points.map((p) => ({ x: p.x, y: p.y })) })),
    };
  }

  destroy(): void {
    this.stopTheme();
    this.resize?.disconnect();
    this.plot?.destroy();
    this.plot = null;
    this.element.remove();
  }
}

function sortedPoints(points: readonly CurvePoint[]): CurvePoint[] {
  const out: CurvePoint[] = [];
  for (const p of points) insertPoint(out, p);
  return out;
}

// Points usually arrive in order of x (α sweeps): append is O(1) then; otherwise a sorted insert.
function insertPoint(points: CurvePoint[], p: CurvePoint): void {
  let i = points.length;
  while (i > 0 && points[i - 1]!.x > p.x) i--;
  if (i > 0 && points[i - 1]!.x === p.x) points[i - 1] = { x: p.x, y: p.y };
  else points.splice(i, 0, { x: p.x, y: p.y });
}
