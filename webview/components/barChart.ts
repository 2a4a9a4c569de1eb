/**
 * Bars per category, grouped or stacked, with negative values below a zero line. Stacks put the
 * positive parts above zero and the negative parts below (so a logit A·x₀ + b with terms of
 * opposite sign shows both), with a tick at the net total.
 */
import type { BarFigureSpec, JsonValue } from '../../src/protocol/webview';
import { currentTheme, seriesColor, type Theme } from '../lib/theme';
import { csvLines, plainNumbers, SceneFigure, type Box, type Hit, type Layout, type SceneFigureOptions } from './figure';
import { fitText, type Measure, type Shape } from './scene';
import { formatTick, formatValue, niceRange, niceTicks } from './ticks';

export interface BarChartOptions extends SceneFigureOptions {
  /** Plot height in CSS px (default 220). */
  height?: number;
}

const PAD = 8;

interface Bar {
  readonly box: Box;
  readonly category: number;
  readonly series: number;
}

export class BarChart extends SceneFigure {
  readonly vector = true;
  private spec: BarFigureSpec;

  constructor(spec: BarFigureSpec, private readonly barOptions: BarChartOptions = {}) {
    super(spec.id, spec.title, spec.description, barOptions);
    this.spec = checkSpec(spec);
    this.render(currentTheme());
    this.attachTable(() => ({
      caption: this.spec.title,
      header: [this.spec.xLabel ?? 'category', ...this.spec.series.map((x) => x.label)],
      rows: this.spec.categories.map((c, i) => [c, ...this.spec.series.map((x) => x.values[i]!)]),
    }));
  }

  setData(spec: BarFigureSpec): void {
    this.spec = checkSpec(spec);
    this.render(currentTheme());
  }

  /** Where bar (category, series) is, in CSS px (null for a zero-height bar). */
  barBox(category: number, series: number): Box | null {
    return (this.layout as BarLayout | null)?.bars.find((b) => b.category === category && b.series === series)?.box ?? null;
  }

  private stacked(): boolean {
    return this.spec.mode === 'stacked';
  }

  private extent(): [number, number] {
    const s = this.spec;
    let lo = 0;
    let hi = 0;
    for (let c = 0; c < s.categories.length; c++) {
      let pos = 0;
      let neg = 0;
      for (const ser of s.series) {
        const v = ser.values[c]!;
        if (!Number.isFinite(v)) continue;
        if (this.stacked()) { if (v >= 0) pos += v; else neg += v; } else { pos = Math.max(pos, v); neg = Math.min(neg, v); }
      }
      hi = Math.max(hi, pos);
      lo = Math.min(lo, neg);
    }
    return niceRange(lo, hi, 5);
  }

  protected build(theme: Theme, width: number, measure: Measure, forExport: boolean): BarLayout {
    const s = this.spec;
    const font = theme.fontSize;
    const small = Math.max(9, font - 2);
    const [lo, hi] = this.extent();
    const { values: ticks, step } = niceTicks(lo, hi, 5);
    const tickW = Math.max(0, ...ticks.map((v) => measure(formatTick(v, step), small)));
    const shapes: Shape[] = [];
    let top = PAD;
    if (forExport) {
      shapes.push({ kind: 'text', x: PAD, y: PAD, text: s.title, fill: theme.foreground, size: font + 2, weight: 'bold', baseline: 'top' });
      top += font + 4 + 8;
    }
    // Legend first: its height depends on how many entries fit on a line.
    let lx = PAD;
    const legendItems: Shape[] = [];
    s.series.forEach((ser, i) => {
      const w = 12 + 4 + measure(ser.label, small) + 14;
      if (lx + w > width - PAD && lx > PAD) { lx = PAD; top += small + 6; }
      legendItems.push({ kind: 'rect', x: lx, y: top + 1, w: 10, h: 10, fill: seriesColor(theme, i) });
      legendItems.push({ kind: 'text', x: lx + 14, y: top + 6, text: ser.label, fill: theme.foreground, size: small, baseline: 'middle' });
      lx += w;
    });
    shapes.push(...legendItems);
    top += small + 10;

    const left = PAD + (s.yLabel ? font + 6 : 0) + tickW + 6;
    const plotH = this.barOptions.height ?? 220;
    // Bars wider than a few dozen pixels carry no more information: cap the plot's width.
    const natural = s.categories.length * (this.stacked() ? 64 : 26 * s.series.length + 20);
    const plot = { x: left, y: top, w: Math.max(80, Math.min(width - left - PAD, Math.max(240, natural))), h: plotH };
    const yOf = (v: number): number => plot.y + plot.h * (1 - (v - lo) / (hi - lo));

    for (const v of ticks) {
      const y = Math.round(yOf(v)) + 0.5;
      shapes.push({ kind: 'line', x1: plot.x, y1: y, x2: plot.x + plot.w, y2: y, stroke: theme.grid });
      shapes.push({ kind: 'text', x: plot.x - 6, y, text: formatTick(v, step), fill: theme.muted, size: small, align: 'end', baseline: 'middle' });
    }

    const nc = s.categories.length;
    const ns = s.series.length;
    const band = plot.w / nc;
    const bars: Bar[] = [];
    const totals: Shape[] = [];
    for (let c = 0; c < nc; c++) {
      let pos = 0;
      let neg = 0;
      for (let k = 0; k < ns; k++) {
        const v = s.series[k]!.values[c]!;
        if (!Number.isFinite(v)) continue;
        let x: number, w: number, from: number, to: number;
        if (this.stacked()) {
          w = band * 0.6;
          x = plot.x + c * band + (band - w) / 2;
          from = v >= 0 ? pos : neg;
          to = from + v;
          if (v >= 0) pos = to; else neg = to;
        } else {
          const inner = band * 0.8;
          w = inner / ns;
          x = plot.x + c * band + (band - inner) / 2 + k * w;
          from = 0;
          to = v;
        }
        const y1 = yOf(Math.max(from, to));
        const y2 = yOf(Math.min(from, to));
        const box = { x, y: y1, w: Math.max(1, w - (this.stacked() ? 0 : 1)), h: Math.max(v === 0 ? 0 : 1, y2 - y1) };
        bars.push({ box, category: c, series: k });
        shapes.push({ kind: 'rect', ...box, fill: seriesColor(theme, k), tags: { bar: `${c}:${k}`, series: String(k) } });
      }
      if (this.stacked() && ns > 1) {
        const w = band * 0.6;
        const x = plot.x + c * band + (band - w) / 2 - 3;
        const y = yOf(pos + neg);
        totals.push({ kind: 'line', x1: x, y1: y, x2: x + w + 6, y2: y, stroke: theme.foreground, lineWidth: 2 });
      }
    }
    shapes.push(...totals);
    const zy = Math.round(yOf(0)) + 0.5;
    shapes.push({ kind: 'line', x1: plot.x, y1: zy, x2: plot.x + plot.w, y2: zy, stroke: theme.foreground });

    // Category names: all when they fit, else every k-th, never overlapping.
    const widest = Math.max(0, ...s.categories.map((t) => measure(t, small)));
    const every = Math.max(1, Math.ceil((Math.min(widest, 120) + 8) / band));
    s.categories.forEach((t, c) => {
      if (c % every !== 0) return;
      shapes.push({ kind: 'text', x: plot.x + (c + 0.5) * band, y: plot.y + plot.h + 5, text: fitText(t, every * band - 4, small, measure), fill: theme.muted, size: small, align: 'middle', baseline: 'top' });
    });
    let bottom = plot.y + plot.h + 5 + small + 2;
    if (s.xLabel) {
      shapes.push({ kind: 'text', x: plot.x + plot.w / 2, y: bottom + 6, text: s.xLabel, fill: theme.foreground, size: font, align: 'middle', baseline: 'top' });
      bottom += 6 + font + 2;
    }
    if (s.yLabel) {
      shapes.push({ kind: 'text', x: PAD + font / 2, y: plot.y + plot.h / 2, text: s.yLabel, fill: theme.foreground, size: font, align: 'middle', baseline: 'middle', rotate: -90 });
    }
    return {
      scene: { width: Math.ceil(plot.x + plot.w + PAD), height: Math.ceil(bottom + PAD), background: theme.background, fontFamily: theme.fontFamily, title: s.title, shapes },
      bars,
      hitTest: (x, y) => this.hit(bars, plot, band, x, y),
    };
  }

  private hit(bars: readonly Bar[], plot: Box, band: number, x: number, y: number): Hit | null {
    const s = this.spec;
    if (x < plot.x || x >= plot.x + plot.w || y < plot.y - 4 || y > plot.y + plot.h + 4) return null;
    const c = Math.floor((x - plot.x) / band);
    // Thin bars are hard to hit: pick the bar of the category whose span is nearest the pointer.
    let best: Bar | null = null;
    let bestD = Infinity;
    for (const b of bars) {
      if (b.category !== c) continue;
      const dx = x < b.box.x ? b.box.x - x : x > b.box.x + b.box.w ? x - b.box.x - b.box.w : 0;
      const dy = y < b.box.y ? b.box.y - y : y > b.box.y + b.box.h ? y - b.box.y - b.box.h : 0;
      const d = dx + dy;
      if (d < bestD) { bestD = d; best = b; }
    }
    if (!best || bestD > 6) return null;
    const v = s.series[best.series]!.values[best.category]!;
    let label = `${s.categories[best.category]}, ${s.series[best.series]!.label}: ${formatValue(v)}`;
    if (this.stacked() && s.series.length > 1) {
      const total = s.series.reduce((a, ser) => a + (Number.isFinite(ser.values[best!.category]!) ? ser.values[best!.category]! : 0), 0);
      label += ` (total ${formatValue(total)})`;
    }
    return { label, target: { kind: 'bar', category: best.category, series: best.series }, box: best.box };
  }

  toCsv(): string {
    const s = this.spec;
    const rows = function* () {
      for (let c = 0; c < s.categories.length; c++) for (const ser of s.series) yield [s.categories[c]!, ser.label, ser.values[c]!];
    };
    return csvLines(['category', 'series', 'value'], rows());
  }

  toJson(): JsonValue {
    const { categories, series, ...rest } = this.spec;
    return { ...rest, categories: [...categories], series: series.map((ser) => ({ ...ser, values: plainNumbers(ser.values) })) } as JsonValue;
  }
}

interface BarLayout extends Layout {
  readonly bars: readonly Bar[];
}

function checkSpec(s: BarFigureSpec): BarFigureSpec {
  if (s.categories.length === 0 || s.series.length === 0) throw new Error(`Bar chart '${s.title}' has no bars`);
  for (const ser of s.series) {
    if (ser.values.length !== s.categories.length) {
      throw new Error(`Bar chart '${s.title}': series '${ser.label}' has ${ser.values.length} values for ${s.categories.length} categories`);
    }
  }
  return s;
}
