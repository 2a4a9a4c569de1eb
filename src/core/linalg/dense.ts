/**
 * Small dense linear algebra in float64 on plain arrays, for the little matrices the analyses
 * reduce to (Gram matrices of a few hundred rows, projected blocks of subspace iteration).
 * Big products stay in TensorFlow.js; these run on results already read back.
 */

/** A row-major matrix. */
export interface Mat {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float64Array;
}

export function mat(rows: number, cols: number, data?: ArrayLike<number>): Mat {
  const d = new Float64Array(rows * cols);
  if (data) d.set(data as ArrayLike<number>);
  return { rows, cols, data: d };
}

/** Eigen-decomposition of a symmetric matrix by cyclic Jacobi rotations; eigenvalues descending. */
export function symmetricEigen(a: Mat, opts: { maxSweeps?: number; tol?: number } = {}): { values: Float64Array; vectors: Mat } {
  const n = a.rows;
  if (a.cols !== n) throw new Error('symmetricEigen needs a square matrix');
  const m = Float64Array.from(a.data);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  const maxSweeps = opts.maxSweeps ?? 100;
  const tol = opts.tol ?? 1e-14;
  let norm = 0;
  for (let i = 0; i < n * n; i++) norm += m[i] * m[i];
  for (let sweep = 0; sweep < maxSweeps; sweep++) {
    let off = 0;
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) off += m[i * n + j] * m[i * n + j];
    if (off <= tol * tol * Math.max(norm, 1e-300)) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = m[p * n + q];
        if (Math.abs(apq) < 1e-300) continue;
        const app = m[p * n + p];
        const aqq = m[q * n + q];
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = m[k * n + p];
          const akq = m[k * n + q];
          m[k * n + p] = c * akp - s * akq;
          m[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = m[p * n + k];
          const aqk = m[q * n + k];
          m[p * n + k] = c * apk - s * aqk;
          m[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p];
          const vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => m[j * n + j] - m[i * n + i]);
  const values = Float64Array.from(order, (i) => m[i * n + i]);
  const vectors = mat(n, n);
  // columns of `vectors` are the eigenvectors, in the order of `values`
  for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) vectors.data[r * n + c] = v[r * n + order[c]];
  return { values, vectors };
}

/** Orthonormalises the columns of a (rows × k) matrix in place by modified Gram-Schmidt, twice for stability; returns the rank kept. */
export function orthonormalizeColumns(a: Mat): number {
  const { rows, cols, data } = a;
  let rank = 0;
  for (let j = 0; j < cols; j++) {
    for (let pass = 0; pass < 2; pass++) {
      for (let i = 0; i < j; i++) {
        let dot = 0;
        for (let r = 0; r < rows; r++) dot += data[r * cols + i] * data[r * cols + j];
        for (let r = 0; r < rows; r++) data[r * cols + j] -= dot * data[r * cols + i];
      }
    }
    let norm = 0;
    for (let r = 0; r < rows; r++) norm += data[r * cols + j] ** 2;
    norm = Math.sqrt(norm);
    if (norm < 1e-12) {
      for (let r = 0; r < rows; r++) data[r * cols + j] = 0;
      continue;
    }
    for (let r = 0; r < rows; r++) data[r * cols + j] /= norm;
    rank++;
  }
  return rank;
}

/** c = aᵀ·b for row-major a (n × p) and b (n × q). */
export function transposeTimes(a: Mat, b: Mat): Mat {
  if (a.rows !== b.rows) throw new Error('transposeTimes: row counts differ');
  const c = mat(a.cols, b.cols);
  for (let r = 0; r < a.rows; r++) {
    for (let i = 0; i < a.cols; i++) {
      const av = a.data[r * a.cols + i];
      if (av === 0) continue;
      for (let j = 0; j < b.cols; j++) c.data[i * b.cols + j] += av * b.data[r * b.cols + j];
    }
  }
  return c;
}

/** c = a·b. */
export function times(a: Mat, b: Mat): Mat {
  if (a.cols !== b.rows) throw new Error('times: inner sizes differ');
  const c = mat(a.rows, b.cols);
  for (let i = 0; i < a.rows; i++) {
    for (let k = 0; k < a.cols; k++) {
      const av = a.data[i * a.cols + k];
      if (av === 0) continue;
      for (let j = 0; j < b.cols; j++) c.data[i * b.cols + j] += av * b.data[k * b.cols + j];
    }
  }
  return c;
}
