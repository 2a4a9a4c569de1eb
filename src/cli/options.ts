import { UserError } from '../core/errors';

/** Parses "1,2,5" into integers; names the option in the error. */
export function intList(option: string, v: string | undefined): number[] | undefined {
  if (v === undefined) return undefined;
  const parts = v.split(',').map((s) => s.trim()).filter(Boolean);
  const out = parts.map(Number);
  if (out.length === 0 || out.some((n) => !Number.isInteger(n) || n < 0)) throw new UserError(`--${option} takes non-negative integers separated by commas, not "${v}".`);
  return out;
}

/** An integer option within [min, max]. */
export function intOption(option: string, v: string | undefined, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new UserError(`--${option} takes an integer from ${min} to ${max}, not "${v}".`);
  return n;
}

/** A number option. */
export function numberOption(option: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new UserError(`--${option} takes a number, not "${v}".`);
  return n;
}
