import * as tf from '@tensorflow/tfjs-core';
import { mat, Mat, orthonormalizeColumns, symmetricEigen, transposeTimes } from '../../linalg/dense';
import { checkpoint, WorkContext } from '../../progress';
import { mulberry32 } from '../../random';

/** Top singular triplets of A: A·v_i = σ_i·u_i. */
export interface SingularResult {
  readonly values: number[];
  /** Right singular vectors (input space, the model's input layout), one per value. */
  readonly inputVectors: Float32Array[];
  /** Left singular vectors (output space). */
  readonly outputVectors: Float32Array[];
  readonly method: 'gram' | 'subspace-iteration';
}

/** The two products of A that the interpreter offers; A itself is never formed unless rows are at hand. */
export interface LinearOperator {
  readonly n: number;
  readonly m: number;
  times(v: tf.Tensor2D): tf.Tensor2D;
  transposeTimes(u: tf.Tensor2D): tf.Tensor2D;
}

function columnsOf(rowsByVector: Float32Array, count: number, len: number): Mat {
  // [count, len] row-major (one vector per row) -> len x count matrix with the vectors as columns
  const out = mat(len, count);
  for (let c = 0; c < count; c++) for (let r = 0; r < len; r++) out.data[r * count + c] = rowsByVector[c * len + r];
  return out;
}

function toVectorRows(a: Mat): Float32Array {
  // columns of a -> [cols, rows] row-major float32, the layout the operator takes
  const out = new Float32Array(a.rows * a.cols);
  for (let c = 0; c < a.cols; c++) for (let r = 0; r < a.rows; r++) out[c * a.rows + r] = a.data[r * a.cols + c];
  return out;
}

async function apply(op: (t: tf.Tensor2D) => tf.Tensor2D, vecs: Mat): Promise<Mat> {
  const input = tf.tensor2d(toVectorRows(vecs), [vecs.cols, vecs.rows]);
  const r = op(input);
  const d = (await r.data()) as Float32Array;
  const len = r.shape[1];
  tf.dispose([input, r]);
  return columnsOf(d, vecs.cols, len);
}

/** Seeded normal samples for the start block, so results repeat. */
function startBlock(n: number, p: number, seed: number): Mat {
  const rnd = mulberry32(seed);
  const m = mat(n, p);
  for (let i = 0; i < m.data.length; i++) m.data[i] = Math.sqrt(-2 * Math.log(Math.max(rnd(), 1e-12))) * Math.cos(2 * Math.PI * rnd());
  return m;
}

/**
 * The k largest singular values of A and their vectors. With all rows at hand: the eigen-
 * decomposition of A·Aᵀ (m × m). Otherwise: block subspace iteration with Rayleigh-Ritz, using
 * only A·v and Aᵀ·u, so image-to-image maps with huge A work.
 */
export async function topSingular(op: LinearOperator, k: number, opts: { rows?: Float32Array[]; iterations?: number; seed?: number; ctx?: WorkContext } = {}): Promise<SingularResult> {
  const { n, m } = op;
  const kk = Math.min(k, n, m);
  if (opts.rows && opts.rows.length === m) {
    const a = mat(m, n);
    opts.rows.forEach((row, i) => a.data.set(row, i * n));
    const gram = mat(m, m);
    for (let i = 0; i < m; i++) {
      for (let j = i; j < m; j++) {
        let s = 0;
        for (let t = 0; t < n; t++) s += a.data[i * n + t] * a.data[j * n + t];
        gram.data[i * m + j] = s;
        gram.data[j * m + i] = s;
      }
    }
    const { values, vectors } = symmetricEigen(gram);
    const out: SingularResult = { values: [], inputVectors: [], outputVectors: [], method: 'gram' };
    for (let c = 0; c < kk; c++) {
      const sigma = Math.sqrt(Math.max(values[c], 0));
      const u = new Float32Array(m);
      for (let r = 0; r < m; r++) u[r] = vectors.data[r * m + c];
      const v = new Float32Array(n);
      if (sigma > 0) for (let r = 0; r < m; r++) for (let t = 0; t < n; t++) v[t] += (a.data[r * n + t] * u[r]) / sigma;
      out.values.push(sigma);
      out.outputVectors.push(u);
      out.inputVectors.push(v);
    }
    return out;
  }
  const p = Math.min(kk + 8, n, m);
  let v = startBlock(n, p, opts.seed ?? 1);
  orthonormalizeColumns(v);
  const iters = opts.iterations ?? 8;
  for (let it = 0; it < iters; it++) {
    await checkpoint(opts.ctx);
    const u = await apply((t) => op.times(t), v);
    orthonormalizeColumns(u);
    v = await apply((t) => op.transposeTimes(t), u);
    orthonormalizeColumns(v);
    opts.ctx?.progress?.((it + 1) / (iters + 1), `subspace iteration ${it + 1}/${iters}`);
  }
  // Rayleigh-Ritz: Y = A·V, then YᵀY = W Σ² Wᵀ gives σ, u = Y·w/σ, v = V·w.
  const y = await apply((t) => op.times(t), v);
  const { values, vectors } = symmetricEigen(transposeTimes(y, y));
  const out: SingularResult = { values: [], inputVectors: [], outputVectors: [], method: 'subspace-iteration' };
  for (let c = 0; c < kk; c++) {
    const sigma = Math.sqrt(Math.max(values[c], 0));
    const u = new Float32Array(m);
    const vin = new Float32Array(n);
    for (let j = 0; j < p; j++) {
      const w = vectors.data[j * p + c];
      for (let r = 0; r < m; r++) u[r] += (y.data[r * p + j] * w) / (sigma || 1);
      for (let r = 0; r < n; r++) vin[r] += v.data[r * p + j] * w;
    }
    out.values.push(sigma);
    out.outputVectors.push(u);
    out.inputVectors.push(vin);
  }
  return out;
}
