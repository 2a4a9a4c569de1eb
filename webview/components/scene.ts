/**
 * A figure as a flat list of shapes in CSS pixels. Heat maps, image grids and bar charts draw
 * through it on screen; every figure draws through it for export. One description, two writers
 * (canvas and SVG), so a saved SVG shows exactly what the PNG shows.
 */

export type TextAlign = 'start' | 'middle' | 'end';
export type TextBaseline = 'top' | 'middle' | 'bottom' | 'alphabetic';

/** Extra attributes written into SVG as data-* (tests and scripts find series and bars by them). */
export type ShapeTags = Readonly<Record<string, string>>;

export type Shape =
  | { readonly kind: 'rect'; readonly x: number; readonly y: number; readonly w: number; readonly h: number;
      readonly fill?: string; readonly stroke?: string; readonly lineWidth?: number; readonly tags?: ShapeTags }
  | { readonly kind: 'line'; readonly x1: number; readonly y1: number; readonly x2: number; readonly y2: number;
      readonly stroke: string; readonly lineWidth?: number; readonly dash?: readonly number[] }
  | { readonly kind: 'path'; readonly segments: readonly (readonly (readonly [number, number])[])[];
      readonly stroke: string; readonly lineWidth?: number; readonly tags?: ShapeTags }
  | { readonly kind: 'circle'; readonly cx: number; readonly cy: number; readonly r: number; readonly fill: string }
  | { readonly kind: 'text'; readonly x: number; readonly y: number; readonly text: string; readonly fill: string;
      readonly size: number; readonly weight?: 'normal' | 'bold'; readonly align?: TextAlign;
      readonly baseline?: TextBaseline; readonly rotate?: number }
  // Pixels drawn nearest-neighbour into the box: a value must stay one flat colour per cell.
  | { readonly kind: 'raster'; readonly x: number; readonly y: number; readonly w: number; readonly h: number;
      readonly width: number; readonly height: number; readonly rgba: Uint8ClampedArray };

export interface Scene {
  readonly width: number;
  readonly height: number;
  readonly background: string;
  readonly fontFamily: string;
  readonly title: string;
  readonly shapes: readonly Shape[];
}

/** Text width in CSS px at a size; scenes are laid out with it before they are drawn. */
export type Measure = (text: string, size: number, weight?: 'normal' | 'bold') => number;

let measureCtx: CanvasRenderingContext2D | null = null;

/** A Measure backed by a canvas, for a font family. */
export function canvasMeasure(fontFamily: string): Measure {
  return (text, size, weight = 'normal') => {
    measureCtx ??= document.createElement('canvas').getContext('2d');
    if (!measureCtx) return text.length * size * 0.6;
    measureCtx.font = `${weight === 'bold' ? '600 ' : ''}${size}px ${fontFamily}`;
    return measureCtx.measureText(text).width;
  };
}

/** Shortens `text` with an ellipsis until it fits `maxWidth`. */
export function fitText(text: string, maxWidth: number, size: number, measure: Measure): string {
  if (measure(text, size) <= maxWidth) return text;
  let s = text;
  while (s.length > 1 && measure(s + '…', size) > maxWidth) s = s.slice(0, -1);
  return s + '…';
}

// ---------------------------------------------------------------------------------------------
// Canvas

/**
 * Sizes `canvas` for the scene at `scale` device pixels per CSS pixel and draws it. The CSS size is
 * set through the CSSOM (allowed under a strict style-src, unlike a style attribute).
 */
export function drawScene(canvas: HTMLCanvasElement, scene: Scene, scale: number, setCssSize = true): void {
  const w = Math.max(1, Math.round(scene.width * scale));
  const h = Math.max(1, Math.round(scene.height * scale));
  if (canvas.width !== w) canvas.width = w;
  if (canvas.height !== h) canvas.height = h;
  if (setCssSize) {
    canvas.style.width = `${scene.width}px`;
    canvas.style.height = `${scene.height}px`;
  }
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('Canvas 2D is not available in this webview');
  ctx.setTransform(scale, 0, 0, scale, 0, 0);
  ctx.fillStyle = scene.background;
  ctx.fillRect(0, 0, scene.width, scene.height);
  for (const s of scene.shapes) drawShape(ctx, s, scene.fontFamily, scale);
}

const ALIGN: Record<TextAlign, CanvasTextAlign> = { start: 'left', middle: 'center', end: 'right' };

function drawShape(ctx: CanvasRenderingContext2D, s: Shape, fontFamily: string, scale: number): void {
  switch (s.kind) {
    case 'rect':
      if (s.fill) { ctx.fillStyle = s.fill; ctx.fillRect(s.x, s.y, s.w, s.h); }
      if (s.stroke) { ctx.strokeStyle = s.stroke; ctx.lineWidth = s.lineWidth ?? 1; ctx.strokeRect(s.x, s.y, s.w, s.h); }
      return;
    case 'line':
      ctx.beginPath();
      ctx.strokeStyle = s.stroke;
      ctx.lineWidth = s.lineWidth ?? 1;
      ctx.setLineDash(s.dash ? [...s.dash] : []);
      ctx.moveTo(s.x1, s.y1);
      ctx.lineTo(s.x2, s.y2);
      ctx.stroke();
      ctx.setLineDash([]);
      return;
    case 'path':
      ctx.beginPath();
      ctx.strokeStyle = s.stroke;
      ctx.lineWidth = s.lineWidth ?? 1.5;
      ctx.lineJoin = 'round';
      for (const seg of s.segments) seg.forEach(([x, y], i) => (i === 0 ? ctx.moveTo(x, y) : ctx.lineTo(x, y)));
      ctx.stroke();
      return;
    case 'circle':
      ctx.beginPath();
      ctx.fillStyle = s.fill;
      ctx.arc(s.cx, s.cy, s.r, 0, Math.PI * 2);
      ctx.fill();
      return;
    case 'text':
      ctx.save();
      ctx.fillStyle = s.fill;
      ctx.font = `${s.weight === 'bold' ? '600 ' : ''}${s.size}px ${fontFamily}`;
      ctx.textAlign = ALIGN[s.align ?? 'start'];
      ctx.textBaseline = s.baseline ?? 'alphabetic';
      ctx.translate(s.x, s.y);
      if (s.rotate) ctx.rotate((s.rotate * Math.PI) / 180);
      ctx.fillText(s.text, 0, 0);
      ctx.restore();
      return;
    case 'raster': {
      const src = rasterCanvas(s.width, s.height, s.rgba);
      ctx.save();
      ctx.imageSmoothingEnabled = false;
      // Snap to device pixels so that every cell is a whole number of them (pixel-exact maps).
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      ctx.drawImage(src, Math.round(s.x * scale), Math.round(s.y * scale), Math.round(s.w * scale), Math.round(s.h * scale));
      ctx.restore();
      return;
    }
  }
}

function rasterCanvas(width: number, height: number, rgba: Uint8ClampedArray): HTMLCanvasElement {
  const c = document.createElement('canvas');
  c.width = width;
  c.height = height;
  const ctx = c.getContext('2d');
  if (!ctx) throw new Error('Canvas 2D is not available in this webview');
  ctx.putImageData(new ImageData(new Uint8ClampedArray(rgba), width, height), 0, 0);
  return c;
}

/** The scene as a PNG at `scale` × its CSS size. */
export function sceneToPng(scene: Scene, scale: number): Promise<Blob> {
  const canvas = document.createElement('canvas');
  drawScene(canvas, scene, scale, false);
  return canvasToPng(canvas);
}

export function canvasToPng(canvas: HTMLCanvasElement): Promise<Blob> {
  return new Promise((resolve, reject) =>
    canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('The figure could not be encoded as PNG'))), 'image/png'));
}

// ---------------------------------------------------------------------------------------------
// SVG

const SVG_BASELINE: Record<TextBaseline, string> = { top: 'hanging', middle: 'central', bottom: 'text-after-edge', alphabetic: 'alphabetic' };

/** A standalone SVG document of the scene. Rasters become embedded PNGs (needs a DOM canvas). */
export function sceneToSvg(scene: Scene): string {
  const n = (v: number): string => String(Math.round(v * 100) / 100);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${n(scene.width)}" height="${n(scene.height)}" viewBox="0 0 ${n(scene.width)} ${n(scene.height)}" font-family="${esc(scene.fontFamily)}">`);
  out.push(`<title>${esc(scene.title)}</title>`);
  out.push(`<rect x="0" y="0" width="${n(scene.width)}" height="${n(scene.height)}" fill="${esc(scene.background)}"/>`);
  for (const s of scene.shapes) {
    switch (s.kind) {
      case 'rect':
        out.push(`<rect x="${n(s.x)}" y="${n(s.y)}" width="${n(s.w)}" height="${n(s.h)}" fill="${s.fill ? esc(s.fill) : 'none'}"${s.stroke ? ` stroke="${esc(s.stroke)}" stroke-width="${n(s.lineWidth ?? 1)}"` : ''}${tags(s.tags)}/>`);
        break;
      case 'line':
        out.push(`<line x1="${n(s.x1)}" y1="${n(s.y1)}" x2="${n(s.x2)}" y2="${n(s.y2)}" stroke="${esc(s.stroke)}" stroke-width="${n(s.lineWidth ?? 1)}"${s.dash ? ` stroke-dasharray="${s.dash.join(' ')}"` : ''}/>`);
        break;
      case 'path': {
        const d = s.segments.filter((seg) => seg.length > 0)
          .map((seg) => seg.map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${n(x)} ${n(y)}`).join(' ')).join(' ');
        out.push(`<path d="${d}" fill="none" stroke="${esc(s.stroke)}" stroke-width="${n(s.lineWidth ?? 1.5)}" stroke-linejoin="round"${tags(s.tags)}/>`);
        break;
      }
      case 'circle':
        out.push(`<circle cx="${n(s.cx)}" cy="${n(s.cy)}" r="${n(s.r)}" fill="${esc(s.fill)}"/>`);
        break;
      case 'text': {
        const rot = s.rotate ? ` transform="rotate(${s.rotate} ${n(s.x)} ${n(s.y)})"` : '';
        out.push(`<text x="${n(s.x)}" y="${n(s.y)}" font-size="${n(s.size)}" fill="${esc(s.fill)}" text-anchor="${s.align ?? 'start'}" dominant-baseline="${SVG_BASELINE[s.baseline ?? 'alphabetic']}"${s.weight === 'bold' ? ' font-weight="600"' : ''}${rot}>${esc(s.text)}</text>`);
        break;
      }
      case 'raster': {
        const c = rasterCanvas(s.width, s.height, s.rgba);
        out.push(`<image x="${n(s.x)}" y="${n(s.y)}" width="${n(s.w)}" height="${n(s.h)}" preserveAspectRatio="none" image-rendering="pixelated" href="${c.toDataURL('image/png')}"/>`);
        break;
      }
    }
  }
  out.push('</svg>');
  return out.join('\n');
}

function tags(t: ShapeTags | undefined): string {
  if (!t) return '';
  return Object.entries(t).map(([k, v]) => ` data-${k.replace(/[^a-z0-9-]/gi, '')}="${esc(v)}"`).join('');
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
