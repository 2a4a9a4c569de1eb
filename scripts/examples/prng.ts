/** mulberry32 (src/core/random.ts): batch order is the same on every machine and run. */
export { mulberry32 } from '../../src/core/random';

/** A Fisher–Yates permutation of 0..n-1 drawn from `rand`. */
export function permutation(n: number, rand: () => number): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}
