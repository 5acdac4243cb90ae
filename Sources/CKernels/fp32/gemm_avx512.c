// The AVX-512 GEMM: register-tiled micro-kernels over 512-bit vectors, compiled for this CPU with a
// target attribute (never -march) and reached only after gemm_dispatch.c's cpuid check.
//
// A tile is ROWS × NV·16 floats of C held in ROWS·NV zmm accumulators (ROWS ≤ 14 for NV = 2, ≤ 16 for
// NV = 1: up to 28 independent FMA chains). Each k step loads NV vectors of op(B) (the last one
// masked for column tails) and broadcasts ROWS values of op(A) straight from the caller's matrix: A is
// never packed (with trans_a the ROWS values are contiguous, without it they are lda apart). op(B) is
// read in place when its rows are contiguous and few tiles reuse it, otherwise packed per 32-column
// panel (transposed 16×16 at a time in registers when trans_b). Rows are split into tiles of nearly
// equal height (m = 16 → 2 × 8, m = 144 → 11 tiles of 13–14), and every height has its own unrolled
// kernel, which runs a whole run of equal tiles per call. k is blocked by KC; blocks after the first add
// into C, in k order. Large products (m·n·k ≥ 2²⁴) pack op(B) in KC × 256 blocks on the heap, shared by
// row blocks of MC, so every A block is reused from L2 by 8 column strips. Every C entry is one FMA
// chain over each k block whatever the blocking, so results do not depend on the path taken.
// A transposed op(B) next to a tiny op(A) (m ≤ 16) is computed the other way round, Cᵀ = op(B)ᵀ·op(A)ᵀ,
// so that only op(A) is packed, and each tile is transposed in registers on its way out.
#include <immintrin.h>
#include <stdlib.h>
#include "gemm_internal.h"

#pragma clang attribute push(__attribute__((target("avx512f,avx512bw,avx512vl,avx2,fma"))), apply_to = function)

enum {
  KC = 512,                // k block: few passes over C; a 32-column B panel (64 KB) streams from L2
  MR1 = 16,                // rows of a 16-column tile
  MR2 = 14,                // rows of a 32-column tile
  MC = 12 * MR2,           // rows per A block in the heap-blocked path (168 × 512 floats = 336 KB)
  NC_HEAP = 256,           // columns per packed B block in the heap-blocked path (512 KB)
  HEAP_MIN_MNK = 1 << 24,  // m·n·k from which that path pays for its allocation
};

#define UNROLL _Pragma("clang loop unroll(full)")

static inline __mmask16 tail_mask(int count) {
  return count >= 16 ? (__mmask16)0xFFFF : count <= 0 ? (__mmask16)0 : (__mmask16)((1u << count) - 1);
}

/// Transposes a 16×16 block in place: lane q of r[i] moves to lane i of r[q].
static inline __attribute__((always_inline)) void transpose16(__m512 r[16]) {
  __m512 t[16];
  UNROLL for (int i = 0; i < 16; i += 2) {
    t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
  }
  UNROLL for (int i = 0; i < 16; i += 4) {
    const __m512d t0 = _mm512_castps_pd(t[i]), t1 = _mm512_castps_pd(t[i + 1]);
    const __m512d t2 = _mm512_castps_pd(t[i + 2]), t3 = _mm512_castps_pd(t[i + 3]);
    r[i] = _mm512_castpd_ps(_mm512_unpacklo_pd(t0, t2));
    r[i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(t0, t2));
    r[i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(t1, t3));
    r[i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(t1, t3));
  }
  // r[4g + s] now holds, in its 128-bit lane L, rows 4g … 4g+3 of column 4L + s: gather the lanes.
  UNROLL for (int s = 0; s < 4; s++) {
    const __m512 x0 = r[s], x1 = r[4 + s], x2 = r[8 + s], x3 = r[12 + s];
    const __m512 y0 = _mm512_shuffle_f32x4(x0, x1, 0x44), y1 = _mm512_shuffle_f32x4(x0, x1, 0xEE);
    const __m512 y2 = _mm512_shuffle_f32x4(x2, x3, 0x44), y3 = _mm512_shuffle_f32x4(x2, x3, 0xEE);
    t[s] = _mm512_shuffle_f32x4(y0, y2, 0x88);
    t[4 + s] = _mm512_shuffle_f32x4(y0, y2, 0xDD);
    t[8 + s] = _mm512_shuffle_f32x4(y1, y3, 0x88);
    t[12 + s] = _mm512_shuffle_f32x4(y1, y3, 0xDD);
  }
  UNROLL for (int i = 0; i < 16; i++) r[i] = t[i];
}

/// One tile over kc steps: acc[r][j] = Σ_p a[r·a_rs + p·a_ks] · b[p·b_ks + j], where UNIT selects
/// a_rs = 1, a_ks = a_stride (op(A) read from Aᵀ) or else a_rs = a_stride, a_ks = 1. Then
/// C[r][j] (+)= acc[r][j] for j < NV·16 under `mask` on the last vector, or with TRANSPOSED (NV = 1)
/// C[j][r] (+)= acc[r][j] for j < `lanes` (a 16 × ROWS block of C).
static inline __attribute__((always_inline)) void tile(const int ROWS, const int NV, const int UNIT,
                                                      const int TRANSPOSED, int kc, const float *a,
                                                      long a_stride, const float *b, long b_ks, float *c,
                                                      long ldc, int accumulate, int lanes) {
  const __mmask16 mask = tail_mask(lanes - 16 * (NV - 1));
  __m512 acc[16][2];
  UNROLL for (int r = 0; r < ROWS; r++) UNROLL for (int v = 0; v < NV; v++) acc[r][v] = _mm512_setzero_ps();
  if (accumulate && !TRANSPOSED) {
    // The tile's C lines are needed only at the end: start fetching them now (hint only, never faults).
    UNROLL for (int r = 0; r < ROWS; r++) {
      _mm_prefetch((const char *)(c + r * ldc), _MM_HINT_T0);
      _mm_prefetch((const char *)(c + r * ldc + 16 * NV - 1), _MM_HINT_T0);
    }
  }
  for (int p = 0; p < kc; p++) {
    __m512 bv[2];
    UNROLL for (int v = 0; v < NV; v++)
      bv[v] = v == NV - 1 ? _mm512_maskz_loadu_ps(mask, b + 16 * v) : _mm512_loadu_ps(b + 16 * v);
    UNROLL for (int r = 0; r < ROWS; r++) {
      const __m512 av = _mm512_set1_ps(UNIT ? a[r] : a[r * a_stride]);
      UNROLL for (int v = 0; v < NV; v++) acc[r][v] = _mm512_fmadd_ps(av, bv[v], acc[r][v]);
    }
    a += UNIT ? a_stride : 1;
    b += b_ks;
  }
  if (TRANSPOSED) {
    __m512 t[16];
    UNROLL for (int r = 0; r < 16; r++) t[r] = r < ROWS ? acc[r][0] : _mm512_setzero_ps();
    transpose16(t);
    const __mmask16 row_mask = tail_mask(ROWS);
    for (int j = 0; j < lanes; j++) {
      __m512 x = t[j];
      if (accumulate) x = _mm512_add_ps(_mm512_maskz_loadu_ps(row_mask, c + j * ldc), x);
      _mm512_mask_storeu_ps(c + j * ldc, row_mask, x);
    }
    return;
  }
  UNROLL for (int r = 0; r < ROWS; r++) {
    float *cr = c + r * ldc;
    UNROLL for (int v = 0; v < NV; v++) {
      __m512 x = acc[r][v];
      if (v == NV - 1) {
        if (accumulate) x = _mm512_add_ps(_mm512_maskz_loadu_ps(mask, cr + 16 * v), x);
        _mm512_mask_storeu_ps(cr + 16 * v, mask, x);
      } else {
        if (accumulate) x = _mm512_add_ps(_mm512_loadu_ps(cr + 16 * v), x);
        _mm512_storeu_ps(cr + 16 * v, x);
      }
    }
  }
}

/// `count` tiles one after another (ROWS rows of op(A) and of C further each time; with TRANSPOSED,
/// ROWS columns of C further).
typedef void (*tile_fn)(int count, int kc, const float *a, long a_stride, const float *b, long b_ks,
                        float *c, long ldc, int accumulate, int lanes);

// Kinds: 0, 1 = NV 1 (UNIT 0, 1); 2, 3 = NV 2; 4, 5 = NV 1 with the transposed store.
#define TILE_FN(ROWS, KIND)                                                                          \
  static void tile_##ROWS##_##KIND(int count, int kc, const float *a, long a_stride, const float *b, \
                                   long b_ks, float *c, long ldc, int accumulate, int lanes) {        \
    const long a_step = (KIND) % 2 ? ROWS : ROWS * a_stride, c_step = (KIND) >= 4 ? ROWS : ROWS * ldc; \
    for (int t = 0; t < count; t++)                                                                   \
      tile(ROWS, (KIND) / 2 == 1 ? 2 : 1, (KIND) % 2, (KIND) >= 4, kc, a + t * a_step, a_stride, b,    \
           b_ks, c + t * c_step, ldc, accumulate, lanes);                                             \
  }
#define TILE_FNS(ROWS) \
  TILE_FN(ROWS, 0) TILE_FN(ROWS, 1) TILE_FN(ROWS, 2) TILE_FN(ROWS, 3) TILE_FN(ROWS, 4) TILE_FN(ROWS, 5)
TILE_FNS(1) TILE_FNS(2) TILE_FNS(3) TILE_FNS(4) TILE_FNS(5) TILE_FNS(6) TILE_FNS(7) TILE_FNS(8)
TILE_FNS(9) TILE_FNS(10) TILE_FNS(11) TILE_FNS(12) TILE_FNS(13) TILE_FNS(14)
TILE_FN(15, 0) TILE_FN(15, 1) TILE_FN(15, 4) TILE_FN(15, 5)
TILE_FN(16, 0) TILE_FN(16, 1) TILE_FN(16, 4) TILE_FN(16, 5)

#define TILE_ROW(K)                                                                                  \
  {NULL, tile_1_##K, tile_2_##K, tile_3_##K, tile_4_##K, tile_5_##K, tile_6_##K, tile_7_##K,         \
   tile_8_##K, tile_9_##K, tile_10_##K, tile_11_##K, tile_12_##K, tile_13_##K, tile_14_##K,          \
   TILE_ROW_END_##K}
#define TILE_ROW_END_0 tile_15_0, tile_16_0
#define TILE_ROW_END_1 tile_15_1, tile_16_1
#define TILE_ROW_END_2 NULL, NULL
#define TILE_ROW_END_3 NULL, NULL
#define TILE_ROW_END_4 tile_15_4, tile_16_4
#define TILE_ROW_END_5 tile_15_5, tile_16_5

/// tiles[kind][rows]
static tile_fn const tiles[6][MR1 + 1] = {TILE_ROW(0), TILE_ROW(1), TILE_ROW(2),
                                          TILE_ROW(3), TILE_ROW(4), TILE_ROW(5)};

/// Copies op(X)[p0, p0+kc) × [j0, j0+w) into dst: kc rows of `width` floats (a multiple of 16),
/// columns w … width−1 zero. op(X) = X (rows ldx apart) or, with trans, Xᵀ.
static void pack_panel(int trans, const float *x, long ldx, int p0, int kc, int j0, int w, int width,
                       float *dst) {
  if (!trans) {
    for (int p = 0; p < kc; p++) {
      const float *src = x + (long)(p0 + p) * ldx + j0;
      for (int v = 0; v < width; v += 16)
        _mm512_storeu_ps(dst + (long)p * width + v, _mm512_maskz_loadu_ps(tail_mask(w - v), src + v));
    }
    return;
  }
  for (int jb = 0; jb < width; jb += 16) {
    for (int pb = 0; pb < kc; pb += 16) {
      const int pw = kc - pb < 16 ? kc - pb : 16;
      const __mmask16 pm = tail_mask(pw);
      __m512 r[16];
      UNROLL for (int jj = 0; jj < 16; jj++) {
        const int j = jb + jj;
        r[jj] = j < w ? _mm512_maskz_loadu_ps(pm, x + (long)(j0 + j) * ldx + p0 + pb) : _mm512_setzero_ps();
      }
      transpose16(r);
      for (int pp = 0; pp < pw; pp++) _mm512_storeu_ps(dst + (long)(pb + pp) * width + jb, r[pp]);
    }
  }
}

/// Cᵀ = op(B)ᵀ · op(A)ᵀ for m ≤ 16: tiles of 16 columns of C (rows of the product) by all m rows
/// (lanes); op(A)ᵀ is packed once per k block (16 floats a step), op(B)ᵀ is read in place.
static void gemm_swapped(int trans_a, int trans_b, int m, int n, int k, const float *a, int lda,
                         const float *b, int ldb, int accumulate, float *c, int ldc) {
  __attribute__((aligned(64))) float panel[KC * 16];
  // op(B)ᵀ[j][p] = trans_b ? B[j·ldb + p] : B[p·ldb + j]: rows are contiguous in p unless !trans_b.
  const int unit = !trans_b;
  const int kind = 4 + unit;
  const int col_tiles = (n + MR1 - 1) / MR1;
  for (int p0 = 0; p0 < k; p0 += KC) {
    const int kc = k - p0 < KC ? k - p0 : KC;
    const float *ap;
    long a_ks;
    if (trans_a) {  // op(A)ᵀ[p][i] = A[p·lda + i]: already rows of m floats
      ap = a + (long)p0 * lda;
      a_ks = lda;
    } else {
      pack_panel(1, a, lda, p0, kc, 0, m, 16, panel);
      ap = panel;
      a_ks = 16;
    }
    const int acc = p0 > 0 || accumulate;
    // col_tiles tiles of nearly equal width: the first n % col_tiles one column wider.
    const int narrow = n / col_tiles, wide_count = n % col_tiles;
    const float *bp = unit ? b + (long)p0 * ldb : b + p0;
    if (wide_count > 0) tiles[kind][narrow + 1](wide_count, kc, bp, ldb, ap, a_ks, c, ldc, acc, m);
    const int j0 = wide_count * (narrow + 1);
    bp = unit ? bp + j0 : bp + (long)j0 * ldb;
    tiles[kind][narrow](col_tiles - wide_count, kc, bp, ldb, ap, a_ks, c + j0, ldc, acc, m);
  }
}

/// Rows [i0, i0 + mc) of C in nearly equal tiles of at most `mr` rows, times one 16- or 32-column
/// strip of op(B) (kc rows at bp, b_ks apart) into C's columns at c.
static void row_tiles(tile_fn const *kernels, int mr, int i0, int mc, int unit, int p0, int kc,
                      const float *a, int lda, const float *bp, long b_ks, float *c, int ldc,
                      int accumulate, int lanes) {
  // count tiles: the first mc % count of them one row taller.
  const int count = (mc + mr - 1) / mr, low = mc / count, tall = mc % count;
  const float *ap = unit ? a + (long)p0 * lda + i0 : a + (long)i0 * lda + p0;
  if (tall > 0) kernels[low + 1](tall, kc, ap, lda, bp, b_ks, c + (long)i0 * ldc, ldc, accumulate, lanes);
  i0 += tall * (low + 1);
  ap = unit ? a + (long)p0 * lda + i0 : a + (long)i0 * lda + p0;
  kernels[low](count - tall, kc, ap, lda, bp, b_ks, c + (long)i0 * ldc, ldc, accumulate, lanes);
}

/// C (+)= op(A)·op(B) by column strips of 32 (a last strip of ≤ 16 uses 16-wide tiles).
static void gemm_normal(int trans_a, int trans_b, int m, int n, int k, const float *a, int lda,
                        const float *b, int ldb, int accumulate, float *c, int ldc) {
  __attribute__((aligned(64))) float stack_panel[KC * 32];
  const int unit = trans_a != 0;
  // op(B) in place when its rows are contiguous and few row tiles reuse it; otherwise packed.
  const int pack = trans_b || (m > 4 * MR2 && n > 64);
  float *buffer = stack_panel, *heap = NULL;
  int nc_max = pack ? 32 : n, mc_max = m;
  if (pack && n > 32 && m > MC && (double)m * n * k >= (double)HEAP_MIN_MNK) {
    // Large: B blocks of KC × NC_HEAP shared by row blocks of MC, each A block reused from L2.
    heap = aligned_alloc(64, sizeof(float) * KC * NC_HEAP);
    if (heap) {
      buffer = heap;
      nc_max = NC_HEAP;
      mc_max = MC;
    }
  }
  for (int jc = 0; jc < n; jc += nc_max) {
    const int nc = n - jc < nc_max ? n - jc : nc_max;
    for (int p0 = 0; p0 < k; p0 += KC) {
      const int kc = k - p0 < KC ? k - p0 : KC;
      if (pack)
        for (int q = 0; 32 * q < nc; q++) {
          const int w = nc - 32 * q < 32 ? nc - 32 * q : 32;
          pack_panel(trans_b, b, ldb, p0, kc, jc + 32 * q, w, w > 16 ? 32 : 16, buffer + (long)q * KC * 32);
        }
      const int acc = p0 > 0 || accumulate;
      for (int ic = 0; ic < m; ic += mc_max) {
        const int mc = m - ic < mc_max ? m - ic : mc_max;
        for (int q = 0; 32 * q < nc; q++) {
          const int j0 = jc + 32 * q, w = nc - 32 * q < 32 ? nc - 32 * q : 32, nv = w > 16 ? 2 : 1;
          const float *bp = pack ? buffer + (long)q * KC * 32 : b + (long)p0 * ldb + j0;
          const long b_ks = pack ? 16 * nv : ldb;
          row_tiles(tiles[2 * (nv - 1) + unit], nv == 2 ? MR2 : MR1, ic, mc, unit, p0, kc, a, lda, bp, b_ks,
                    c + j0, ldc, acc, w);
        }
      }
    }
  }
  free(heap);
}

void qk_sgemm_avx512(int trans_a, int trans_b, int m, int n, int k, const float *a, int lda,
                     const float *b, int ldb, float beta, float *c, int ldc) {
  if (m <= 0 || n <= 0) return;
  const int accumulate = beta != 0.0f;
  if (k <= 0) return;  // qk_sgemm has already written the zeros an empty product gives
  if (trans_b && m <= 16 && n >= 32) {
    gemm_swapped(trans_a, trans_b, m, n, k, a, lda, b, ldb, accumulate, c, ldc);
  } else {
    gemm_normal(trans_a, trans_b, m, n, k, a, lda, b, ldb, accumulate, c, ldc);
  }
}

#pragma clang attribute pop
