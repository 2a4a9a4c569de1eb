/*
 * Linear assignment by shortest augmenting paths (Crouse 2016, in the form of scipy's
 * linear_sum_assignment), compiled to WebAssembly with SIMD. lap.ts drives it; its
 * linearSumAssignmentJs is the same algorithm in TypeScript, and the two must agree bit for bit
 * (the unit tests check it). Build: src/core/linalg/wasm/build.sh, which regenerates
 * src/core/linalg/wasmBinary.ts.
 *
 * Why WebAssembly: the Dijkstra scan is a compare-and-update over every unreached column, with
 * branches that the CPU cannot predict. In JavaScript that ran at about 2× scipy's C (uniform
 * 1024×1024: 130–150 ms against 65); here the updates are branch-free selects on two columns at
 * a time, over the columns in their natural order (contiguous loads instead of scipy's list of
 * remaining columns), and the same matrix takes 45–50 ms.
 *
 * Scan order and ties, exactly as scipy: scipy keeps the unreached columns in a list (initially
 * nc−1, …, 0; a reached column is replaced by the list's last one) and picks, at the smallest
 * distance, the first column in list order unless a later one at that distance is free (then the
 * last free one). Here the list is kept only as positions (pos[j]) to apply that rule when several
 * columns tie; the distances themselves are the same numbers computed by the same float64
 * operations, in the same order, so the search takes the same steps.
 *
 * No libc: everything lives in one linear memory, laid out by lap_reserve after __heap_base.
 */
#include <stdint.h>
#include <wasm_simd128.h>

extern unsigned char __heap_base;

#define INF __builtin_inf()

/* The float64 matrix to minimise, row-major nr×nc (nr ≤ nc), and the float32 staging area. */
static double *C;
static float *F;
/* Potentials, and the warm start's column potentials. */
static double *U, *V, *SV;
/* Per column, during one search: tentative distance, potential (−∞ once reached), settled distance. */
static double *PD, *PV, *DIST;
/* Per column: the row that last lowered its distance (64-bit lanes, to select with the distances). */
static int64_t *PP;
static int32_t *COL4ROW, *ROW4COL, *SX, *PATH, *REM, *POS, *RSEEN, *CSEEN;
static int32_t LAYOUT[16];

static uintptr_t align16(uintptr_t p) { return (p + 15) & ~(uintptr_t)15; }

/*
 * Lays the arrays out for an nr×nc problem, growing the memory when needed. Returns the address of
 * LAYOUT (byte offsets of the arrays, in the order lap.ts reads them), or 0 when memory ran out.
 */
__attribute__((export_name("lap_reserve"))) int32_t *lap_reserve(int32_t nr, int32_t nc) {
  uintptr_t p = align16((uintptr_t)&__heap_base);
  const uintptr_t size = (uintptr_t)nr * (uintptr_t)nc;
  C = (double *)p; p = align16(p + size * 8);
  F = (float *)p; p = align16(p + size * 4);
  U = (double *)p; p = align16(p + (uintptr_t)nr * 8);
  V = (double *)p; p = align16(p + (uintptr_t)nc * 8);
  SV = (double *)p; p = align16(p + (uintptr_t)nc * 8);
  PD = (double *)p; p = align16(p + (uintptr_t)nc * 8);
  PV = (double *)p; p = align16(p + (uintptr_t)nc * 8);
  DIST = (double *)p; p = align16(p + (uintptr_t)nc * 8);
  PP = (int64_t *)p; p = align16(p + (uintptr_t)nc * 8);
  COL4ROW = (int32_t *)p; p = align16(p + (uintptr_t)nr * 4);
  SX = (int32_t *)p; p = align16(p + (uintptr_t)nr * 4);
  RSEEN = (int32_t *)p; p = align16(p + (uintptr_t)nr * 4);
  ROW4COL = (int32_t *)p; p = align16(p + (uintptr_t)nc * 4);
  PATH = (int32_t *)p; p = align16(p + (uintptr_t)nc * 4);
  REM = (int32_t *)p; p = align16(p + (uintptr_t)nc * 4);
  POS = (int32_t *)p; p = align16(p + (uintptr_t)nc * 4);
  CSEEN = (int32_t *)p; p = align16(p + (uintptr_t)nc * 4);
  const uintptr_t have = __builtin_wasm_memory_size(0) * 65536;
  if (p > have && __builtin_wasm_memory_grow(0, (p - have + 65535) / 65536) == (uintptr_t)-1) return 0;
  int32_t *l = LAYOUT;
  l[0] = (int32_t)(uintptr_t)C; l[1] = (int32_t)(uintptr_t)F; l[2] = (int32_t)(uintptr_t)U; l[3] = (int32_t)(uintptr_t)V;
  l[4] = (int32_t)(uintptr_t)SV; l[5] = (int32_t)(uintptr_t)COL4ROW; l[6] = (int32_t)(uintptr_t)ROW4COL; l[7] = (int32_t)(uintptr_t)SX;
  return l;
}

/*
 * C = s·(staged float32 matrix), s = ±1 (−1 to maximise), nr×nc; `transposed`: the staged matrix
 * is C's transpose (nc×nr, row-major: a tall cost matrix, which is solved transposed). Returns 1
 * when a cost is not finite (lap.ts finds which), else 0.
 */
__attribute__((export_name("lap_prepare_f32"))) int32_t lap_prepare_f32(int32_t nr, int32_t nc, int32_t negate, int32_t transposed) {
  const double s = negate ? -1.0 : 1.0;
  int bad = 0;
  if (!transposed) {
    const int32_t size = nr * nc;
    for (int32_t i = 0; i < size; i++) {
      const double x = (double)F[i];
      bad |= !(x - x == 0);
      C[i] = s * x;
    }
  } else {
    // 4×8 tiles: four source rows by eight source columns, transposed with shuffles, each
    // destination row getting eight doubles (one cache line) at a time.
    const v128_t sv = wasm_f64x2_splat(s), zero = wasm_f32x4_splat(0);
    v128_t ok = wasm_i32x4_splat(-1);
    int32_t r0 = 0;
    for (; r0 + 4 <= nr; r0 += 4) {
      int32_t c0 = 0;
      for (; c0 + 8 <= nc; c0 += 8) {
        for (int32_t h = 0; h < 8; h += 4) {
          const float *src = F + (uintptr_t)(c0 + h) * nr + r0;
          const v128_t a = wasm_v128_load(src), b = wasm_v128_load(src + nr), c = wasm_v128_load(src + 2 * (uintptr_t)nr), d = wasm_v128_load(src + 3 * (uintptr_t)nr);
          ok = wasm_v128_and(ok, wasm_v128_and(wasm_v128_and(wasm_f32x4_eq(wasm_f32x4_sub(a, a), zero), wasm_f32x4_eq(wasm_f32x4_sub(b, b), zero)),
                                               wasm_v128_and(wasm_f32x4_eq(wasm_f32x4_sub(c, c), zero), wasm_f32x4_eq(wasm_f32x4_sub(d, d), zero))));
          // Rows of the 4×4 transpose: t_i = (a_i, b_i, c_i, d_i).
          const v128_t ab0 = wasm_i32x4_shuffle(a, b, 0, 4, 1, 5), ab1 = wasm_i32x4_shuffle(a, b, 2, 6, 3, 7);
          const v128_t cd0 = wasm_i32x4_shuffle(c, d, 0, 4, 1, 5), cd1 = wasm_i32x4_shuffle(c, d, 2, 6, 3, 7);
          const v128_t t[4] = {wasm_i64x2_shuffle(ab0, cd0, 0, 2), wasm_i64x2_shuffle(ab0, cd0, 1, 3), wasm_i64x2_shuffle(ab1, cd1, 0, 2), wasm_i64x2_shuffle(ab1, cd1, 1, 3)};
          for (int32_t i = 0; i < 4; i++) {
            double *dst = C + (uintptr_t)(r0 + i) * nc + c0 + h;
            wasm_v128_store(dst, wasm_f64x2_mul(sv, wasm_f64x2_promote_low_f32x4(t[i])));
            wasm_v128_store(dst + 2, wasm_f64x2_mul(sv, wasm_f64x2_promote_low_f32x4(wasm_i64x2_shuffle(t[i], t[i], 1, 1))));
          }
        }
      }
      for (; c0 < nc; c0++) {
        for (int32_t r = r0; r < r0 + 4; r++) {
          const double x = (double)F[(uintptr_t)c0 * nr + r];
          bad |= !(x - x == 0);
          C[(uintptr_t)r * nc + c0] = s * x;
        }
      }
    }
    for (; r0 < nr; r0++) {
      for (int32_t c = 0; c < nc; c++) {
        const double x = (double)F[(uintptr_t)c * nr + r0];
        bad |= !(x - x == 0);
        C[(uintptr_t)r0 * nc + c] = s * x;
      }
    }
    bad |= !wasm_i32x4_all_true(ok);
  }
  return bad;
}

/* The same for a float64 matrix written straight to C (not transposed), converted in place. */
__attribute__((export_name("lap_prepare_f64"))) int32_t lap_prepare_f64(int32_t size, int32_t negate) {
  const double s = negate ? -1.0 : 1.0;
  int bad = 0;
  for (int32_t i = 0; i < size; i++) {
    const double x = C[i];
    bad |= !(x - x == 0);
    C[i] = s * x;
  }
  return bad;
}

/* min over j of (row[j] − v[j]), as the sequential `r < min ? r : min` gives it. */
static double rowMin(const double *row, const double *v, int32_t nc) {
  v128_t m0 = wasm_f64x2_splat(INF), m1 = m0;
  int32_t j = 0;
  for (; j + 4 <= nc; j += 4) {
    m0 = wasm_f64x2_pmin(m0, wasm_f64x2_sub(wasm_v128_load(row + j), wasm_v128_load(v + j)));
    m1 = wasm_f64x2_pmin(m1, wasm_f64x2_sub(wasm_v128_load(row + j + 2), wasm_v128_load(v + j + 2)));
  }
  m0 = wasm_f64x2_pmin(m0, m1);
  double a = wasm_f64x2_extract_lane(m0, 0), b = wasm_f64x2_extract_lane(m0, 1);
  double min = b < a ? b : a;
  for (; j < nc; j++) {
    const double r = row[j] - v[j];
    if (r < min) min = r;
  }
  return min;
}

/* cm[j] = min(cm[j], row[j] − ui). */
static void colMin(const double *row, double ui, double *cm, int32_t nc) {
  const v128_t u = wasm_f64x2_splat(ui);
  int32_t j = 0;
  for (; j + 2 <= nc; j += 2) wasm_v128_store(cm + j, wasm_f64x2_pmin(wasm_v128_load(cm + j), wasm_f64x2_sub(wasm_v128_load(row + j), u)));
  for (; j < nc; j++) {
    const double r = row[j] - ui;
    if (r < cm[j]) cm[j] = r;
  }
}

/*
 * Relaxes every unreached column through row i (reached columns have PV = −∞, so r = +∞ and they
 * never change) and returns the smallest tentative distance.
 */
static double relax(const double *row, double minVal, double ui, int32_t i, int32_t nc) {
  const v128_t mv = wasm_f64x2_splat(minVal), uv = wasm_f64x2_splat(ui), iv = wasm_i64x2_splat(i);
  v128_t lo0 = wasm_f64x2_splat(INF), lo1 = lo0;
  int32_t j = 0;
  for (; j + 4 <= nc; j += 4) {
    const v128_t r0 = wasm_f64x2_sub(wasm_f64x2_sub(wasm_f64x2_add(mv, wasm_v128_load(row + j)), uv), wasm_v128_load(PV + j));
    const v128_t r1 = wasm_f64x2_sub(wasm_f64x2_sub(wasm_f64x2_add(mv, wasm_v128_load(row + j + 2)), uv), wasm_v128_load(PV + j + 2));
    v128_t d0 = wasm_v128_load(PD + j), d1 = wasm_v128_load(PD + j + 2);
    const v128_t t0 = wasm_f64x2_lt(r0, d0), t1 = wasm_f64x2_lt(r1, d1);
    d0 = wasm_v128_bitselect(r0, d0, t0);
    d1 = wasm_v128_bitselect(r1, d1, t1);
    wasm_v128_store(PD + j, d0);
    wasm_v128_store(PD + j + 2, d1);
    wasm_v128_store(PP + j, wasm_v128_bitselect(iv, wasm_v128_load(PP + j), t0));
    wasm_v128_store(PP + j + 2, wasm_v128_bitselect(iv, wasm_v128_load(PP + j + 2), t1));
    lo0 = wasm_f64x2_pmin(lo0, d0);
    lo1 = wasm_f64x2_pmin(lo1, d1);
  }
  lo0 = wasm_f64x2_pmin(lo0, lo1);
  double a = wasm_f64x2_extract_lane(lo0, 0), b = wasm_f64x2_extract_lane(lo0, 1);
  double lowest = b < a ? b : a;
  for (; j < nc; j++) {
    const double r = minVal + row[j] - ui - PV[j];
    double d = PD[j];
    if (r < d) {
      PP[j] = i;
      PD[j] = r;
      d = r;
    }
    if (d < lowest) lowest = d;
  }
  return lowest;
}

/* The column scipy picks at distance `lowest`: the last free one in list order, else the first. */
static int32_t pick(double lowest, int32_t nc) {
  const v128_t lv = wasm_f64x2_splat(lowest);
  int32_t found = -1, first = -1, lastFree = -1;
  int32_t j = 0;
  for (; j + 2 <= nc; j += 2) {
    if (!wasm_v128_any_true(wasm_f64x2_eq(wasm_v128_load(PD + j), lv))) continue;
    for (int32_t k = j; k < j + 2; k++) {
      if (PD[k] != lowest) continue;
      if (found < 0) found = k;
      if (ROW4COL[k] == -1) {
        if (lastFree < 0 || POS[k] > POS[lastFree]) lastFree = k;
      } else if (first < 0 || POS[k] < POS[first]) first = k;
    }
  }
  for (; j < nc; j++) {
    if (PD[j] != lowest) continue;
    if (found < 0) found = j;
    if (ROW4COL[j] == -1) {
      if (lastFree < 0 || POS[j] > POS[lastFree]) lastFree = j;
    } else if (first < 0 || POS[j] < POS[first]) first = j;
  }
  return lastFree >= 0 ? lastFree : first >= 0 ? first : found;
}

/*
 * Solves the minimisation on C (nr ≤ nc). warm: start from SX (old row → column) and SV (old
 * column potentials), as linearSumAssignmentJs documents. Returns 0, or −1 when no augmenting
 * path was found (a bug: it cannot happen with finite costs), −2 when a path did not close.
 */
__attribute__((export_name("lap_solve"))) int32_t lap_solve(int32_t nr, int32_t nc, int32_t warm) {
  for (int32_t i = 0; i < nr; i++) {
    U[i] = 0;
    COL4ROW[i] = -1;
  }
  for (int32_t j = 0; j < nc; j++) {
    V[j] = 0;
    ROW4COL[j] = -1;
  }
  if (warm) {
    for (int32_t j = 0; j < nc; j++) V[j] = SV[j];
    if (nr == nc) {
      // Rows to their minimum reduced cost, then columns (PD as scratch), then keep the old pairs
      // that are tight, then give the other rows a free tight column if they have one.
      for (int32_t j = 0; j < nc; j++) PD[j] = INF;
      for (int32_t i = 0; i < nr; i++) {
        const double *row = C + (uintptr_t)i * nc;
        U[i] = rowMin(row, V, nc);
        colMin(row, U[i], PD, nc);
      }
      for (int32_t j = 0; j < nc; j++) V[j] = PD[j];
      for (int32_t i = 0; i < nr; i++) {
        const int32_t j = SX[i];
        if (j >= 0 && j < nc && ROW4COL[j] == -1 && C[(uintptr_t)i * nc + j] - U[i] == V[j]) {
          COL4ROW[i] = j;
          ROW4COL[j] = i;
        }
      }
      for (int32_t i = 0; i < nr; i++) {
        if (COL4ROW[i] != -1) continue;
        const double *row = C + (uintptr_t)i * nc;
        for (int32_t j = 0; j < nc; j++) {
          if (ROW4COL[j] == -1 && row[j] - U[i] == V[j]) {
            COL4ROW[i] = j;
            ROW4COL[j] = i;
            break;
          }
        }
      }
    } else {
      for (int32_t i = 0; i < nr; i++) {
        const double *row = C + (uintptr_t)i * nc;
        const double min = rowMin(row, V, nc);
        U[i] = min;
        const int32_t j = SX[i];
        if (j >= 0 && j < nc && ROW4COL[j] == -1 && row[j] - V[j] == min) {
          COL4ROW[i] = j;
          ROW4COL[j] = i;
        }
      }
    }
  }
  for (int32_t curRow = 0; curRow < nr; curRow++) {
    if (COL4ROW[curRow] != -1) continue;
    double minVal = 0;
    int32_t nRem = nc;
    for (int32_t k = 0; k < nc; k++) {
      const int32_t j = nc - k - 1;
      REM[k] = j;
      POS[j] = k;
    }
    for (int32_t j = 0; j < nc; j++) {
      PD[j] = INF;
      PV[j] = V[j];
    }
    int32_t nRowsSeen = 0, nColsSeen = 0, i = curRow, sink = -1;
    while (sink == -1) {
      RSEEN[nRowsSeen++] = i;
      const double lowest = relax(C + (uintptr_t)i * nc, minVal, U[i], i, nc);
      if (!(lowest < INF)) return -1;
      const int32_t j = pick(lowest, nc);
      if (j < 0) return -1;
      minVal = lowest;
      DIST[j] = PD[j];
      PATH[j] = (int32_t)PP[j];
      if (ROW4COL[j] == -1) sink = j;
      else i = ROW4COL[j];
      CSEEN[nColsSeen++] = j;
      PV[j] = -INF;
      PD[j] = INF;
      const int32_t p = POS[j], last = REM[--nRem];
      REM[p] = last;
      POS[last] = p;
    }
    U[curRow] += minVal;
    for (int32_t k = 1; k < nRowsSeen; k++) {
      const int32_t r = RSEEN[k];
      U[r] += minVal - DIST[COL4ROW[r]];
    }
    for (int32_t k = 0; k < nColsSeen; k++) {
      const int32_t j = CSEEN[k];
      V[j] -= minVal - DIST[j];
    }
    int32_t j = sink;
    for (int32_t k = 0;; k++) {
      if (k > nr) return -2;
      const int32_t r = PATH[j];
      ROW4COL[j] = r;
      const int32_t t = COL4ROW[r];
      COL4ROW[r] = j;
      j = t;
      if (r == curRow) break;
    }
  }
  return 0;
}
