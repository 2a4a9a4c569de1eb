/**
 * An RGBA raster to draw figures into without a browser or a canvas package: rectangles, crisp
 * axis rules, anti-aliased curves and markers, colour-mapped arrays at whole magnifications, and
 * text in the embedded pixel font; encoded as PNG by pngjs. Everything is plain integer and IEEE
 * arithmetic, so the same drawing gives the same bytes on every machine.
 */
import { PNG } from 'pngjs';
import { lutIndex, type ColorScale, type Rgb } from '../../../webview/components/colormap';
import { FONT_ASCENT, FONT_DESCENT, FONT_LEADING, glyphOf } from './font';

export type { Rgb };

export type TextAlign = 'left' | 'center' | 'right';
/** Where y sits on the text: its top, its middle, its baseline or its bottom (under descenders). */
export type TextBaseline = 'top' | 'middle' | 'baseline' | 'bottom';

export interface TextOptions {
  /** Pixels per font pixel, a whole number (1: 7 px capitals; 2: 14 px). Default 1. */
  readonly scale?: number;
  readonly align?: TextAlign;
  readonly baseline?: TextBaseline;
  /** Doubles every stroke one pixel to the right. */
  readonly bold?: boolean;
  /** -90: reads bottom to top (y-axis labels); 90: top to bottom. align runs along the text. */
  readonly rotate?: 0 | 90 | -90;
}

/** Width in pixels of a line of text as drawText draws it. */
export function measureText(text: string, scale = 1, bold = false): number {
  let w = 0;
  let n = 0;
  for (const ch of text) {
    w += glyphOf(ch).width + 1;
    n++;
  }
  return n === 0 ? 0 : (w - 1) * scale + (bold ? 1 : 0);
}

/** Height in pixels of a line of text, descenders included (no leading). */
export function textHeight(scale = 1): number {
  return (FONT_ASCENT + FONT_DESCENT) * scale;
}

/** Distance between the tops of two lines of text. */
export function lineHeight(scale = 1): number {
  return (FONT_ASCENT + FONT_DESCENT + FONT_LEADING) * scale;
}

/** The text cut (with '…') to fit `maxWidth`; unchanged when it fits. */
export function fitText(text: string, maxWidth: number, scale = 1, bold = false): string {
  if (measureText(text, scale, bold) <= maxWidth) return text;
  const chars = [...text];
  while (chars.length > 0 && measureText(chars.join('') + '…', scale, bold) > maxWidth) chars.pop();
  return chars.length === 0 ? '' : chars.join('').trimEnd() + '…';
}

/** The text broken at spaces into lines no wider than `maxWidth` (a longer word gets cut). */
export function wrapText(text: string, maxWidth: number, scale = 1, bold = false): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter((w) => w.length > 0)) {
    const next = line ? `${line} ${word}` : word;
    if (measureText(next, scale, bold) <= maxWidth || !line) line = next;
    else {
      lines.push(line);
      line = word;
    }
  }
  if (line) lines.push(line);
  return lines.map((l) => fitText(l, maxWidth, scale, bold));
}

export const WHITE: Rgb = [255, 255, 255];

/** An opaque RGBA image with drawing operations clipped to its bounds. */
export class Raster {
  readonly width: number;
  readonly height: number;
  /** width × height × 4 bytes, RGBA, row-major, always opaque. */
  readonly data: Uint8Array;

  constructor(width: number, height: number, background: Rgb = WHITE) {
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
      throw new Error(`A raster needs a positive whole size, not ${width} × ${height}`);
    }
    this.width = width;
    this.height = height;
    this.data = new Uint8Array(width * height * 4);
    for (let i = 0; i < width * height; i++) {
      this.data[i * 4] = background[0];
      this.data[i * 4 + 1] = background[1];
      this.data[i * 4 + 2] = background[2];
      this.data[i * 4 + 3] = 255;
    }
  }

  /** [r, g, b] at a pixel (throws outside the raster). */
  pixel(x: number, y: number): Rgb {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) throw new Error(`Pixel (${x}, ${y}) is outside ${this.width} × ${this.height}`);
    const o = (y * this.width + x) * 4;
    return [this.data[o]!, this.data[o + 1]!, this.data[o + 2]!];
  }

  /** Sets one pixel; ignored outside the raster. */
  setPixel(x: number, y: number, c: Rgb): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const o = (y * this.width + x) * 4;
    this.data[o] = c[0];
    this.data[o + 1] = c[1];
    this.data[o + 2] = c[2];
  }

  /** Mixes `c` into a pixel with opacity `alpha` (0-1); alpha 1 writes `c` exactly. */
  blendPixel(x: number, y: number, c: Rgb, alpha: number): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height || !(alpha > 0)) return;
    const o = (y * this.width + x) * 4;
    if (alpha >= 1) {
      this.data[o] = c[0];
      this.data[o + 1] = c[1];
      this.data[o + 2] = c[2];
      return;
    }
    for (let k = 0; k < 3; k++) this.data[o + k] = Math.round(c[k]! * alpha + this.data[o + k]! * (1 - alpha));
  }

  /** Fills the pixels [x, x + w) × [y, y + h) (rounded to whole pixels, clipped). */
  fillRect(x: number, y: number, w: number, h: number, c: Rgb): void {
    const x0 = Math.max(0, Math.round(x));
    const y0 = Math.max(0, Math.round(y));
    const x1 = Math.min(this.width, Math.round(x + w));
    const y1 = Math.min(this.height, Math.round(y + h));
    for (let yy = y0; yy < y1; yy++) {
      for (let xx = x0; xx < x1; xx++) {
        const o = (yy * this.width + xx) * 4;
        this.data[o] = c[0];
        this.data[o + 1] = c[1];
        this.data[o + 2] = c[2];
      }
    }
  }

  /** A rectangle's outline, `lineWidth` pixels inside [x, x + w) × [y, y + h). */
  strokeRect(x: number, y: number, w: number, h: number, c: Rgb, lineWidth = 1): void {
    this.fillRect(x, y, w, lineWidth, c);
    this.fillRect(x, y + h - lineWidth, w, lineWidth, c);
    this.fillRect(x, y, lineWidth, h, c);
    this.fillRect(x + w - lineWidth, y, lineWidth, h, c);
  }

  /** A crisp horizontal rule over columns x0..x1 (both included), `thickness` rows from y down. */
  hline(x0: number, x1: number, y: number, c: Rgb, thickness = 1): void {
    const a = Math.min(x0, x1);
    this.fillRect(a, y, Math.abs(x1 - x0) + 1, thickness, c);
  }

  /** A crisp vertical rule over rows y0..y1 (both included), `thickness` columns from x right. */
  vline(x: number, y0: number, y1: number, c: Rgb, thickness = 1): void {
    const a = Math.min(y0, y1);
    this.fillRect(x, a, thickness, Math.abs(y1 - y0) + 1, c);
  }

  /** An anti-aliased straight line between two points in pixel coordinates (pixel centres at +0.5). */
  line(x0: number, y0: number, x1: number, y1: number, c: Rgb, width = 1): void {
    this.polyline([[x0, y0], [x1, y1]], c, width);
  }

  /**
   * An anti-aliased polyline of `width` pixels with round joins. Coverage is taken per pixel as the
   * largest over the segments and blended once, so joints do not darken where segments overlap.
   * Non-finite points break the line.
   */
  polyline(points: readonly (readonly [number, number])[], c: Rgb, width = 1.5): void {
    const half = width / 2;
    const runs: (readonly [number, number])[][] = [[]];
    for (const p of points) {
      if (Number.isFinite(p[0]) && Number.isFinite(p[1])) runs[runs.length - 1]!.push(p);
      else if (runs[runs.length - 1]!.length > 0) runs.push([]);
    }
    for (const run of runs) {
      if (run.length === 0) continue;
      let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
      for (const [x, y] of run) {
        minX = Math.min(minX, x); maxX = Math.max(maxX, x);
        minY = Math.min(minY, y); maxY = Math.max(maxY, y);
      }
      const bx0 = Math.max(0, Math.floor(minX - half - 1));
      const by0 = Math.max(0, Math.floor(minY - half - 1));
      const bx1 = Math.min(this.width - 1, Math.ceil(maxX + half + 1));
      const by1 = Math.min(this.height - 1, Math.ceil(maxY + half + 1));
      if (bx1 < bx0 || by1 < by0) continue;
      const bw = bx1 - bx0 + 1;
      const cover = new Float64Array(bw * (by1 - by0 + 1));
      const segs = run.length === 1 ? [[run[0]!, run[0]!] as const] : run.slice(1).map((p, i) => [run[i]!, p] as const);
      for (const [[ax, ay], [qx, qy]] of segs) {
        const sx0 = Math.max(bx0, Math.floor(Math.min(ax, qx) - half - 1));
        const sx1 = Math.min(bx1, Math.ceil(Math.max(ax, qx) + half + 1));
        const sy0 = Math.max(by0, Math.floor(Math.min(ay, qy) - half - 1));
        const sy1 = Math.min(by1, Math.ceil(Math.max(ay, qy) + half + 1));
        const dx = qx - ax;
        const dy = qy - ay;
        const len2 = dx * dx + dy * dy;
        for (let py = sy0; py <= sy1; py++) {
          for (let px = sx0; px <= sx1; px++) {
            const cx = px + 0.5 - ax;
            const cy = py + 0.5 - ay;
            const t = len2 > 0 ? Math.min(1, Math.max(0, (cx * dx + cy * dy) / len2)) : 0;
            const ex = cx - t * dx;
            const ey = cy - t * dy;
            const cov = Math.min(1, Math.max(0, half + 0.5 - Math.sqrt(ex * ex + ey * ey)));
            const k = (py - by0) * bw + (px - bx0);
            if (cov > cover[k]!) cover[k] = cov;
          }
        }
      }
      for (let py = by0; py <= by1; py++) {
        for (let px = bx0; px <= bx1; px++) this.blendPixel(px, py, c, cover[(py - by0) * bw + (px - bx0)]!);
      }
    }
  }

  /** An anti-aliased filled disc centred at (cx, cy) in pixel coordinates; its centre pixel gets exactly `c`. */
  fillCircle(cx: number, cy: number, r: number, c: Rgb): void {
    const x0 = Math.floor(cx - r - 1);
    const x1 = Math.ceil(cx + r + 1);
    const y0 = Math.floor(cy - r - 1);
    const y1 = Math.ceil(cy + r + 1);
    for (let py = y0; py <= y1; py++) {
      for (let px = x0; px <= x1; px++) {
        const ex = px + 0.5 - cx;
        const ey = py + 0.5 - cy;
        const d = Math.sqrt(ex * ex + ey * ey);
        this.blendPixel(px, py, c, Math.min(1, Math.max(0, r + 0.5 - d)));
      }
    }
  }

  /**
   * A colour-mapped array (row-major, `width` × `height`) with its top-left at (x, y), each value a
   * flat block of sx × sy pixels (nearest neighbour, pixel-exact). Reads value i at
   * `values[start + i * stride]`; NaN gets `nanColor`.
   */
  drawValues(
    values: ArrayLike<number>, x: number, y: number, width: number, height: number, scale: ColorScale,
    { sx = 1, sy = sx, start = 0, stride = 1, nanColor = [190, 190, 190] as Rgb }: { sx?: number; sy?: number; start?: number; stride?: number; nanColor?: Rgb } = {},
  ): void {
    const lut = scale.map.lut;
    for (let r = 0; r < height; r++) {
      for (let c = 0; c < width; c++) {
        const k = lutIndex(scale, values[start + (r * width + c) * stride]!);
        const color: Rgb = k < 0 ? nanColor : [lut[k * 3]!, lut[k * 3 + 1]!, lut[k * 3 + 2]!];
        this.fillRect(x + c * sx, y + r * sy, sx, sy, color);
      }
    }
  }

  /** An RGB image (3 bytes a pixel, row-major) with its top-left at (x, y), each pixel sx × sy. */
  drawRgb(rgb: ArrayLike<number>, x: number, y: number, width: number, height: number, sx = 1, sy = sx): void {
    for (let r = 0; r < height; r++) {
      for (let c = 0; c < width; c++) {
        const o = (r * width + c) * 3;
        this.fillRect(x + c * sx, y + r * sy, sx, sy, [rgb[o]!, rgb[o + 1]!, rgb[o + 2]!]);
      }
    }
  }

  /**
   * One line of text anchored at (x, y) (whole pixels). Returns its width. Text is never blended:
   * pixel-font strokes are whole pixels, so they stay sharp at every scale.
   */
  drawText(text: string, x: number, y: number, c: Rgb, { scale = 1, align = 'left', baseline = 'top', bold = false, rotate = 0 }: TextOptions = {}): number {
    const s = Math.max(1, Math.round(scale));
    const w = measureText(text, s, bold);
    const ax = align === 'left' ? 0 : align === 'center' ? Math.floor(w / 2) : w;
    const ay = baseline === 'top' ? 0 : baseline === 'middle' ? Math.floor((FONT_ASCENT * s) / 2) : baseline === 'baseline' ? FONT_ASCENT * s : textHeight(s);
    const ox = Math.round(x);
    const oy = Math.round(y);
    // (lx, ly) is a pixel of the unrotated text relative to its anchor; the rotation turns the unit square it covers.
    const put = (lx: number, ly: number): void => {
      if (rotate === 0) this.setPixel(ox + lx, oy + ly, c);
      else if (rotate === -90) this.setPixel(ox + ly, oy - lx - 1, c);
      else this.setPixel(ox - ly - 1, oy + lx, c);
    };
    let pen = 0;
    for (const ch of text) {
      const g = glyphOf(ch);
      for (let i = 0; i < g.pixels.length; i += 2) {
        const gx = pen + g.pixels[i]! * s - ax;
        const gy = g.pixels[i + 1]! * s - ay;
        for (let dy = 0; dy < s; dy++) {
          for (let dx = 0; dx < s + (bold ? 1 : 0); dx++) put(gx + dx, gy + dy);
        }
      }
      pen += (g.width + 1) * s;
    }
    return w;
  }

  /** The raster as PNG bytes (8-bit RGB; the raster is always opaque). */
  toPng(): Buffer {
    const png = new PNG({ width: this.width, height: this.height, colorType: 2, inputColorType: 6, inputHasAlpha: true });
    Buffer.from(this.data.buffer, this.data.byteOffset, this.data.byteLength).copy(png.data);
    return PNG.sync.write(png, { colorType: 2, inputColorType: 6, inputHasAlpha: true });
  }
}
