/** Axis ticks and number formats shared by every figure, its SVG export and its readouts. Pure. */

export interface Ticks {
  readonly values: readonly number[];
  readonly step: number;
}

/** About `count` round tick values (1, 2, 2.5 or 5 × 10^k apart) inside [min, max]. */
export function niceTicks(min: number, max: number, count = 5): Ticks {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return { values: [], step: 1 };
  if (max < min) [min, max] = [max, min];
  if (max === min) return { values: [min], step: 1 };
  const raw = (max - min) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 2.5, 5, 10].find((m) => m * mag >= raw) ?? 10) * mag;
  const first = Math.ceil(min / step - 1e-9);
  const last = Math.floor(max / step + 1e-9);
  const values: number[] = [];
  for (let i = first; i <= last; i++) values.push(snap(i * step, step));
  return { values, step };
}

/** Range widened to whole ticks, so axes start and end on a labelled value. */
export function niceRange(min: number, max: number, count = 5): [number, number] {
  if (max === min) {
    const pad = min === 0 ? 1 : Math.abs(min) * 0.1;
    return [min - pad, max + pad];
  }
  const { step } = niceTicks(min, max, count);
  return [snap(Math.floor(min / step + 1e-9) * step, step), snap(Math.ceil(max / step - 1e-9) * step, step)];
}

// i * step drifts (0.1 * 3 = 0.30000000000000004); rounding to the step's decimals removes it.
function snap(v: number, step: number): number {
  const d = decimalsOf(step);
  return d > 0 ? Number(v.toFixed(Math.min(20, d))) : v === 0 ? 0 : v;
}

function decimalsOf(step: number): number {
  if (step <= 0 || !Number.isFinite(step)) return 0;
  const s = step.toExponential(6).replace(/0+e/, 'e').replace(/\.e/, 'e');
  const [mant, exp] = s.split('e') as [string, string];
  const frac = mant.includes('.') ? mant.split('.')[1]!.length : 0;
  return Math.max(0, frac - Number(exp));
}

/** A tick label with just the decimals its step needs (no 0.30000000000000004). */
export function formatTick(v: number, step: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e6 || a < 1e-4) return trimExp(v.toExponential(2));
  return v.toFixed(Math.min(10, decimalsOf(step)));
}

/** A value in readouts and tables: 4 significant digits, exponent form when very large or small. */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '-∞';
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return trimExp(v.toExponential(3));
  return String(Number(v.toPrecision(4)));
}

function trimExp(s: string): string {
  return s.replace(/\.?0+e/, 'e').replace('e+', 'e');
}
