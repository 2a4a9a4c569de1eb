/** Colour bars as scene shapes: a vertical one with ticks, and a thin horizontal one for small multiples. */
import type { Theme } from '../lib/theme';
import { rampRgba, type ColorScale } from './colormap';
import type { Measure, Shape } from './scene';
import { formatTick, formatValue, niceTicks } from './ticks';

const BAR_WIDTH = 12;
const TICK = 4;

function tickSize(theme: Theme): number {
  return Math.max(9, theme.fontSize - 2);
}

/** Horizontal space a vertical colour bar takes, labels included. */
export function colorbarWidth(scale: ColorScale, theme: Theme, measure: Measure, label?: string): number {
  const size = tickSize(theme);
  const { values, step } = niceTicks(scale.min, scale.max, 5);
  const labelW = Math.max(0, ...values.map((v) => measure(formatTick(v, step), size)));
  return BAR_WIDTH + TICK + 3 + labelW + (label ? size + 8 : 0);
}

/** A vertical colour bar with its top-left corner at (x, y): max at the top, ticks on the right. */
export function colorbarShapes(scale: ColorScale, x: number, y: number, height: number, theme: Theme, measure: Measure, label?: string): Shape[] {
  const size = tickSize(theme);
  // Top row is the maximum, so the ramp is stored upside down.
  const n = scale.map.size;
  const up = rampRgba(scale.map, n);
  const rgba = new Uint8ClampedArray(n * 4);
  for (let i = 0; i < n; i++) rgba.set(up.subarray((n - 1 - i) * 4, (n - i) * 4), i * 4);
  const shapes: Shape[] = [
    { kind: 'raster', x, y, w: BAR_WIDTH, h: height, width: 1, height: n, rgba },
    { kind: 'rect', x: x + 0.5, y: y + 0.5, w: BAR_WIDTH - 1, h: height - 1, stroke: theme.grid },
  ];
  const { values, step } = niceTicks(scale.min, scale.max, Math.max(2, Math.min(6, Math.floor(height / 28))));
  let labelW = 0;
  for (const v of values) {
    const ty = y + height * (1 - (v - scale.min) / (scale.max - scale.min));
    const text = formatTick(v, step);
    labelW = Math.max(labelW, measure(text, size));
    shapes.push({ kind: 'line', x1: x + BAR_WIDTH, y1: ty, x2: x + BAR_WIDTH + TICK, y2: ty, stroke: theme.muted });
    shapes.push({ kind: 'text', x: x + BAR_WIDTH + TICK + 3, y: ty, text, fill: theme.muted, size, baseline: 'middle' });
  }
  if (label) {
    const lx = x + BAR_WIDTH + TICK + 3 + labelW + 6 + size / 2;
    shapes.push({ kind: 'text', x: lx, y: y + height / 2, text: label, fill: theme.foreground, size, align: 'middle', baseline: 'middle', rotate: 90 });
  }
  return shapes;
}

/** Height of a mini bar with its min/max labels. */
export function miniColorbarHeight(theme: Theme): number {
  return 6 + 2 + tickSize(theme) - 1;
}

/** A thin horizontal ramp of `width` with the scale's ends written under it. */
export function miniColorbarShapes(scale: ColorScale, x: number, y: number, width: number, theme: Theme): Shape[] {
  const size = tickSize(theme) - 1;
  return [
    { kind: 'raster', x, y, w: width, h: 6, width: scale.map.size, height: 1, rgba: rampRgba(scale.map) },
    { kind: 'text', x, y: y + 8, text: formatValue(scale.min), fill: theme.muted, size, baseline: 'top' },
    { kind: 'text', x: x + width, y: y + 8, text: formatValue(scale.max), fill: theme.muted, size, align: 'end', baseline: 'top' },
  ];
}
