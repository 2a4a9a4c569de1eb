/**
 * Colour maps as lookup tables, and the scales that map values onto them. Pure functions: no DOM,
 * so they are unit-tested in node and shared by the heat map, the image grid and the colour bar.
 */
import type { ColormapName, NumberList } from '../../src/protocol/webview';

export type Rgb = readonly [number, number, number];

export interface Colormap {
  readonly name: ColormapName;
  /** Number of entries; the diverging map has an odd size so that one entry sits exactly at 0. */
  readonly size: number;
  /** size × 3 bytes, RGB. */
  readonly lut: Uint8Array;
  /** Centred at 0 with symmetric limits. */
  readonly diverging: boolean;
}

// matplotlib's viridis, all 256 entries (van der Walt and Smith, CC0), as RGB hex.
const VIRIDIS_HEX =
  '44015444025645045745055946075a46085c460a5d460b5e470d60470e61471063471164471365481467481668481769' +
  '48186a481a6c481b6d481c6e481d6f481f70482071482173482374482475482576482677482878482979472a7a472c7a' +
  '472d7b472e7c472f7d46307e46327e46337f463480453581453781453882443983443a83443b84433d84433e85423f85' +
  '4240864241864142874144874045884046883f47883f48893e49893e4a893e4c8a3d4d8a3d4e8a3c4f8a3c508b3b518b' +
  '3b528b3a538b3a548c39558c39568c38588c38598c375a8c375b8d365c8d365d8d355e8d355f8d34608d34618d33628d' +
  '33638d32648e32658e31668e31678e31688e30698e306a8e2f6b8e2f6c8e2e6d8e2e6e8e2e6f8e2d708e2d718e2c718e' +
  '2c728e2c738e2b748e2b758e2a768e2a778e2a788e29798e297a8e297b8e287c8e287d8e277e8e277f8e27808e26818e' +
  '26828e26828e25838e25848e25858e24868e24878e23888e23898e238a8d228b8d228c8d228d8d218e8d218f8d21908d' +
  '21918c20928c20928c20938c1f948c1f958b1f968b1f978b1f988b1f998a1f9a8a1e9b8a1e9c891e9d891f9e891f9f88' +
  '1fa0881fa1881fa1871fa28720a38620a48621a58521a68522a78522a88423a98324aa8325ab8225ac8226ad8127ad81' +
  '28ae8029af7f2ab07f2cb17e2db27d2eb37c2fb47c31b57b32b67a34b67935b77937b87838b9773aba763bbb753dbc74' +
  '3fbc7340bd7242be7144bf7046c06f48c16e4ac16d4cc26c4ec36b50c46a52c56954c56856c66758c7655ac8645cc863' +
  '5ec96260ca6063cb5f65cb5e67cc5c69cd5b6ccd5a6ece5870cf5773d05675d05477d1537ad1517cd2507fd34e81d34d' +
  '84d44b86d54989d5488bd6468ed64590d74393d74195d84098d83e9bd93c9dd93ba0da39a2da37a5db36a8db34aadc32' +
  'addc30b0dd2fb2dd2db5de2bb8de29bade28bddf26c0df25c2df23c5e021c8e020cae11fcde11dd0e11cd2e21bd5e21a' +
  'd8e219dae319dde318dfe318e2e418e5e419e7e419eae51aece51befe51cf1e51df4e61ef6e620f8e621fbe723fde725';

function fromHex(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** A table of `size` entries interpolated linearly between evenly spaced stops. */
function fromStops(stops: readonly Rgb[], size: number): Uint8Array {
  const out = new Uint8Array(size * 3);
  for (let i = 0; i < size; i++) {
    const f = (i / (size - 1)) * (stops.length - 1);
    const k = Math.min(Math.floor(f), stops.length - 2);
    const t = f - k;
    for (let c = 0; c < 3; c++) out[i * 3 + c] = Math.round(stops[k]![c]! * (1 - t) + stops[k + 1]![c]! * t);
  }
  return out;
}

export const VIRIDIS: Colormap = { name: 'viridis', size: 256, lut: fromHex(VIRIDIS_HEX), diverging: false };

// ColorBrewer RdBu, reversed so negative is blue, with its near-white centre made pure white: a
// zero in an attribution map must read as "nothing", on any background.
const RDBU_STOPS: readonly Rgb[] = [
  [5, 48, 97], [33, 102, 172], [67, 147, 195], [146, 197, 222], [209, 229, 240],
  [255, 255, 255],
  [253, 219, 199], [244, 165, 130], [214, 96, 77], [178, 24, 43], [103, 0, 31],
];

export const DIVERGING: Colormap = { name: 'diverging', size: 257, lut: fromStops(RDBU_STOPS, 257), diverging: true };

export const GRAY: Colormap = { name: 'gray', size: 256, lut: fromStops([[0, 0, 0], [255, 255, 255]], 256), diverging: false };

export function getColormap(name: ColormapName): Colormap {
  switch (name) {
    case 'viridis': return VIRIDIS;
    case 'diverging': return DIVERGING;
    case 'gray': return GRAY;
  }
}

export interface ColorScale {
  readonly map: Colormap;
  readonly min: number;
  readonly max: number;
}

/**
 * Colour limits of some values, ignoring NaN and ±Infinity. Diverging limits are symmetric, so
 * that equal magnitudes get equally strong colours on both sides. Never returns an empty range
 * (a constant map would divide by zero).
 */
export function dataLimits(values: Iterable<number> | NumberList, diverging: boolean): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  const list = values as ArrayLike<number>;
  if (typeof list.length === 'number') {
    for (let i = 0; i < list.length; i++) {
      const v = list[i]!;
      if (Number.isFinite(v)) { if (v < lo) lo = v; if (v > hi) hi = v; }
    }
  } else {
    for (const v of values as Iterable<number>) if (Number.isFinite(v)) { if (v < lo) lo = v; if (v > hi) hi = v; }
  }
  if (lo > hi) return diverging ? [-1, 1] : [0, 1];
  if (diverging) {
    const m = Math.max(Math.abs(lo), Math.abs(hi));
    return m > 0 ? [-m, m] : [-1, 1];
  }
  if (lo === hi) return lo === 0 ? [0, 1] : [lo - Math.abs(lo) * 0.5, hi + Math.abs(hi) * 0.5];
  return [lo, hi];
}

/** A scale over `values` (or fixed `limits`); a diverging map always gets symmetric limits. */
export function makeScale(map: Colormap, values: NumberList, limits?: readonly [number, number]): ColorScale {
  if (limits && Number.isFinite(limits[0]) && Number.isFinite(limits[1]) && limits[1] > limits[0]) {
    if (!map.diverging) return { map, min: limits[0], max: limits[1] };
    const m = Math.max(Math.abs(limits[0]), Math.abs(limits[1]));
    return { map, min: -m, max: m };
  }
  const [min, max] = dataLimits(values, map.diverging);
  return { map, min, max };
}

/**
 * The table entry of a value, clamped to the ends; -1 for NaN. Rounds symmetrically about the
 * middle so that v and -v land on mirrored entries of a diverging map.
 */
export function lutIndex(scale: ColorScale, v: number): number {
  if (Number.isNaN(v)) return -1;
  const last = scale.map.size - 1;
  const t = (v - scale.min) / (scale.max - scale.min);
  const f = Math.min(1, Math.max(0, t)) * last;
  return f < last / 2 ? last - Math.round(last - f) : Math.round(f);
}

/** The colour of a value; NaN has none (drawn transparent). */
export function colorOf(scale: ColorScale, v: number): Rgb | null {
  const i = lutIndex(scale, v);
  if (i < 0) return null;
  const lut = scale.map.lut;
  return [lut[i * 3]!, lut[i * 3 + 1]!, lut[i * 3 + 2]!];
}

/**
 * Writes the colours of `count` values (read every `stride` entries from `start`) as opaque
 * RGBA into `out` from `outOffset`; NaN becomes transparent.
 */
export function paintRgba(
  scale: ColorScale, values: NumberList, out: Uint8ClampedArray,
  { start = 0, stride = 1, count = values.length, outOffset = 0 }: { start?: number; stride?: number; count?: number; outOffset?: number } = {},
): void {
  const lut = scale.map.lut;
  for (let i = 0; i < count; i++) {
    const k = lutIndex(scale, values[start + i * stride]!);
    const o = outOffset + i * 4;
    if (k < 0) { out[o + 3] = 0; continue; }
    out[o] = lut[k * 3]!;
    out[o + 1] = lut[k * 3 + 1]!;
    out[o + 2] = lut[k * 3 + 2]!;
    out[o + 3] = 255;
  }
}

/** A 1 × n RGBA strip running from the scale's min to its max, for colour bars. */
export function rampRgba(map: Colormap, n: number = map.size): Uint8ClampedArray {
  const out = new Uint8ClampedArray(n * 4);
  for (let i = 0; i < n; i++) {
    const k = n === 1 ? 0 : Math.round((i / (n - 1)) * (map.size - 1));
    out.set([map.lut[k * 3]!, map.lut[k * 3 + 1]!, map.lut[k * 3 + 2]!, 255], i * 4);
  }
  return out;
}

export function rgbCss([r, g, b]: Rgb): string {
  return `rgb(${r}, ${g}, ${b})`;
}
