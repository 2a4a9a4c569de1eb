/*
 * Kernels over tensors read through permutation maps, for weight matching: the inner product of A
 * with a permuted B, the gathering of a tensor's unit rows, and the float32 products and sums of
 * the cost matrices. permuted.ts drives them (one instance per job, holding that job's tensors);
 * its TypeScript fallbacks compute the same numbers, and the unit tests compare the two bit for bit.
 *
 * Why WebAssembly: the inner product is a float64 sum that must be taken in a fixed order (its
 * value is reported, and compared between runs), so it is bound by the latency of one addition per
 * element; JavaScript adds bounds checks and float32 loads around it and ran at about twice that.
 * The product is the one tf.matMul computes on the wasm backend, bit for bit (each entry a float32
 * sum, in order, of float32 products, no fused multiply-add), about 1.7× faster than that call
 * with its upload, weight packing and download, and it reads the gathered rows in place.
 *
 * No libc; permuted.ts lays its arrays out in memory from heap_base().
 */
#include <stdint.h>
#include <wasm_simd128.h>

extern unsigned char __heap_base;

__attribute__((export_name("heap_base"))) int32_t heap_base(void) { return (int32_t)(uintptr_t)&__heap_base; }

/*
 * Σ_p a[p]·b[off(p)] in float64, p in row-major order over nOuter rows of dl elements, where
 * off = rowOff[row] + lastOff[i]: each product is exact in float64, and they are added one after
 * the other, as the TypeScript loop adds them.
 */
__attribute__((export_name("dot_permuted"))) double dot_permuted(const float *a, const float *b, int32_t nOuter, int32_t dl, const int32_t *rowOff, const int32_t *lastOff) {
  double s = 0;
  for (int32_t q = 0; q < nOuter; q++) {
    const float *row = b + rowOff[q];
    for (int32_t i = 0; i < dl; i++) s += (double)a[i] * (double)row[lastOff[i]];
    a += dl;
  }
  return s;
}

/*
 * The unit rows of src (viewed as [outer, d, inner], outer and inner gathered through outerOff and
 * innerOff): element l = t·outer·inner + o·inner + q of unit k's row is
 * src[(outerOff[o]·d + pos[k·times + t])·inner + innerOff[q]], written to
 * out[(k >> 3)·kHi + (k & 7)·kLo + l·sl]. (kHi, kLo, sl) = (8·len, len, 1) writes the rows,
 * (8, 1, size) their transpose, (8·len, 1, 8) the panels of 8 rows that gemm reads.
 */
__attribute__((export_name("gather_units"))) void gather_units(const float *src, int32_t d, int32_t outer, int32_t inner, int32_t size, int32_t times, const int32_t *pos, const int32_t *outerOff, const int32_t *innerOff, float *out, int32_t kHi, int32_t kLo, int32_t sl) {
  const int32_t block = outer * inner;
  if (inner == 1) {
    // Units innermost: consecutive units read neighbouring columns of one source row. Blocks of
    // 8 source rows keep the lines read (and, for rows, the lines written) in cache.
    for (int32_t t = 0; t < times; t++) {
      for (int32_t o0 = 0; o0 < outer; o0 += 8) {
        const int32_t o1 = o0 + 8 < outer ? o0 + 8 : outer;
        for (int32_t k = 0; k < size; k++) {
          const int32_t p = pos[k * times + t];
          float *dst = out + (uintptr_t)(k >> 3) * kHi + (uintptr_t)(k & 7) * kLo + (uintptr_t)t * block * sl;
          for (int32_t o = o0; o < o1; o++) dst[(uintptr_t)o * sl] = src[(uintptr_t)outerOff[o] * d + p];
        }
      }
    }
    return;
  }
  // Rows innermost: each unit reads its own rows of src.
  for (int32_t k = 0; k < size; k++) {
    float *dk = out + (uintptr_t)(k >> 3) * kHi + (uintptr_t)(k & 7) * kLo;
    for (int32_t t = 0; t < times; t++) {
      const int32_t p = pos[k * times + t];
      for (int32_t o = 0; o < outer; o++) {
        const float *row = src + ((uintptr_t)outerOff[o] * d + p) * inner;
        float *drow = dk + ((uintptr_t)t * block + (uintptr_t)o * inner) * sl;
        for (int32_t q = 0; q < inner; q++) drow[(uintptr_t)q * sl] = row[innerOff[q]];
      }
    }
  }
}

#define MULADD(c, a, w) c = wasm_f32x4_add(c, wasm_f32x4_mul(a, w))

/*
 * c[i·n + j] = Σ_l x[i·K + l]·w[l, j] for i < m, j < n: float32 products added in order of l from
 * 0, as tf.matMul on the wasm backend gives them. w is in panels of 8 columns,
 * w[(j >> 3)·8K + l·8 + (j & 7)] (the last panel padded); tiles of 4 rows × 8 columns.
 */
__attribute__((export_name("gemm"))) void gemm(const float *x, const float *w, float *c, int32_t m, int32_t K, int32_t n) {
  for (int32_t j0 = 0; j0 < n; j0 += 8) {
    const float *wp = w + (uintptr_t)j0 * K;
    const int32_t nj = n - j0 < 8 ? n - j0 : 8;
    int32_t i = 0;
    for (; i + 4 <= m; i += 4) {
      const float *x0 = x + (uintptr_t)i * K, *x1 = x0 + K, *x2 = x1 + K, *x3 = x2 + K;
      v128_t c00 = wasm_f32x4_splat(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
      const float *wl = wp;
      for (int32_t l = 0; l < K; l++, wl += 8) {
        const v128_t w0 = wasm_v128_load(wl), w1 = wasm_v128_load(wl + 4);
        v128_t a = wasm_v128_load32_splat(x0 + l);
        MULADD(c00, a, w0);
        MULADD(c01, a, w1);
        a = wasm_v128_load32_splat(x1 + l);
        MULADD(c10, a, w0);
        MULADD(c11, a, w1);
        a = wasm_v128_load32_splat(x2 + l);
        MULADD(c20, a, w0);
        MULADD(c21, a, w1);
        a = wasm_v128_load32_splat(x3 + l);
        MULADD(c30, a, w0);
        MULADD(c31, a, w1);
      }
      const v128_t rows[4][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}};
      for (int32_t r = 0; r < 4; r++) {
        float *cr = c + (uintptr_t)(i + r) * n + j0;
        if (nj == 8) {
          wasm_v128_store(cr, rows[r][0]);
          wasm_v128_store(cr + 4, rows[r][1]);
        } else {
          float tmp[8];
          wasm_v128_store(tmp, rows[r][0]);
          wasm_v128_store(tmp + 4, rows[r][1]);
          for (int32_t j = 0; j < nj; j++) cr[j] = tmp[j];
        }
      }
    }
    for (; i < m; i++) {
      const float *x0 = x + (uintptr_t)i * K;
      v128_t c0 = wasm_f32x4_splat(0), c1 = c0;
      const float *wl = wp;
      for (int32_t l = 0; l < K; l++, wl += 8) {
        const v128_t a = wasm_v128_load32_splat(x0 + l);
        MULADD(c0, a, wasm_v128_load(wl));
        MULADD(c1, a, wasm_v128_load(wl + 4));
      }
      float tmp[8];
      wasm_v128_store(tmp, c0);
      wasm_v128_store(tmp + 4, c1);
      float *cr = c + (uintptr_t)i * n + j0;
      for (int32_t j = 0; j < nj; j++) cr[j] = tmp[j];
    }
  }
}

/* dst = 0 + src (a zero keeps only +0, as adding to a zeroed buffer gives), or dst += src (first = 0). */
__attribute__((export_name("add_into"))) void add_into(float *dst, const float *src, int32_t size, int32_t first) {
  int32_t i = 0;
  if (first) {
    const v128_t z = wasm_f32x4_splat(0);
    for (; i + 4 <= size; i += 4) wasm_v128_store(dst + i, wasm_f32x4_add(z, wasm_v128_load(src + i)));
    for (; i < size; i++) dst[i] = 0.0f + src[i];
  } else {
    for (; i + 4 <= size; i += 4) wasm_v128_store(dst + i, wasm_f32x4_add(wasm_v128_load(dst + i), wasm_v128_load(src + i)));
    for (; i < size; i++) dst[i] += src[i];
  }
}
