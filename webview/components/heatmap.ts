/**
 * A 2-D array as a pixel-exact heat map: every cell is a whole number of pixels of one flat colour
 * (no smoothing), with optional row and column names, a colour bar, a hover readout and clicks.
 */
import type { HeatmapFigureSpec, JsonValue } from '../../src/protocol/webview';
import { currentTheme, type Theme } from '../lib/theme';
import { getColormap, makeScale, paintRgba, type ColorScale } from './colormap';
import { colorbarShapes, colorbarWidth } from './colorbar';
import { csvLines, plainNumbers, SceneFigure, type Box, type Hit, type Layout, type SceneFigureOptions } from './figure';
import { fitText, type Measure, type Shape } from './scene';
import { formatValue } from './ticks';

export interface HeatmapOptions extends SceneFigureOptions {
  /** CSS px per cell (a whole number); by default the largest that keeps the map within `maxSize`. */
  cellSize?: number;
  /** Longest side of the map in CSS px when the cell size is automatic (default 360). */
  maxSize?: number;
}

const PAD = 8;

export class Heatmap extends SceneFigure {
  readonly vector = false;
  private spec: HeatmapFigureSpec;
  private scaleCache: ColorScale | null = null;

  constructor(spec: HeatmapFigureSpec, private readonly heatOptions: HeatmapOptions = {}) {
    super(spec.id, spec.title, spec.description, heatOptions);
    checkSpec(spec);
    this.spec = spec;
    this.render(currentTheme());
    // A table of a few hundred cells is readable; an image's worth of them is not.
    if (spec.rows * spec.cols <= 1024) {
      this.attachTable(() => {
        const s = this.spec;
        const colNames = Array.from({ length: s.cols }, (_, c) => s.colLabels?.[c] ?? `col ${c}`);
        return {
          caption: s.title,
          header: ['', ...colNames],
          rows: Array.from({ length: s.rows }, (_, r) => [s.rowLabels?.[r] ?? `row ${r}`, ...Array.from({ length: s.cols }, (_, c) => s.values[r * s.cols + c]!)]),
        };
      });
    }
  }

  /** Replaces the data and redraws. */
  setData(spec: HeatmapFigureSpec): void {
    checkSpec(spec);
    this.spec = spec;
    this.scaleCache = null;
    this.render(currentTheme());
  }

  get colorScale(): ColorScale {
    return (this.scaleCache ??= makeScale(getColormap(this.spec.colormap ?? 'viridis'), this.spec.values, this.spec.limits));
  }

  valueAt(row: number, col: number): number {
    return this.spec.values[row * this.spec.cols + col]!;
  }

  /** Where cell (row, col) is on the canvas, in CSS px. */
  cellBox(row: number, col: number): Box | null {
    const l = this.layout as HeatLayout | null;
    if (!l) return null;
    return { x: l.plot.x + col * l.cell, y: l.plot.y + row * l.cell, w: l.cell, h: l.cell };
  }

  protected build(theme: Theme, width: number, measure: Measure, forExport: boolean): HeatLayout {
    const s = this.spec;
    const scale = this.colorScale;
    const font = theme.fontSize;
    const small = Math.max(9, font - 2);
    const titleH = forExport ? Math.ceil(font + 4 + 10) : 0;
    const rowLabelW = s.rowLabels ? Math.max(0, ...s.rowLabels.map((t) => measure(t, small))) + 6 : 0;
    // Whole pixels, so that cells fall on device pixels (pixel-exact colours).
    const left = Math.ceil(PAD + (s.yLabel ? font + 6 : 0) + rowLabelW);
    const barSpace = 14 + colorbarWidth(scale, theme, measure, s.valueLabel);
    const maxSide = this.heatOptions.maxSize ?? 360;
    const fitW = Math.max(1, width - left - barSpace - PAD);
    const cell = Math.max(1, Math.floor(this.heatOptions.cellSize ??
      Math.min(Math.floor(Math.min(maxSide, fitW) / s.cols), Math.floor(maxSide / s.rows))));
    const plot = { x: left, y: PAD + titleH, w: s.cols * cell, h: s.rows * cell };
    const barH = Math.max(plot.h, 80);

    const shapes: Shape[] = [];
    if (forExport) shapes.push({ kind: 'text', x: PAD, y: PAD, text: s.title, fill: theme.foreground, size: font + 2, weight: 'bold', baseline: 'top' });

    const rgba = new Uint8ClampedArray(s.rows * s.cols * 4);
    paintRgba(scale, s.values, rgba);
    shapes.push({ kind: 'raster', ...plot, width: s.cols, height: s.rows, rgba });
    shapes.push({ kind: 'rect', x: plot.x - 0.5, y: plot.y - 0.5, w: plot.w + 1, h: plot.h + 1, stroke: theme.grid });

    if (s.rowLabels) {
      const every = Math.ceil((small + 2) / cell);
      s.rowLabels.forEach((t, r) => {
        if (r % every === 0) shapes.push({ kind: 'text', x: plot.x - 6, y: plot.y + (r + 0.5) * cell, text: t, fill: theme.muted, size: small, align: 'end', baseline: 'middle' });
      });
    }
    let bottom = plot.y + Math.max(plot.h, barH);
    if (s.colLabels) {
      const widest = Math.max(0, ...s.colLabels.map((t) => measure(t, small)));
      const every = Math.ceil((Math.min(widest, 80) + 6) / cell);
      s.colLabels.forEach((t, c) => {
        if (c % every === 0) {
          shapes.push({ kind: 'text', x: plot.x + (c + 0.5) * cell, y: plot.y + plot.h + 4, text: fitText(t, every * cell - 2, small, measure), fill: theme.muted, size: small, align: 'middle', baseline: 'top' });
        }
      });
      bottom = Math.max(bottom, plot.y + plot.h + 4 + small + 2);
    }
    if (s.xLabel) {
      shapes.push({ kind: 'text', x: plot.x + plot.w / 2, y: bottom + 6, text: s.xLabel, fill: theme.foreground, size: font, align: 'middle', baseline: 'top' });
      bottom += 6 + font + 2;
    }
    if (s.yLabel) {
      shapes.push({ kind: 'text', x: PAD + font / 2, y: plot.y + plot.h / 2, text: s.yLabel, fill: theme.foreground, size: font, align: 'middle', baseline: 'middle', rotate: -90 });
    }
    const barX = plot.x + plot.w + 14;
    shapes.push(...colorbarShapes(scale, barX, plot.y, barH, theme, measure, s.valueLabel));

    const sceneW = Math.ceil(Math.max(barX + barSpace - 14 + PAD, forExport ? PAD * 2 + measure(s.title, font + 2, 'bold') : 0));
    return {
      scene: { width: sceneW, height: Math.ceil(bottom + PAD), background: theme.background, fontFamily: theme.fontFamily, title: s.title, shapes },
      plot,
      cell,
      hitTest: (x, y) => this.hit(plot, cell, x, y),
    };
  }

  private hit(plot: Box, cell: number, x: number, y: number): Hit | null {
    const s = this.spec;
    const col = Math.floor((x - plot.x) / cell);
    const row = Math.floor((y - plot.y) / cell);
    if (x < plot.x || y < plot.y || row < 0 || col < 0 || row >= s.rows || col >= s.cols) return null;
    const rowName = s.rowLabels?.[row] ?? `row ${row}`;
    const colName = s.colLabels?.[col] ?? `col ${col}`;
    return {
      label: `${rowName}, ${colName}: ${formatValue(this.valueAt(row, col))}`,
      target: { kind: 'pixel', row, col },
      box: { x: plot.x + col * cell, y: plot.y + row * cell, w: cell, h: cell },
    };
  }

  toCsv(): string {
    const s = this.spec;
    const named = Boolean(s.rowLabels || s.colLabels);
    const header = named ? ['row', 'col', 'row_label', 'col_label', 'value'] : ['row', 'col', 'value'];
    const rows = function* () {
      for (let r = 0; r < s.rows; r++) {
        for (let c = 0; c < s.cols; c++) {
          const v = s.values[r * s.cols + c]!;
          yield named ? [r, c, s.rowLabels?.[r] ?? '', s.colLabels?.[c] ?? '', v] : [r, c, v];
        }
      }
    };
    return csvLines(header, rows());
  }

  toJson(): JsonValue {
    const { values, limits, rowLabels, colLabels, ...rest } = this.spec;
    return {
      ...rest,
      values: plainNumbers(values),
      ...(limits ? { limits: [...limits] } : {}),
      ...(rowLabels ? { rowLabels: [...rowLabels] } : {}),
      ...(colLabels ? { colLabels: [...colLabels] } : {}),
    } as JsonValue;
  }
}

interface HeatLayout extends Layout {
  readonly plot: Box;
  readonly cell: number;
}

function checkSpec(s: HeatmapFigureSpec): void {
  if (!Number.isInteger(s.rows) || !Number.isInteger(s.cols) || s.rows <= 0 || s.cols <= 0) {
    throw new Error(`Heat map '${s.title}': rows and cols must be positive integers (got ${s.rows} × ${s.cols})`);
  }
  if (s.values.length !== s.rows * s.cols) {
    throw new Error(`Heat map '${s.title}': ${s.values.length} values for ${s.rows} × ${s.cols} cells`);
  }
}
