import { UserError } from '../errors';

import { mulberry32 } from '../random';

/** Above this many positions a dense swap table would cost more memory than it saves time. */
const DENSE_LIMIT = 1 << 26;

/**
 * `count` distinct indices out of [0, n), chosen by a seeded partial Fisher-Yates shuffle and
 * returned ascending so disk reads stay sequential. Small subsets of large n store only the
 * swapped positions (O(count) memory); large fractions use a dense table. Both give the same
 * indices for the same seed. count >= n gives every index.
 */
export function subsetIndices(n: number, count: number, seed = 0, file?: string): number[] {
  checkSubset(count, seed, file);
  if (count >= n) return Array.from({ length: n }, (_, i) => i);
  const rand = mulberry32(seed);
  const out: number[] = new Array(count);
  if (n <= DENSE_LIMIT && count * 16 > n) {
    const perm = new Uint32Array(n);
    for (let i = 0; i < n; i++) perm[i] = i;
    for (let i = 0; i < count; i++) {
      const j = i + Math.floor(rand() * (n - i));
      out[i] = perm[j];
      perm[j] = perm[i];
    }
  } else {
    const swapped = new Map<number, number>();
    for (let i = 0; i < count; i++) {
      const j = i + Math.floor(rand() * (n - i));
      out[i] = swapped.get(j) ?? j;
      swapped.set(j, swapped.get(i) ?? i);
    }
  }
  return out.sort((a, b) => a - b);
}

/** The subset's ascending indices, or undefined when it covers every sample (no index list is kept then). */
export function pickSubset(n: number, subset: { count: number; seed?: number }, file?: string): number[] | undefined {
  checkSubset(subset.count, subset.seed ?? 0, file);
  return subset.count >= n ? undefined : subsetIndices(n, subset.count, subset.seed ?? 0, file);
}

function checkSubset(count: number, seed: number, file?: string): void {
  if (!Number.isInteger(count) || count < 1) {
    throw new UserError(`${file ?? 'dataset'}: subset.count must be a positive integer, not ${count}.`, file);
  }
  if (!Number.isFinite(seed)) throw new UserError(`${file ?? 'dataset'}: subset.seed must be a number, not ${seed}.`, file);
}
