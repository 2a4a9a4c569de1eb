import * as tf from '@tensorflow/tfjs-core';
import { mat, Mat, orthonormalizeColumns } from '../../linalg/dense';
import { Rng } from '../../init/random';
import { symmetricEigenQl } from './eigen';

export interface PcaOptions {
  /** Components (unit vectors) to return; eigenvalues come for the whole spectrum when exact. */
  readonly components?: number;
  /** Largest min(N, D) decomposed exactly (Gram or covariance matrix); above it, randomised SVD. */
  readonly exactLimit?: number;
  readonly seed?: number;
  /** Randomised SVD: extra columns and power iterations (Halko, Martinsson, Tropp 2011). */
  readonly oversample?: number;
  readonly powerIterations?: number;
}

export interface PcaResult {
  /** Variance along each component (eigenvalues of the covariance, divisor N − 1), descending. */
  readonly eigenvalues: Float64Array;
  /** Singular values of the centred data (sklearn's singular_values_, what the NAD reference saved). */
  readonly singularValues: Float64Array;
  /** Unit, mutually orthogonal components of length D, in eigenvalue order. */
  readonly components: Float32Array[];
  readonly mean: Float64Array;
  /** Trace of the covariance: the sum of all eigenvalues, also when only some are computed. */
  readonly totalVariance: number;
  readonly method: 'gram' | 'covariance' | 'randomized';
}

/** Row-wise mean and the centred rows, in float64. */
function centre(x: Float32Array, n: number, d: number): { mean: Float64Array; c: Float64Array } {
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += x[i * d + j];
  for (let j = 0; j < d; j++) mean[j] /= n;
  const c = new Float64Array(n * d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) c[i * d + j] = x[i * d + j] - mean[j];
  return { mean, c };
}

/** A sign convention so the same NAD always looks the same: positive sum (positive DC), else positive largest entry. */
function orient(v: Float64Array): void {
  let sum = 0;
  let l1 = 0;
  let big = 0;
  for (let i = 0; i < v.length; i++) {
    sum += v[i];
    l1 += Math.abs(v[i]);
    if (Math.abs(v[i]) > Math.abs(big)) big = v[i];
  }
  const flip = Math.abs(sum) > 1e-6 * l1 ? sum < 0 : big < 0;
  if (flip) for (let i = 0; i < v.length; i++) v[i] = -v[i];
}

/** Columns of a d × k row-major matrix, oriented, as float32 unit vectors. */
function columns(m: Mat, k: number): Float32Array[] {
  const out: Float32Array[] = [];
  for (let j = 0; j < k; j++) {
    const v = new Float64Array(m.rows);
    for (let r = 0; r < m.rows; r++) v[r] = m.data[r * m.cols + j];
    orient(v);
    out.push(Float32Array.from(v));
  }
  return out;
}

/**
 * Principal components of the rows of x (N × D, row-major): mean-centred, from the smaller of the
 * Gram (N × N) and covariance (D × D) matrices by a symmetric eigen-decomposition in float64, or
 * by randomised SVD when both are larger than `exactLimit`.
 */
export function pca(x: Float32Array, n: number, d: number, opts: PcaOptions = {}): PcaResult {
  if (n < 2) throw new Error('PCA needs at least two samples');
  const { mean, c } = centre(x, n, d);
  let total = 0;
  for (let i = 0; i < c.length; i++) total += c[i] * c[i];
  const totalVariance = total / (n - 1);
  const rank = Math.min(n - 1, d);
  const want = Math.min(opts.components ?? 64, rank);
  const limit = opts.exactLimit ?? 1536;
  if (Math.min(n, d) > limit) return randomized(c, n, d, want, mean, totalVariance, opts);
  let values: Float64Array;
  let method: PcaResult['method'];
  let basis: Mat;
  if (n <= d) {
    method = 'gram';
    const k = mat(n, n);
    for (let i = 0; i < n; i++) {
      for (let j = i; j < n; j++) {
        let s = 0;
        for (let q = 0; q < d; q++) s += c[i * d + q] * c[j * d + q];
        k.data[i * n + j] = s;
        k.data[j * n + i] = s;
      }
    }
    const e = symmetricEigenQl(k);
    values = e.values.slice(0, rank);
    // Cᵀu_j is noise where λ_j is round-off: keep the components of the numerical rank.
    const top = Math.max(values[0], 0);
    let numeric = 0;
    while (numeric < want && values[numeric] > top * 1e-10) numeric++;
    basis = mat(d, numeric);
    // component j = Cᵀ u_j / ‖Cᵀ u_j‖ (= / √λ_j), accumulated contiguously
    const acc = new Float64Array(d);
    for (let j = 0; j < numeric; j++) {
      acc.fill(0);
      for (let i = 0; i < n; i++) {
        const u = e.vectors.data[i * n + j];
        if (u === 0) continue;
        const row = i * d;
        for (let q = 0; q < d; q++) acc[q] += u * c[row + q];
      }
      for (let q = 0; q < d; q++) basis.data[q * numeric + j] = acc[q];
    }
  } else {
    method = 'covariance';
    const cov = mat(d, d);
    for (let i = 0; i < n; i++) {
      const row = i * d;
      for (let a = 0; a < d; a++) {
        const va = c[row + a];
        if (va === 0) continue;
        const base = a * d;
        for (let b = a; b < d; b++) cov.data[base + b] += va * c[row + b];
      }
    }
    for (let a = 0; a < d; a++) for (let b = 0; b < a; b++) cov.data[a * d + b] = cov.data[b * d + a];
    const e = symmetricEigenQl(cov);
    values = e.values.slice(0, rank);
    basis = mat(d, want);
    for (let q = 0; q < d; q++) for (let j = 0; j < want; j++) basis.data[q * want + j] = e.vectors.data[q * d + j];
  }
  // Round-off leaves the tiny components slightly off; a re-orthonormalisation (in eigenvalue order) makes them exact.
  orthonormalizeColumns(basis);
  const eigenvalues = values.map((v) => Math.max(v, 0) / (n - 1));
  return { eigenvalues, singularValues: values.map((v) => Math.sqrt(Math.max(v, 0))), components: columns(basis, basis.cols), mean, totalVariance, method };
}

/** Randomised SVD of the centred data C (N × D) for the top `want` components; big products in TF.js. */
function randomized(c: Float64Array, n: number, d: number, want: number, mean: Float64Array, totalVariance: number, opts: PcaOptions): PcaResult {
  const l = Math.min(want + (opts.oversample ?? 16), n, d);
  const q = opts.powerIterations ?? 3;
  const rng = new Rng(opts.seed ?? 0);
  const omega = new Float32Array(d * l);
  rng.fillNormal(omega);
  const ct = tf.tensor2d(Float32Array.from(c), [n, d]);
  // Cᵀ explicitly: a matMul with transposeA is slow on WASM.
  const ctT = tf.transpose(ct);
  /** left (rows × inner) · right (inner × cols, row-major), read back as a float64 matrix. */
  const times = (left: tf.Tensor, right: ArrayLike<number>, inner: number, cols: number): Mat => {
    const t = tf.tidy(() => tf.matMul(left as tf.Tensor2D, tf.tensor2d(Float32Array.from(right), [inner, cols])));
    const m = mat(t.shape[0], cols, t.dataSync());
    t.dispose();
    return m;
  };
  const orth = (m: Mat): Mat => {
    orthonormalizeColumns(m);
    return m;
  };
  try {
    let y = orth(times(ct, omega, d, l));
    for (let it = 0; it < q; it++) {
      const z = orth(times(ctT, y.data, n, l));
      y = orth(times(ct, z.data, d, l));
    }
    // B = Qᵀ C (l × D), from (Cᵀ Q)ᵀ; BBᵀ = U Σ² Uᵀ; components = Bᵀ U / σ.
    const bt = times(ctT, y.data, n, l);
    const b = mat(l, d);
    for (let k = 0; k < d; k++) for (let i = 0; i < l; i++) b.data[i * d + k] = bt.data[k * l + i];
    const bbt = mat(l, l);
    for (let i = 0; i < l; i++) {
      for (let j = i; j < l; j++) {
        let s = 0;
        for (let k = 0; k < d; k++) s += b.data[i * d + k] * b.data[j * d + k];
        bbt.data[i * l + j] = s;
        bbt.data[j * l + i] = s;
      }
    }
    const e = symmetricEigenQl(bbt);
    const basis = mat(d, want);
    for (let j = 0; j < want; j++) {
      for (let i = 0; i < l; i++) {
        const u = e.vectors.data[i * l + j];
        for (let k = 0; k < d; k++) basis.data[k * want + j] += u * b.data[i * d + k];
      }
    }
    orthonormalizeColumns(basis);
    const sv = e.values.slice(0, want).map((v) => Math.sqrt(Math.max(v, 0)));
    return { eigenvalues: sv.map((s) => (s * s) / (n - 1)), singularValues: sv, components: columns(basis, want), mean, totalVariance, method: 'randomized' };
  } finally {
    tf.dispose([ct, ctT]);
  }
}
