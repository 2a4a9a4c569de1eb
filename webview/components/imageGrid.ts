/**
 * Small images side by side, pixel-exact, each with a title: single-channel maps through a colour
 * map (one scale shared by the whole set so they compare, or one per image), RGB images as colours.
 */
import type { GridImageSpec, ImageGridFigureSpec, JsonValue } from '../../src/protocol/webview';
import { currentTheme, type Theme } from '../lib/theme';
import { dataLimits, getColormap, makeScale, paintRgba, type ColorScale } from './colormap';
import { colorbarShapes, colorbarWidth, miniColorbarHeight, miniColorbarShapes } from './colorbar';
import { csvLines, plainNumbers, SceneFigure, type Box, type Hit, type Layout, type SceneFigureOptions } from './figure';
import { fitText, type Measure, type Shape } from './scene';
import { formatValue } from './ticks';

export interface ImageGridOptions extends SceneFigureOptions {
  /** CSS px per image pixel (a whole number); by default about 96 px per image. */
  pixelSize?: number;
}

const PAD = 8;
const GAP = 12;

interface Tile {
  readonly box: Box;
  readonly pixel: number;
}

export class ImageGrid extends SceneFigure {
  readonly vector = false;
  private spec: ImageGridFigureSpec;
  private scales: ColorScale[] = [];

  constructor(spec: ImageGridFigureSpec, private readonly gridOptions: ImageGridOptions = {}) {
    super(spec.id, spec.title, spec.description, gridOptions);
    this.spec = checkSpec(spec);
    this.scales = this.makeScales();
    this.render(currentTheme());
  }

  setData(spec: ImageGridFigureSpec): void {
    this.spec = checkSpec(spec);
    this.scales = this.makeScales();
    this.render(currentTheme());
  }

  /** The colour scale of image `i` (the same object for all when shared). */
  scaleOf(i: number): ColorScale {
    return this.scales[i]!;
  }

  /** Where pixel (row, col) of image `i` is on the canvas, in CSS px. */
  pixelBox(i: number, row: number, col: number): Box | null {
    const t = (this.layout as GridLayout | null)?.tiles[i];
    return t ? { x: t.box.x + col * t.pixel, y: t.box.y + row * t.pixel, w: t.pixel, h: t.pixel } : null;
  }

  private makeScales(): ColorScale[] {
    const map = getColormap(this.spec.colormap ?? 'viridis');
    const imgs = this.spec.images;
    if ((this.spec.scale ?? 'shared') === 'per-image') return imgs.map((im) => makeScale(map, im.data, this.spec.limits));
    // One pass over every value of the set, without concatenating the images.
    const all = function* () { for (const im of imgs) for (let i = 0; i < im.data.length; i++) yield im.data[i]!; };
    const limits = this.spec.limits ?? dataLimits(all(), map.diverging);
    const shared = makeScale(map, [], limits);
    return imgs.map(() => shared);
  }

  private shared(): boolean {
    return (this.spec.scale ?? 'shared') === 'shared';
  }

  protected build(theme: Theme, width: number, measure: Measure, forExport: boolean): GridLayout {
    const s = this.spec;
    const font = theme.fontSize;
    const small = Math.max(9, font - 2);
    const n = s.images.length;
    const maxH = Math.max(...s.images.map((im) => im.height));
    const maxW = Math.max(...s.images.map((im) => im.width));
    const target = n <= 2 ? 192 : n <= 4 ? 140 : 96;
    const pixel = Math.max(1, Math.floor(this.gridOptions.pixelSize ?? target / Math.max(maxH, maxW)));
    const tileW = maxW * pixel;
    const tileH = maxH * pixel;
    const anyMapped = s.images.some((im) => im.channels === 1);
    const sharedBar = this.shared() && anyMapped;
    const barSpace = sharedBar ? 16 + colorbarWidth(this.scales[0]!, theme, measure, s.valueLabel) : 0;
    const fitCols = Math.floor((width - 2 * PAD - barSpace + GAP) / (tileW + GAP));
    const cols = Math.max(1, Math.min(n, s.columns ?? fitCols));
    const rows = Math.ceil(n / cols);
    const titleH = Math.ceil(small + 6);
    const miniH = !this.shared() && anyMapped ? miniColorbarHeight(theme) + 4 : 0;
    const cellH = titleH + tileH + miniH;
    const top = Math.ceil(PAD + (forExport ? font + 4 + 10 : 0));

    const shapes: Shape[] = [];
    if (forExport) shapes.push({ kind: 'text', x: PAD, y: PAD, text: s.title, fill: theme.foreground, size: font + 2, weight: 'bold', baseline: 'top' });
    const tiles: Tile[] = [];
    s.images.forEach((im, i) => {
      const x = PAD + (i % cols) * (tileW + GAP);
      const y = top + Math.floor(i / cols) * (cellH + GAP);
      shapes.push({ kind: 'text', x: x + tileW / 2, y, text: fitText(im.title, tileW + GAP - 2, small, measure), fill: theme.foreground, size: small, align: 'middle', baseline: 'top' });
      const box = { x, y: y + titleH, w: im.width * pixel, h: im.height * pixel };
      tiles.push({ box, pixel });
      shapes.push({ kind: 'raster', ...box, width: im.width, height: im.height, rgba: this.pixels(im, this.scales[i]!) });
      shapes.push({ kind: 'rect', x: box.x - 0.5, y: box.y - 0.5, w: box.w + 1, h: box.h + 1, stroke: theme.grid });
      if (miniH && im.channels === 1) shapes.push(...miniColorbarShapes(this.scales[i]!, box.x, box.y + box.h + 4, box.w, theme));
    });
    const gridW = cols * tileW + (cols - 1) * GAP;
    const gridH = rows * cellH + (rows - 1) * GAP;
    if (sharedBar) shapes.push(...colorbarShapes(this.scales[0]!, PAD + gridW + 16, top + titleH, Math.max(80, gridH - titleH - miniH), theme, measure, s.valueLabel));
    const sceneW = Math.ceil(Math.max(PAD + gridW + barSpace + PAD, forExport ? 2 * PAD + measure(s.title, font + 2, 'bold') : 0));
    return {
      scene: { width: sceneW, height: Math.ceil(top + Math.max(gridH, titleH + 80) + PAD), background: theme.background, fontFamily: theme.fontFamily, title: s.title, shapes },
      tiles,
      hitTest: (x, y) => this.hit(tiles, x, y),
    };
  }

  /** RGBA of one image: mapped through its scale, or RGB stretched from the scale's limits to 0..255. */
  private pixels(im: GridImageSpec, scale: ColorScale): Uint8ClampedArray {
    const n = im.height * im.width;
    const out = new Uint8ClampedArray(n * 4);
    if (im.channels === 1) {
      paintRgba(scale, im.data, out);
      return out;
    }
    const k = 255 / (scale.max - scale.min);
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < 3; c++) out[i * 4 + c] = Math.round((im.data[i * 3 + c]! - scale.min) * k);
      out[i * 4 + 3] = 255;
    }
    return out;
  }

  private hit(tiles: readonly Tile[], x: number, y: number): Hit | null {
    for (let i = 0; i < tiles.length; i++) {
      const { box, pixel } = tiles[i]!;
      if (x < box.x || y < box.y || x >= box.x + box.w || y >= box.y + box.h) continue;
      const im = this.spec.images[i]!;
      const col = Math.floor((x - box.x) / pixel);
      const row = Math.floor((y - box.y) / pixel);
      const at = (row * im.width + col) * im.channels;
      const value = im.channels === 1 ? formatValue(im.data[at]!)
        : `(${[0, 1, 2].map((c) => formatValue(im.data[at + c]!)).join(', ')})`;
      return {
        label: `${im.title}, row ${row}, col ${col}: ${value}`,
        target: { kind: 'pixel', image: i, row, col },
        box: { x: box.x + col * pixel, y: box.y + row * pixel, w: pixel, h: pixel },
      };
    }
    return null;
  }

  toCsv(): string {
    const imgs = this.spec.images;
    const rows = function* () {
      for (let i = 0; i < imgs.length; i++) {
        const im = imgs[i]!;
        for (let r = 0; r < im.height; r++) {
          for (let c = 0; c < im.width; c++) {
            for (let k = 0; k < im.channels; k++) yield [i, im.title, r, c, k, im.data[(r * im.width + c) * im.channels + k]!];
          }
        }
      }
    };
    return csvLines(['image', 'title', 'row', 'col', 'channel', 'value'], rows());
  }

  toJson(): JsonValue {
    const { images, limits, ...rest } = this.spec;
    return {
      ...rest,
      ...(limits ? { limits: [...limits] } : {}),
      images: images.map((im) => ({ ...im, data: plainNumbers(im.data) })),
    } as JsonValue;
  }
}

interface GridLayout extends Layout {
  readonly tiles: readonly Tile[];
}

function checkSpec(s: ImageGridFigureSpec): ImageGridFigureSpec {
  if (s.images.length === 0) throw new Error(`Image grid '${s.title}' has no images`);
  for (const im of s.images) {
    if (im.data.length !== im.height * im.width * im.channels) {
      throw new Error(`Image '${im.title}' of '${s.title}': ${im.data.length} values for ${im.height} × ${im.width} × ${im.channels}`);
    }
  }
  return s;
}
