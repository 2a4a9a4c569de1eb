/**
 * Linear assignment on a dense matrix: which column each row gets so that the summed cost is
 * smallest (or largest). Permutation alignment solves one of these per hidden layer, with n up to
 * a few thousand.
 *
 * `linearAssignment` (square) and `linearSumAssignment` (rectangular) use the shortest augmenting
 * path method of Crouse (2016), in the form of scipy's `linear_sum_assignment` (by P. M. Larsen):
 * one Dijkstra search on reduced costs per row, with dual potentials, on a flat float64 row-major
 * matrix. It takes the same steps as scipy (same scan order, same tie rule, same float64
 * arithmetic), so with ties in the cost it picks the same optimal assignment as scipy does.
 * Jonker–Volgenant (LAPJV, 1987: column reduction, augmenting row reduction, then shortest
 * augmenting paths; structure of T. Kazmar's gatagat/lap) and a plain O(n³) Hungarian method are
 * kept beside it as independent checks (the tests compare all three). The shortest augmenting
 * path solver runs as WebAssembly (wasm/lap.c, embedded by wasm/build.sh in wasmBinary.ts),
 * with its TypeScript twin linearSumAssignmentJs as the reference and fallback.
 */

import { linalgWasmInstance } from './wasmModule';

/** A solved assignment: row i gets column `rowToCol[i]`. */
export interface Assignment {
  readonly rowToCol: Int32Array;
  readonly colToRow: Int32Array;
  /** Σ cost[i, rowToCol[i]] of the cost as given (maximised or minimised). */
  readonly value: number;
  /**
   * Dual potentials of the minimisation actually solved (the negated cost when maximising):
   * reduced costs c[i, j] − u[i] − v[j] are ≥ 0 and 0 on the assignment, which proves optimality.
   */
  readonly u: Float64Array;
  readonly v: Float64Array;
}

export interface LapOptions {
  /** Maximise the total instead of minimising it. */
  readonly maximize?: boolean;
  /**
   * A warm start for linearAssignment / linearSumAssignment (not for a tall matrix): an earlier
   * solution of a similar problem of the same size and direction, such as the previous sweep's
   * solution in weight matching. Its column potentials `v` are the start; every row gets the
   * smallest reduced cost as its potential (and, when square, every column then gets its smallest
   * one as well); rows whose old column is tight keep it, and only the other rows are augmented
   * (when square, after each took the first free tight column it has). The result is optimal
   * just the same; when the optimum is not unique it may be a different optimal assignment than
   * a cold start would give.
   */
  readonly start?: { readonly rowToCol: ArrayLike<number>; readonly v: ArrayLike<number> };
}

/** The error for the first cost that is not finite (row-major nRows×nCols); the matrix has one. */
function nonFinite(cost: ArrayLike<number>, nCols: number): Error {
  let k = 0;
  while (k < cost.length && Number.isFinite(cost[k])) k++;
  return new Error(`linear assignment: cost ${k} (row ${Math.floor(k / nCols)}, column ${k % nCols}) is ${cost[k]}`);
}

function checkInput(cost: ArrayLike<number>, n: number): void {
  if (!Number.isInteger(n) || n < 0) throw new Error(`linear assignment: bad size ${n}`);
  if (cost.length !== n * n) throw new Error(`linear assignment: ${cost.length} costs for a ${n}×${n} matrix`);
  for (let i = 0; i < cost.length; i++) {
    if (!Number.isFinite(cost[i])) throw new Error(`linear assignment: cost ${i} (row ${Math.floor(i / n)}, column ${i % n}) is ${cost[i]}`);
  }
}

/** The cost as a float64 copy to minimise (negated when maximising). */
function minimisable(cost: ArrayLike<number>, n: number, maximize: boolean): Float64Array {
  const c = new Float64Array(n * n);
  if (maximize) for (let i = 0; i < n * n; i++) c[i] = -cost[i];
  else for (let i = 0; i < n * n; i++) c[i] = cost[i];
  return c;
}

function finish(cost: ArrayLike<number>, c: Float64Array, n: number, x: Int32Array, y: Int32Array, v: Float64Array): Assignment {
  const u = new Float64Array(n);
  let value = 0;
  for (let i = 0; i < n; i++) {
    u[i] = c[i * n + x[i]] - v[x[i]];
    value += cost[i * n + x[i]];
  }
  return { rowToCol: x, colToRow: y, value, u, v };
}

/**
 * Solves the linear assignment problem on a dense n×n row-major matrix (shortest augmenting
 * paths; see linearSumAssignment).
 */
export function linearAssignment(cost: ArrayLike<number>, n: number, opts: LapOptions = {}): Assignment {
  if (!Number.isInteger(n) || n < 0) throw new Error(`linear assignment: bad size ${n}`);
  return linearSumAssignment(cost, n, n, opts);
}

/** Solves the linear assignment problem on a dense n×n row-major matrix by Jonker–Volgenant (LAPJV). */
export function lapjv(cost: ArrayLike<number>, n: number, opts: LapOptions = {}): Assignment {
  checkInput(cost, n);
  const c = minimisable(cost, n, opts.maximize ?? false);
  const x = new Int32Array(n).fill(-1);
  const y = new Int32Array(n).fill(-1);
  const v = new Float64Array(n);
  if (n === 0) return finish(cost, c, n, x, y, v);
  if (n === 1) {
    x[0] = 0;
    y[0] = 0;
    v[0] = c[0];
    return finish(cost, c, n, x, y, v);
  }
  const free = new Int32Array(n);
  let nFree = columnReduction(n, c, free, x, y, v);
  for (let round = 0; round < 2 && nFree > 0; round++) nFree = augmentingRowReduction(n, c, nFree, free, x, y, v);
  if (nFree > 0) augment(n, c, nFree, free, x, y, v);
  return finish(cost, c, n, x, y, v);
}

/**
 * Column reduction and reduction transfer: every column takes its cheapest row; a row picked by
 * several columns keeps one, the others stay unassigned; a row with a unique column passes the
 * slack to that column's price. Returns the number of free rows, listed in `free`.
 */
function columnReduction(n: number, c: Float64Array, free: Int32Array, x: Int32Array, y: Int32Array, v: Float64Array): number {
  v.fill(Infinity);
  y.fill(0);
  for (let i = 0; i < n; i++) {
    const row = i * n;
    for (let j = 0; j < n; j++) {
      const cij = c[row + j];
      if (cij < v[j]) {
        v[j] = cij;
        y[j] = i;
      }
    }
  }
  const unique = new Uint8Array(n).fill(1);
  // From the last column back, as in the original, so ties resolve the same way.
  for (let j = n - 1; j >= 0; j--) {
    const i = y[j];
    if (x[i] < 0) x[i] = j;
    else {
      unique[i] = 0;
      y[j] = -1;
    }
  }
  let nFree = 0;
  for (let i = 0; i < n; i++) {
    if (x[i] < 0) free[nFree++] = i;
    else if (unique[i]) {
      const j = x[i];
      const row = i * n;
      let min = Infinity;
      for (let j2 = 0; j2 < n; j2++) {
        if (j2 === j) continue;
        const r = c[row + j2] - v[j2];
        if (r < min) min = r;
      }
      v[j] -= min;
    }
  }
  return nFree;
}

/**
 * Augmenting row reduction: each free row takes its cheapest column, lowering that column's price
 * to the second-cheapest so the displaced row may move on. Bounded by rrCount so ties cannot loop.
 */
function augmentingRowReduction(n: number, c: Float64Array, nFree: number, free: Int32Array, x: Int32Array, y: Int32Array, v: Float64Array): number {
  let current = 0;
  let newFree = 0;
  let rrCount = 0;
  while (current < nFree) {
    rrCount++;
    const fi = free[current++];
    const row = fi * n;
    let j1 = 0;
    let v1 = c[row] - v[0];
    let j2 = -1;
    let v2 = Infinity;
    for (let j = 1; j < n; j++) {
      const r = c[row + j] - v[j];
      if (r < v2) {
        if (r >= v1) {
          v2 = r;
          j2 = j;
        } else {
          v2 = v1;
          v1 = r;
          j2 = j1;
          j1 = j;
        }
      }
    }
    let i0 = y[j1];
    const v1New = v[j1] - (v2 - v1);
    const lowers = v1New < v[j1];
    if (rrCount < current * n) {
      if (lowers) v[j1] = v1New;
      else if (i0 >= 0 && j2 >= 0) {
        j1 = j2;
        i0 = y[j2];
      }
      if (i0 >= 0) {
        if (lowers) free[--current] = i0;
        else free[newFree++] = i0;
      }
    } else if (i0 >= 0) {
      free[newFree++] = i0;
    }
    x[fi] = j1;
    y[j1] = fi;
  }
  return newFree;
}

/** Shortest augmenting paths (Dijkstra on reduced costs) from each remaining free row. */
function augment(n: number, c: Float64Array, nFree: number, free: Int32Array, x: Int32Array, y: Int32Array, v: Float64Array): void {
  const pred = new Int32Array(n);
  const cols = new Int32Array(n);
  const d = new Float64Array(n);
  for (let f = 0; f < nFree; f++) {
    const start = free[f];
    let j = findPath(n, c, start, y, v, pred, cols, d);
    if (j < 0) throw new Error('linear assignment: no augmenting path (bug)');
    let i = -1;
    for (let k = 0; i !== start; k++) {
      if (k > n) throw new Error('linear assignment: augmenting path does not close (bug)');
      i = pred[j];
      y[j] = i;
      const t = x[i];
      x[i] = j;
      j = t;
    }
  }
}

function findPath(n: number, c: Float64Array, start: number, y: Int32Array, v: Float64Array, pred: Int32Array, cols: Int32Array, d: Float64Array): number {
  // cols[0, lo) are READY (final distances), cols[lo, hi) are SCAN (at the current minimum),
  // cols[hi, n) are TODO.
  let lo = 0;
  let hi = 0;
  let finalJ = -1;
  let nReady = 0;
  const srow = start * n;
  for (let j = 0; j < n; j++) {
    cols[j] = j;
    pred[j] = start;
    d[j] = c[srow + j] - v[j];
  }
  while (finalJ === -1) {
    if (lo === hi) {
      nReady = lo;
      // Move every TODO column at the minimal distance into SCAN.
      hi = lo + 1;
      let mind = d[cols[lo]];
      for (let k = hi; k < n; k++) {
        const j = cols[k];
        const dj = d[j];
        if (dj <= mind) {
          if (dj < mind) {
            hi = lo;
            mind = dj;
          }
          cols[k] = cols[hi];
          cols[hi++] = j;
        }
      }
      for (let k = lo; k < hi; k++) {
        const j = cols[k];
        if (y[j] < 0) finalJ = j;
      }
    }
    if (finalJ === -1) {
      // Scan: relax the TODO columns through the rows assigned to SCAN columns. Works on copies
      // of lo and hi that are kept only when no free column turns up, so that on success
      // cols[lo] is still a column at the current minimal distance.
      let l = lo;
      let h2 = hi;
      scan: while (l !== h2) {
        const js = cols[l++];
        const i = y[js];
        const mind = d[js];
        const row = i * n;
        const h = c[row + js] - v[js] - mind;
        for (let k = h2; k < n; k++) {
          const j = cols[k];
          const cred = c[row + j] - v[j] - h;
          if (cred < d[j]) {
            d[j] = cred;
            pred[j] = i;
            if (cred === mind) {
              if (y[j] < 0) {
                finalJ = j;
                break scan;
              }
              cols[k] = cols[h2];
              cols[h2++] = j;
            }
          }
        }
      }
      if (finalJ === -1) {
        lo = l;
        hi = h2;
      }
    }
  }
  // Update the prices of the READY columns so the reduced costs stay non-negative.
  const mind = d[cols[lo]];
  for (let k = 0; k < nReady; k++) {
    const j = cols[k];
    v[j] += d[j] - mind;
  }
  return finalJ;
}

/** The WebAssembly build of the solver (src/core/linalg/wasm/lap.c), instantiated on first use. */
interface LapWasm {
  readonly memory: WebAssembly.Memory;
  /** Lays out an nr×nc problem; returns the address of the layout table (byte offsets), 0 when out of memory. */
  readonly lap_reserve: (nr: number, nc: number) => number;
  /** The matrix to minimise from the staged float32 costs (transposed: a tall matrix, the transpose of the one solved); 1 when one is not finite. */
  readonly lap_prepare_f32: (nr: number, nc: number, negate: number, transposed: number) => number;
  /** The same in place for float64 costs written to the matrix; 1 when one is not finite. */
  readonly lap_prepare_f64: (size: number, negate: number) => number;
  /** 0, or −1 / −2 for the two "bug" errors of the JS solver. */
  readonly lap_solve: (nr: number, nc: number, warm: number) => number;
}

let lapWasmInstance: LapWasm | null | undefined;

function lapWasm(): LapWasm | null {
  // One instance for every call: linearSumAssignment runs synchronously and keeps nothing there.
  if (lapWasmInstance === undefined) lapWasmInstance = linalgWasmInstance<LapWasm>();
  return lapWasmInstance;
}

/** Whether linearSumAssignment runs the WebAssembly solver here (else linearSumAssignmentJs). */
export function lapUsesWasm(): boolean {
  return lapWasm() !== null;
}

/**
 * Solves the linear assignment problem on a dense nRows×nCols row-major matrix: every row gets a
 * column when nRows ≤ nCols, else every column gets a row (rowToCol / colToRow hold −1 for the
 * rest). The WebAssembly build of linearSumAssignmentJs (same steps, same float64 arithmetic,
 * bit for bit the same result), about 3× faster; linearSumAssignmentJs where WebAssembly SIMD is
 * missing.
 */
export function linearSumAssignment(cost: ArrayLike<number>, nRows: number, nCols: number, opts: LapOptions = {}): Assignment {
  if (!Number.isInteger(nRows) || nRows < 0 || !Number.isInteger(nCols) || nCols < 0) throw new Error(`linear assignment: bad size ${nRows}×${nCols}`);
  if (cost.length !== nRows * nCols) throw new Error(`linear assignment: ${cost.length} costs for a ${nRows}×${nCols} matrix`);
  const w = nRows > 0 && nCols > 0 ? lapWasm() : null;
  if (!w) return linearSumAssignmentJs(cost, nRows, nCols, opts);
  const maximize = opts.maximize ?? false;
  const transpose = nCols < nRows;
  const nr = transpose ? nCols : nRows;
  const nc = transpose ? nRows : nCols;
  const size = nr * nc;
  const at = w.lap_reserve(nr, nc);
  if (at === 0) return linearSumAssignmentJs(cost, nRows, nCols, opts);
  const buf = w.memory.buffer;
  const [cAt, fAt, uAt, vAt, svAt, col4rowAt, row4colAt, sxAt] = new Int32Array(buf, at, 8);
  if (cost instanceof Float32Array) {
    // Converted (and transposed when tall) inside the module.
    new Float32Array(buf, fAt, size).set(cost);
    if (w.lap_prepare_f32(nr, nc, maximize ? 1 : 0, transpose ? 1 : 0)) throw nonFinite(cost, nCols);
  } else if (cost instanceof Float64Array && !transpose) {
    new Float64Array(buf, cAt, size).set(cost);
    if (w.lap_prepare_f64(size, maximize ? 1 : 0)) throw nonFinite(cost, nCols);
  } else {
    writeMinimisable(cost, nRows, nCols, opts, new Float64Array(buf, cAt, size));
  }
  const start = transpose ? undefined : opts.start;
  const warm = start !== undefined && start.rowToCol.length === nr && start.v.length === nc;
  if (warm) {
    new Int32Array(buf, sxAt, nr).set(start.rowToCol);
    new Float64Array(buf, svAt, nc).set(start.v);
  }
  const rc = w.lap_solve(nr, nc, warm ? 1 : 0);
  if (rc === -1) throw new Error('linear assignment: no augmenting path (bug)');
  if (rc !== 0) throw new Error('linear assignment: augmenting path does not close (bug)');
  const col4row = new Int32Array(buf, col4rowAt, nr).slice();
  const row4col = new Int32Array(buf, row4colAt, nc).slice();
  const u = new Float64Array(buf, uAt, nr).slice();
  const v = new Float64Array(buf, vAt, nc).slice();
  return assignmentOf(cost, nRows, nCols, col4row, row4col, u, v);
}

/**
 * The matrix to minimise into c (nr×nc, float64): the costs negated when maximising, transposed
 * when tall.
 */
function writeMinimisable(cost: ArrayLike<number>, nRows: number, nCols: number, opts: LapOptions, c: Float64Array): void {
  const transpose = nCols < nRows;
  const s = opts.maximize ? -1 : 1;
  for (let i = 0; i < nRows; i++) {
    const row = i * nCols;
    for (let j = 0; j < nCols; j++) {
      const x = cost[row + j];
      if (!Number.isFinite(x)) throw nonFinite(cost, nCols);
      c[transpose ? j * nRows + i : row + j] = s * x;
    }
  }
}

/** The Assignment of the original matrix from the solved (possibly transposed) one. */
function assignmentOf(cost: ArrayLike<number>, nRows: number, nCols: number, col4row: Int32Array, row4col: Int32Array, u: Float64Array, v: Float64Array): Assignment {
  let value = 0;
  if (nCols >= nRows) {
    for (let r = 0; r < nRows; r++) value += cost[r * nCols + col4row[r]];
    return { rowToCol: col4row, colToRow: row4col, value, u, v };
  }
  // Tall: the solved rows are the original columns.
  for (let r = 0; r < nRows; r++) if (row4col[r] >= 0) value += cost[r * nCols + row4col[r]];
  return { rowToCol: row4col, colToRow: col4row, value, u: v, v: u };
}

/** Work arrays of linearSumAssignmentJs, reused from call to call (it runs synchronously) and grown on demand. */
let wCost = new Float64Array(0);
let wDist = new Float64Array(0);
let wPath = new Int32Array(0);
let wRemaining = new Int32Array(0);
let wRows = new Int32Array(0);
let wCols = new Int32Array(0);
let wPosDist = new Float64Array(0);
let wPosV = new Float64Array(0);
let wPosPath = new Int32Array(0);

/**
 * linearSumAssignment in TypeScript: the reference for the WebAssembly build, and the fallback.
 * Shortest augmenting paths with dual potentials (Crouse 2016), step for step as scipy's
 * `linear_sum_assignment`: a tall matrix is transposed, rows are added in order, each by one
 * Dijkstra search over the columns (scanned from the last to the first, the first minimum wins
 * unless a later tie is a free column), so ties resolve the way scipy resolves them.
 */
export function linearSumAssignmentJs(cost: ArrayLike<number>, nRows: number, nCols: number, opts: LapOptions = {}): Assignment {
  if (!Number.isInteger(nRows) || nRows < 0 || !Number.isInteger(nCols) || nCols < 0) throw new Error(`linear assignment: bad size ${nRows}×${nCols}`);
  if (cost.length !== nRows * nCols) throw new Error(`linear assignment: ${cost.length} costs for a ${nRows}×${nCols} matrix`);
  const transpose = nCols < nRows;
  const nr = transpose ? nCols : nRows;
  const nc = transpose ? nRows : nCols;
  const size = nr * nc;
  if (wCost.length < size) wCost = new Float64Array(size);
  if (wDist.length < nc) {
    wDist = new Float64Array(nc);
    wPath = new Int32Array(nc);
    wRemaining = new Int32Array(nc);
    wCols = new Int32Array(nc);
    wPosDist = new Float64Array(nc);
    wPosV = new Float64Array(nc);
    wPosPath = new Int32Array(nc);
  }
  if (wRows.length < nr) wRows = new Int32Array(nr);
  // The float64 matrix to minimise (negated when maximising, transposed when tall).
  const c = wCost;
  writeMinimisable(cost, nRows, nCols, opts, c);
  const u = new Float64Array(nr);
  const v = new Float64Array(nc);
  const col4row = new Int32Array(nr).fill(-1);
  const row4col = new Int32Array(nc).fill(-1);
  const start = transpose ? undefined : opts.start;
  if (start && start.rowToCol.length === nr && start.v.length === nc) {
    for (let j = 0; j < nc; j++) v[j] = start.v[j];
    // Rows to their smallest reduced cost against the old column potentials: feasible.
    for (let i = 0; i < nr; i++) {
      const row = i * nc;
      let min = Infinity;
      for (let j = 0; j < nc; j++) {
        const r = c[row + j] - v[j];
        if (r < min) min = r;
      }
      u[i] = min;
    }
    if (nr === nc) {
      // Square: then columns to their smallest reduced cost (still feasible), keep the old pairs
      // that are now tight, and give each other row the first free column that is tight for it.
      // With the row pass alone, a pair whose cost moved by an ulp is no longer tight; on weight
      // matching's successive matrices the column pass and the free tight columns left 60–77%
      // fewer rows to augment, and about half the search work. (A wide matrix may not raise the
      // potentials of columns that stay free, so it keeps the row pass only.)
      const cm = wPosDist;
      cm.fill(Infinity, 0, nc);
      for (let i = 0; i < nr; i++) {
        const row = i * nc;
        for (let j = 0; j < nc; j++) {
          const r = c[row + j] - u[i];
          if (r < cm[j]) cm[j] = r;
        }
      }
      for (let j = 0; j < nc; j++) v[j] = cm[j];
      for (let i = 0; i < nr; i++) {
        const j = start.rowToCol[i];
        if (j >= 0 && j < nc && row4col[j] === -1 && c[i * nc + j] - u[i] === v[j]) {
          col4row[i] = j;
          row4col[j] = i;
        }
      }
      for (let i = 0; i < nr; i++) {
        if (col4row[i] !== -1) continue;
        const row = i * nc;
        for (let j = 0; j < nc; j++) {
          if (row4col[j] === -1 && c[row + j] - u[i] === v[j]) {
            col4row[i] = j;
            row4col[j] = i;
            break;
          }
        }
      }
    } else {
      // The old pairs that are still tight.
      for (let i = 0; i < nr; i++) {
        const j = start.rowToCol[i];
        if (j >= 0 && j < nc && row4col[j] === -1 && c[i * nc + j] - v[j] === u[i]) {
          col4row[i] = j;
          row4col[j] = i;
        }
      }
    }
  }
  // The columns not yet reached are kept by position k: remaining[k] is the column, pd[k] its
  // tentative distance, pv[k] its potential, pp[k] its predecessor row, so the scan reads them in
  // order. Removing position k moves the last one there (scipy's order). A settled column's
  // distance and predecessor go to dist[j] and path[j].
  const dist = wDist;
  const path = wPath;
  const remaining = wRemaining;
  const pd = wPosDist;
  const pv = wPosV;
  const pp = wPosPath;
  const rowsSeen = wRows;
  const colsSeen = wCols;
  for (let curRow = 0; curRow < nr; curRow++) {
    if (col4row[curRow] !== -1) continue;
    // Dijkstra from curRow over the reduced costs c[i, j] − u[i] − v[j] until a free column.
    let minVal = 0;
    let nRemaining = nc;
    for (let k = 0; k < nc; k++) {
      const j = nc - k - 1;
      remaining[k] = j;
      pd[k] = Infinity;
      pv[k] = v[j];
    }
    let nRowsSeen = 0;
    let nColsSeen = 0;
    let i = curRow;
    let sink = -1;
    while (sink === -1) {
      rowsSeen[nRowsSeen++] = i;
      let index = -1;
      let lowest = Infinity;
      const row = i * nc;
      const ui = u[i];
      for (let k = 0; k < nRemaining; k++) {
        const r = minVal + c[row + remaining[k]] - ui - pv[k];
        let dj = pd[k];
        if (r < dj) {
          pp[k] = i;
          pd[k] = r;
          dj = r;
        }
        if (dj < lowest || (dj === lowest && row4col[remaining[k]] === -1)) {
          lowest = dj;
          index = k;
        }
      }
      if (index < 0) throw new Error('linear assignment: no augmenting path (bug)');
      minVal = lowest;
      const j = remaining[index];
      dist[j] = pd[index];
      path[j] = pp[index];
      if (row4col[j] === -1) sink = j;
      else i = row4col[j];
      colsSeen[nColsSeen++] = j;
      const last = --nRemaining;
      remaining[index] = remaining[last];
      pd[index] = pd[last];
      pv[index] = pv[last];
      pp[index] = pp[last];
    }
    // Update the potentials so that reduced costs stay ≥ 0 and the path is tight.
    u[curRow] += minVal;
    for (let k = 1; k < nRowsSeen; k++) {
      const r = rowsSeen[k];
      u[r] += minVal - dist[col4row[r]];
    }
    for (let k = 0; k < nColsSeen; k++) {
      const j = colsSeen[k];
      v[j] -= minVal - dist[j];
    }
    // Augment along the path.
    let j = sink;
    for (let k = 0; ; k++) {
      if (k > nr) throw new Error('linear assignment: augmenting path does not close (bug)');
      const r = path[j];
      row4col[j] = r;
      const t = col4row[r];
      col4row[r] = j;
      j = t;
      if (r === curRow) break;
    }
  }
  return assignmentOf(cost, nRows, nCols, col4row, row4col, u, v);
}

/**
 * The textbook O(n³) Hungarian method (potentials and shortest augmenting paths, one row at a
 * time). Slower than linearAssignment; kept as an independent second solver for checks.
 */
export function hungarian(cost: ArrayLike<number>, n: number, opts: LapOptions = {}): Assignment {
  checkInput(cost, n);
  const c = minimisable(cost, n, opts.maximize ?? false);
  // 1-based arrays with a virtual column 0, as in the classic formulation.
  const u = new Float64Array(n + 1);
  const v = new Float64Array(n + 1);
  const p = new Int32Array(n + 1);
  const way = new Int32Array(n + 1);
  const minv = new Float64Array(n + 1);
  const used = new Uint8Array(n + 1);
  for (let i = 1; i <= n; i++) {
    p[0] = i;
    let j0 = 0;
    minv.fill(Infinity);
    used.fill(0);
    do {
      used[j0] = 1;
      const i0 = p[j0];
      let delta = Infinity;
      let j1 = -1;
      const row = (i0 - 1) * n;
      for (let j = 1; j <= n; j++) {
        if (used[j]) continue;
        const cur = c[row + j - 1] - u[i0] - v[j];
        if (cur < minv[j]) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j] < delta) {
          delta = minv[j];
          j1 = j;
        }
      }
      for (let j = 0; j <= n; j++) {
        if (used[j]) {
          u[p[j]] += delta;
          v[j] -= delta;
        } else minv[j] -= delta;
      }
      j0 = j1;
    } while (p[j0] !== 0);
    do {
      const j1 = way[j0];
      p[j0] = p[j1];
      j0 = j1;
    } while (j0 !== 0);
  }
  const x = new Int32Array(n);
  const y = new Int32Array(n);
  for (let j = 1; j <= n; j++) {
    x[p[j] - 1] = j - 1;
    y[j - 1] = p[j] - 1;
  }
  return finish(cost, c, n, x, y, v.slice(1));
}

/**
 * The largest violation of the optimality certificate of an assignment for the minimisation of
 * `c` (negate for maximisation): max over i, j of (u[i] + v[j] − c[i, j]), which must be ≤ ~0,
 * and of |c[i, x[i]] − u[i] − v[x[i]]|. Returns 0 for a proven optimum, up to round-off.
 */
export function certificateGap(c: ArrayLike<number>, n: number, a: Assignment, maximize = false): number {
  const s = maximize ? -1 : 1;
  let worst = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const red = s * c[i * n + j] - a.u[i] - a.v[j];
      if (-red > worst) worst = -red;
      if (j === a.rowToCol[i] && Math.abs(red) > worst) worst = Math.abs(red);
    }
  }
  return worst;
}
