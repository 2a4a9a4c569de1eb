/**
 * What every figure offers (drawing, export, data), and the base of the figures that draw through
 * a Scene on one canvas with a hover readout and clickable cells.
 */
import type { JsonValue, SelectTarget } from '../../src/protocol/webview';
import { currentTheme, registerThemed, type Theme, type Themed } from '../lib/theme';
import { dataTable, type DataTableHandle, type TableData } from './dataTable';
import { canvasMeasure, drawScene, sceneToPng, sceneToSvg, type Measure, type Scene } from './scene';

export interface Figure extends Themed {
  readonly id: string;
  readonly title: string;
  /** The node to put in the page (the frame adds the caption and the toolbar around it). */
  readonly element: HTMLElement;
  /** Has an SVG export (drawn from shapes, not pixels). */
  readonly vector: boolean;
  /** The figure drawn in `theme` at `scale` × its on-screen size, with its title. */
  toPng(theme: Theme, scale: number): Promise<Blob>;
  /** Only when `vector`. */
  toSvg(theme: Theme): string;
  /** One header line, then one row per data point. */
  toCsv(): string;
  /** The figure's data, as received (typed arrays as plain arrays). */
  toJson(): JsonValue;
  destroy(): void;
}

export interface Box {
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

/** What is under the pointer. */
export interface Hit {
  /** Shown in the readout, e.g. "row 3, col 5: 0.125". */
  readonly label: string;
  readonly target: SelectTarget;
  /** Outlined while hovered, in CSS px of the canvas. */
  readonly box: Box;
}

export interface Layout {
  readonly scene: Scene;
  hitTest(x: number, y: number): Hit | null;
}

export interface SceneFigureOptions {
  /** Called on click of a cell, pixel or bar. */
  onSelect?: (target: SelectTarget) => void;
}

export abstract class SceneFigure implements Figure {
  readonly element: HTMLDivElement;
  readonly canvas: HTMLCanvasElement;
  readonly readout: HTMLDivElement;
  abstract readonly vector: boolean;
  protected layout: Layout | null = null;
  private theme: Theme;
  private painted: HTMLCanvasElement | null = null;
  private hovered: Hit | null = null;
  private lastWidth = 0;
  private readonly stopTheme: () => void;
  private readonly resize: ResizeObserver | null;
  private resizeQueued = false;
  private table: DataTableHandle | null = null;

  constructor(
    readonly id: string,
    readonly title: string,
    description: string | undefined,
    protected readonly options: SceneFigureOptions = {},
  ) {
    this.element = document.createElement('div');
    this.element.className = 'll-figure-body';
    this.canvas = document.createElement('canvas');
    this.canvas.className = 'll-canvas';
    this.canvas.setAttribute('role', 'img');
    this.canvas.setAttribute('aria-label', description ?? title);
    this.readout = document.createElement('div');
    this.readout.className = 'll-readout';
    this.readout.setAttribute('role', 'status');
    this.readout.setAttribute('aria-live', 'polite');
    this.element.append(this.canvas, this.readout);
    this.theme = currentTheme();

    this.canvas.addEventListener('pointermove', (e) => this.hover(this.hitAt(e)));
    this.canvas.addEventListener('pointerleave', () => this.hover(null));
    this.canvas.addEventListener('click', (e) => {
      const hit = this.hitAt(e);
      if (hit) this.options.onSelect?.(hit.target);
    });
    this.stopTheme = registerThemed(this);
    // Width-dependent layouts follow the panel; redraw at most once a frame, and only on change.
    this.resize = typeof ResizeObserver === 'undefined' ? null : new ResizeObserver(() => {
      if (this.resizeQueued) return;
      this.resizeQueued = true;
      requestAnimationFrame(() => {
        this.resizeQueued = false;
        if (this.availableWidth() !== this.lastWidth) this.render(this.theme);
      });
    });
    this.resize?.observe(this.element);
  }

  /** Lays the figure out for a theme and width; `forExport` adds the title into the picture. */
  protected abstract build(theme: Theme, width: number, measure: Measure, forExport: boolean): Layout;
  abstract toCsv(): string;
  abstract toJson(): JsonValue;

  render(theme: Theme): void {
    this.theme = theme;
    this.lastWidth = this.availableWidth();
    this.layout = this.build(theme, this.lastWidth, canvasMeasure(theme.fontFamily), false);
    drawScene(this.canvas, this.layout.scene, this.pixelRatio());
    this.painted = null;
    this.table?.refresh();
    const still = this.hovered;
    this.hovered = null;
    if (still) this.hover(this.layout.hitTest(still.box.x + still.box.w / 2, still.box.y + still.box.h / 2));
  }

  /** Adds the collapsed table of the figure's numbers under the canvas. */
  protected attachTable(source: () => TableData): void {
    this.table = dataTable(source);
    this.element.append(this.table.element);
  }

  toPng(theme: Theme, scale: number): Promise<Blob> {
    return sceneToPng(this.build(theme, this.lastWidth || 640, canvasMeasure(theme.fontFamily), true).scene, scale);
  }

  toSvg(theme: Theme): string {
    if (!this.vector) throw new Error(`'${this.title}' is a raster figure: export it as PNG`);
    return sceneToSvg(this.build(theme, this.lastWidth || 640, canvasMeasure(theme.fontFamily), true).scene);
  }

  /** The hit at a point in CSS px of the canvas (tests use it to find cells). */
  hitTest(x: number, y: number): Hit | null {
    return this.layout?.hitTest(x, y) ?? null;
  }

  destroy(): void {
    this.stopTheme();
    this.resize?.disconnect();
    this.element.remove();
  }

  protected availableWidth(): number {
    const w = this.element.clientWidth;
    return w > 0 ? w : 640;
  }

  private pixelRatio(): number {
    return Math.max(1, window.devicePixelRatio || 1);
  }

  private hitAt(e: MouseEvent): Hit | null {
    const r = this.canvas.getBoundingClientRect();
    return this.layout?.hitTest(e.clientX - r.left, e.clientY - r.top) ?? null;
  }

  private hover(hit: Hit | null): void {
    if (hit?.label === this.hovered?.label && hit?.box.x === this.hovered?.box.x) return;
    this.hovered = hit;
    this.readout.textContent = hit ? hit.label : '\u00a0';
    this.canvas.style.cursor = hit && this.options.onSelect ? 'pointer' : '';
    this.paintHighlight(hit);
  }

  // Hover must not rebuild the scene (a big map has many cells): keep a copy of the clean
  // drawing and put the outline on top of it.
  private paintHighlight(hit: Hit | null): void {
    const ctx = this.canvas.getContext('2d');
    if (!ctx) return;
    if (!this.painted) {
      if (!hit) return;
      this.painted = document.createElement('canvas');
      this.painted.width = this.canvas.width;
      this.painted.height = this.canvas.height;
      this.painted.getContext('2d')?.drawImage(this.canvas, 0, 0);
    }
    ctx.save();
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.drawImage(this.painted, 0, 0);
    if (hit) {
      const s = this.pixelRatio();
      ctx.strokeStyle = this.theme.highlight;
      ctx.lineWidth = Math.max(1, Math.round(s * 1.5));
      ctx.strokeRect(Math.round(hit.box.x * s) + 0.5, Math.round(hit.box.y * s) + 0.5, Math.round(hit.box.w * s) - 1, Math.round(hit.box.h * s) - 1);
    }
    ctx.restore();
  }
}

/** One CSV field, quoted when it needs to be. */
export function csvField(v: string | number | null | undefined): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'number' ? (Number.isNaN(v) ? 'NaN' : String(v)) : v;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvLines(header: readonly string[], rows: Iterable<readonly (string | number | null | undefined)[]>): string {
  const out = [header.map(csvField).join(',')];
  for (const r of rows) out.push(r.map(csvField).join(','));
  return out.join('\n') + '\n';
}

/** Plain arrays instead of typed ones, so JSON.stringify writes lists. */
export function plainNumbers(v: ArrayLike<number>): number[] {
  return Array.from(v);
}
