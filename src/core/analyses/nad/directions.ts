import { createHash } from 'node:crypto';
import { UserError } from '../../errors';
import { Rng } from '../../init/random';
import { fourierDirection, signedFrequency } from './fourier';
import { ImageGeometry } from './image';

/** A direction of the input space: a Fourier basis vector, or any vector (a NAD, ...). */
export type Direction =
  | { readonly kind: 'fourier'; readonly fu: number; readonly fv: number }
  | { readonly kind: 'vector'; readonly id: string; readonly values: Float32Array };

/** (fu, fv) and (−fu, −fv) give the same direction (up to sign): the one with the larger index pair names both. */
function canonicalFrequency(g: ImageGeometry, fu: number, fv: number): [number, number] {
  const mod = (a: number, n: number) => ((a % n) + n) % n;
  const a: [number, number] = [mod(fu, g.h), mod(fv, g.w)];
  const b: [number, number] = [mod(-fu, g.h), mod(-fv, g.w)];
  const pick = a[0] > b[0] || (a[0] === b[0] && a[1] >= b[1]) ? b : a;
  return [signedFrequency(pick[0], g.h), signedFrequency(pick[1], g.w)];
}

/** A short content hash of a vector. */
function vectorHash(v: Float32Array): string {
  return createHash('sha256').update(new Uint8Array(v.buffer, v.byteOffset, v.byteLength)).digest('hex').slice(0, 16);
}

/** The first `count` NADs of a result as directions for the accuracy map (ids "NAD 0", "NAD 1", ...). */
export function nadDirections(nads: readonly { readonly index: number; readonly vector: Float32Array }[], count = nads.length): Direction[] {
  return nads.slice(0, count).map((n) => ({ kind: 'vector', id: `NAD ${n.index}`, values: n.vector }));
}

/** A stable key of a direction: equal for directions that are the same up to sign. */
export function directionKey(d: Direction, g: ImageGeometry): string {
  if (d.kind === 'fourier') {
    const [fu, fv] = canonicalFrequency(g, d.fu, d.fv);
    return `fourier:${fu},${fv}`;
  }
  return `vector:${d.id}:${vectorHash(d.values)}`;
}

/** The unit vector of a direction, in the model's own input layout. */
export function directionVector(d: Direction, g: ImageGeometry): Float32Array {
  if (d.kind === 'fourier') return fourierDirection(g, d.fu, d.fv);
  const n = g.h * g.w * g.c;
  if (d.values.length !== n) throw new UserError(`Direction "${d.id}" has ${d.values.length} values; the model's input has ${n}.`);
  let norm = 0;
  for (let i = 0; i < n; i++) norm += d.values[i] * d.values[i];
  if (!(norm > 0)) throw new UserError(`Direction "${d.id}" is zero.`);
  const s = 1 / Math.sqrt(norm);
  return Float32Array.from(d.values, (x) => x * s);
}

/** One cell of a heat map over the centred (fftshifted) frequency plane. */
export interface GridCell {
  readonly row: number;
  readonly col: number;
  readonly fu: number;
  readonly fv: number;
  readonly direction: Direction;
}

/** The frequencies of an n-point grid over one axis of size `size`: −size/2 + i·size/n, rounded; n = size gives every frequency. */
export function gridFrequencies(size: number, n: number): number[] {
  if (!Number.isInteger(n) || n < 1 || n > size) throw new UserError(`A Fourier grid of ${n} points per axis does not fit an axis of ${size} pixels (1 to ${size}).`);
  return Array.from({ length: n }, (_, i) => Math.round(-size / 2 + (i * size) / n));
}

/**
 * An n×n grid of Fourier directions over the centred frequency plane (rows: vertical frequency
 * fu from −H/2 up, columns: horizontal fv), for a heat map. Coarse grids are subsets of finer
 * ones whose size they divide, so refining reuses every cached cell.
 */
export function fourierGrid(g: ImageGeometry, n: number, m = n): GridCell[] {
  const us = gridFrequencies(g.h, n);
  const vs = gridFrequencies(g.w, m);
  const cells: GridCell[] = [];
  us.forEach((fu, row) => vs.forEach((fv, col) => cells.push({ row, col, fu, fv, direction: { kind: 'fourier', fu, fv } })));
  return cells;
}

/**
 * Orders directions coarse first: those on the 2×2 grid, then the 4×4, ..., then the rest, so a
 * sweep shows the whole map early and fills it in.
 */
export function coarseFirst<T extends { direction: Direction }>(items: readonly T[], g: ImageGeometry): T[] {
  const level = (d: Direction): number => {
    if (d.kind !== 'fourier') return Infinity;
    for (let n = 2, l = 0; n <= Math.max(g.h, g.w); n *= 2, l++) {
      const us = gridFrequencies(g.h, Math.min(n, g.h));
      const vs = gridFrequencies(g.w, Math.min(n, g.w));
      if (us.includes(d.fu) && vs.includes(d.fv)) return l;
    }
    return Infinity;
  };
  return items.map((it, i) => ({ it, i, l: level(it.direction) })).sort((a, b) => a.l - b.l || a.i - b.i).map((x) => x.it);
}

export interface DirectionalDataOptions {
  /** Margin between the classes along v (default 1). */
  readonly epsilon?: number;
  /** Noise standard deviation (default 3). */
  readonly sigma?: number;
}

/**
 * The reference's linearly separable set along unit v: the first ⌈n/2⌉ samples are
 * +(ε/2)·v + P⊥(σ·n) with label 0, the rest −(ε/2)·v + P⊥(σ·n) with label 1, n ~ N(0, I) and
 * P⊥ the projection orthogonal to v.
 */
export function directionalData(v: Float32Array, n: number, rng: Rng, opts: DirectionalDataOptions = {}): { x: Float32Array; y: Int32Array } {
  const eps = opts.epsilon ?? 1;
  const sigma = opts.sigma ?? 3;
  const d = v.length;
  const x = new Float32Array(n * d);
  const y = new Int32Array(n);
  const plus = n - Math.floor(n / 2);
  const noise = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    let dot = 0;
    for (let j = 0; j < d; j++) {
      noise[j] = sigma * rng.normal();
      dot += noise[j] * v[j];
    }
    const sign = i < plus ? 1 : -1;
    y[i] = i < plus ? 0 : 1;
    const shift = (sign * eps) / 2 - dot;
    for (let j = 0; j < d; j++) x[i * d + j] = noise[j] + shift * v[j];
  }
  return { x, y };
}
