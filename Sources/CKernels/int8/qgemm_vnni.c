// The AVX-512 VNNI integer GEMM: register-tiled `vpdpbusd` micro-kernels, compiled for this CPU with a
// target attribute (never -march) and reached only after int8_dispatch.c's cpuid check.
//
// A tile is R rows × NV·16 columns of C in R·NV zmm int32 accumulators. Each k group loads NV 64-byte
// vectors of packed B (one per panel) and, per row, broadcasts 4 bytes of A straight from the caller's
// matrix (never packed): R·NV independent `vpdpbusd` chains, 16–24 of them, enough to cover the
// instruction's latency on both of the ports that run it. A last, partial k group is the row's last 4
// bytes against B's right-aligned group (int8_internal.h), a plain broadcast that reads no byte past k.
// The epilogue requantizes (int8_avx512.h) or adds the bias while the accumulators are still in
// registers, and stores through byte or dword masks for a column tail. Column groups of up to 64 are the
// outer loop (their B slab, 64·k bytes, stays in L1 while the rows go by); rows are split into tiles of
// nearly equal height, and every (R, NV) has its own unrolled kernel, which runs a whole run of equal
// tiles per call. Column groups whose requantization does not fold exactly into the vector epilogue
// (parameters no real layer has) get int32 tiles requantized by the scalar formula instead.
#include <immintrin.h>
#include <string.h>
#include "int8_internal.h"

#pragma clang attribute push(__attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni"))), apply_to = function)

#include "int8_avx512.h"

#define UNROLL _Pragma("clang loop unroll(full)")

enum { NV_MAX = 4 };
/// Tallest tile per width (index NV): about 16–24 accumulators, ≤ 28 registers with the B vectors.
static const int mr_of_nv[NV_MAX + 1] = {0, 16, 12, 8, 6};

/// Stores 16-byte piece `i` (0 … 3) of `bytes` as row r, vector v of a tile.
QK_AVX_INLINE void store_piece(__m512i bytes, int i, char *c, long ldc, int r, int v, int NV, __mmask16 last) {
  const __m128i piece = i == 0   ? _mm512_castsi512_si128(bytes)
                        : i == 1 ? _mm512_extracti32x4_epi32(bytes, 1)
                        : i == 2 ? _mm512_extracti32x4_epi32(bytes, 2)
                                 : _mm512_extracti32x4_epi32(bytes, 3);
  _mm_mask_storeu_epi8(c + r * ldc + 16 * v, v == NV - 1 ? last : (__mmask16)0xFFFF, piece);
}

/// The u8 epilogue of one tile: requantize every accumulator, then narrow four vectors at a time
/// (row-major order: a 64-column tile narrows one row per step, a 16-column one four rows). When C's
/// rows are exactly the tile's width apart (`packed`, the engine's usual layout) those four vectors
/// are 64 consecutive bytes of C whatever the width: one store.
QK_AVX_INLINE void store_u8(const int R, const int NV, __m512i acc[16][NV_MAX], const qk_rq_table *table,
                            __m512i low, __m512i high, char *c, long ldc, __mmask16 last, int packed) {
  const __mmask64 row_mask = ((__mmask64)last << 48) | 0xFFFFFFFFFFFFull;
  UNROLL for (int i = 0; i < R * NV; i += 4) {
    __m512i q[4];
    UNROLL for (int e = 0; e < 4; e++)
      q[e] = i + e < R * NV ? qk_rq_apply(acc[(i + e) / NV][(i + e) % NV], table, (i + e) % NV)
                            : _mm512_setzero_si512();
    const __m512i bytes = qk_narrow4(q[0], q[1], q[2], q[3], low, high);
    if (NV == 4) {
      _mm512_mask_storeu_epi8(c + (i / 4) * ldc, row_mask, bytes);
    } else if (packed) {
      const int pieces = R * NV - i < 4 ? R * NV - i : 4;
      _mm512_mask_storeu_epi8(c + 16 * i, pieces == 4 ? ~(__mmask64)0 : ((__mmask64)1 << (16 * pieces)) - 1, bytes);
    } else {
      UNROLL for (int e = 0; e < 4; e++)
        if (i + e < R * NV) store_piece(bytes, e, c, ldc, (i + e) / NV, (i + e) % NV, NV, last);
    }
  }
}

/// Arguments of a run of tiles, shared by every kernel.
typedef struct {
  const uint8_t *a;    // the first row of the first tile
  long lda;
  const int8_t *b;     // the first panel of the column group
  long panel;          // bytes between panels
  long groups;         // whole 4-byte k groups
  int segments;        // k in `segments` runs of `groups / segments` groups, each run `seg_stride`
  long seg_stride;     // bytes after the previous one in A (a convolution read in place: one kernel row each)
  int rem;             // k % 4: the last group is partial (right-aligned in B)
  int short_k;         // k < 4: that group is all there is, and the row has no 4 bytes to read
  char *c;             // C at (first row, first column), bytes
  long ldc;            // bytes between C rows
  int lanes;           // valid columns in the last vector (1 … 16)
  const qk_rq_table *table;  // u8 output through the fused epilogue; NULL: int32 output plus bias
  const int32_t *bias;       // the group's first column's bias (NULL: none)
  int32_t low, high;
} qtile_args;

/// `count` tiles of R × NV·16, each R rows below the previous one.
QK_AVX_INLINE void tiles(const int R, const int NV, int count, const qtile_args *t) {
  const __mmask16 last = qk_mask16(t->lanes);
  __m512i bias[NV_MAX];
  UNROLL for (int v = 0; v < NV; v++)
    bias[v] = !t->table && t->bias ? _mm512_maskz_loadu_epi32(v == NV - 1 ? last : 0xFFFF, t->bias + 16 * v)
                                   : _mm512_setzero_si512();
  const __m512i low = _mm512_set1_epi8((char)t->low), high = _mm512_set1_epi8((char)t->high);
  const int packed = t->ldc == QK_PANEL * NV && t->lanes == QK_PANEL;
  const long lda = t->lda;
  for (int tile = 0; tile < count; tile++) {
    const uint8_t *const first = t->a + (long)tile * R * lda;
    const int8_t *b = t->b;
    __m512i acc[16][NV_MAX];
    UNROLL for (int r = 0; r < R; r++) UNROLL for (int v = 0; v < NV; v++) acc[r][v] = _mm512_setzero_si512();
    const long run = t->groups / t->segments;
    for (int segment = 0; segment < t->segments; segment++) {
      const uint8_t *a = first + segment * t->seg_stride;
      for (long g = 0; g < run; g++) {
        __m512i bv[NV_MAX];
        UNROLL for (int v = 0; v < NV; v++) bv[v] = _mm512_loadu_si512(b + v * t->panel);
        UNROLL for (int r = 0; r < R; r++) {
          int32_t word;
          memcpy(&word, a + r * lda, 4);
          const __m512i av = _mm512_set1_epi32(word);
          UNROLL for (int v = 0; v < NV; v++) acc[r][v] = _mm512_dpbusd_epi32(acc[r][v], av, bv[v]);
        }
        a += 4;
        b += QK_GROUP_BYTES;
      }
    }
    // Only an unsegmented product has a partial last group (segments are whole groups).
    const uint8_t *a = first + 4 * t->groups;
    if (t->rem) {
      // The row's last 4 bytes (k − 4 … k − 1): those already counted meet the group's zeros.
      // With k < 4, the k bytes moved up into the word's top bytes instead.
      __m512i bv[NV_MAX];
      UNROLL for (int v = 0; v < NV; v++) bv[v] = _mm512_loadu_si512(b + v * t->panel);
      const long back = QK_GROUP - t->rem;
      UNROLL for (int r = 0; r < R; r++) {
        int32_t word;
        if (t->short_k) {
          word = (int32_t)((uint32_t)_mm_cvtsi128_si32(_mm_maskz_loadu_epi8(qk_mask16(t->rem), a + r * lda))
                           << (8 * back));
        } else {
          memcpy(&word, a + r * lda - back, 4);
        }
        const __m512i av = _mm512_set1_epi32(word);
        UNROLL for (int v = 0; v < NV; v++) acc[r][v] = _mm512_dpbusd_epi32(acc[r][v], av, bv[v]);
      }
    }
    char *c = t->c + (long)tile * R * t->ldc;
    if (t->table) {
      store_u8(R, NV, acc, t->table, low, high, c, t->ldc, last, packed);
    } else {
      UNROLL for (int r = 0; r < R; r++) UNROLL for (int v = 0; v < NV; v++)
        _mm512_mask_storeu_epi32(c + r * t->ldc + 64 * v, v == NV - 1 ? last : 0xFFFF,
                                 _mm512_add_epi32(acc[r][v], bias[v]));
    }
  }
}

typedef void (*tile_fn)(int count, const qtile_args *t);

#define TILE_FN(R, NV) \
  static void tiles_##R##_##NV(int count, const qtile_args *t) { tiles(R, NV, count, t); }
#define TILE_FNS_6(NV) TILE_FN(1, NV) TILE_FN(2, NV) TILE_FN(3, NV) TILE_FN(4, NV) TILE_FN(5, NV) TILE_FN(6, NV)
#define TILE_FNS_8(NV) TILE_FNS_6(NV) TILE_FN(7, NV) TILE_FN(8, NV)
#define TILE_FNS_12(NV) TILE_FNS_8(NV) TILE_FN(9, NV) TILE_FN(10, NV) TILE_FN(11, NV) TILE_FN(12, NV)
#define TILE_FNS_16(NV) TILE_FNS_12(NV) TILE_FN(13, NV) TILE_FN(14, NV) TILE_FN(15, NV) TILE_FN(16, NV)
TILE_FNS_16(1) TILE_FNS_12(2) TILE_FNS_8(3) TILE_FNS_6(4)

#define ROW_6(NV) tiles_1_##NV, tiles_2_##NV, tiles_3_##NV, tiles_4_##NV, tiles_5_##NV, tiles_6_##NV
#define ROW_8(NV) ROW_6(NV), tiles_7_##NV, tiles_8_##NV
#define ROW_12(NV) ROW_8(NV), tiles_9_##NV, tiles_10_##NV, tiles_11_##NV, tiles_12_##NV
#define ROW_16(NV) ROW_12(NV), tiles_13_##NV, tiles_14_##NV, tiles_15_##NV, tiles_16_##NV

/// kernels[NV][R]
static tile_fn const kernels[NV_MAX + 1][17] = {
    {NULL}, {NULL, ROW_16(1)}, {NULL, ROW_12(2)}, {NULL, ROW_8(3)}, {NULL, ROW_6(4)},
};

/// All rows of one column group: tiles of nearly equal height (the first m % count one row taller).
static void column_group(int m, int nv, const uint8_t *a, qtile_args *t, char *c) {
  const int mr = mr_of_nv[nv];
  const int count = (m + mr - 1) / mr, low = m / count, tall = m % count;
  t->a = a;
  t->c = c;
  if (tall > 0) kernels[nv][low + 1](tall, t);
  t->a = a + (long)tall * (low + 1) * t->lda;
  t->c = c + (long)tall * (low + 1) * t->ldc;
  kernels[nv][low](count - tall, t);
}

/// The u8 output of a column group whose requantization does not fold exactly (extreme multipliers,
/// shifts or biases): int32 tiles into a stack buffer, then the scalar formula.
static void column_group_scalar(int m, int nv, int j0, int width, const uint8_t *a, qtile_args *t,
                                const qk_requant *rq, uint8_t *c, long ldc) {
  enum { ROWS = 16 };
  int32_t buffer[ROWS * NV_MAX * QK_PANEL];
  qtile_args s = *t;
  s.table = NULL;
  s.bias = NULL;
  s.ldc = sizeof(int32_t) * NV_MAX * QK_PANEL;
  for (int i0 = 0; i0 < m; i0 += ROWS) {
    const int rows = m - i0 < ROWS ? m - i0 : ROWS;
    column_group(rows, nv, a + (long)i0 * t->lda, &s, (char *)buffer);
    for (int r = 0; r < rows; r++)
      for (int j = 0; j < width; j++)
        c[(long)(i0 + r) * ldc + j] = qk_requant_one(buffer[r * NV_MAX * QK_PANEL + j], rq, j0 + j);
  }
}

/// The product with k in `segments` runs of whole 4-byte groups, run s of each row starting
/// `seg_stride`·s bytes after the row's start (segments = 1: a plain GEMM).
static void qgemm_segmented(int m, int n, int k, int segments, long seg_stride, const uint8_t *a, int lda,
                            const int8_t *packed, const qk_requant *rq, const int32_t *bias, void *c, int ldc) {
  const long elt = rq ? 1 : 4;
  // |acc| ≤ 255·128·k while the int32 sum cannot wrap; past that any int32.
  const int64_t amax = (int64_t)k * 255 * 128 < ((int64_t)1 << 31) ? (int64_t)k * 255 * 128 : (int64_t)1 << 31;
  qk_rq_table table;
  qtile_args t = {
      .lda = lda, .panel = qk_panel_bytes(k), .groups = k / QK_GROUP, .segments = segments, .seg_stride = seg_stride,
      .rem = k % QK_GROUP, .short_k = k < QK_GROUP, .ldc = (long)ldc * elt,
      .low = rq ? rq->low : 0, .high = rq ? rq->high : 255,
  };
  for (int j0 = 0; j0 < n; j0 += NV_MAX * QK_PANEL) {
    const int width = n - j0 < NV_MAX * QK_PANEL ? n - j0 : NV_MAX * QK_PANEL;
    const int nv = (width + QK_PANEL - 1) / QK_PANEL;
    t.b = packed + (long)(j0 / QK_PANEL) * t.panel;
    t.lanes = width - QK_PANEL * (nv - 1);
    t.bias = bias ? bias + j0 : NULL;
    t.table = NULL;
    if (rq) {
      if (!qk_rq_table_fill(rq, j0, width, amax, &table)) {
        column_group_scalar(m, nv, j0, width, a, &t, rq, (uint8_t *)c + j0, ldc);
        continue;
      }
      t.table = &table;
    }
    column_group(m, nv, a, &t, (char *)c + j0 * elt);
  }
}

void qk_qgemm_vnni(int m, int n, int k, const uint8_t *a, int lda, const int8_t *packed,
                   const qk_requant *rq, const int32_t *bias, void *c, int ldc) {
  qgemm_segmented(m, n, k, 1, 0, a, lda, packed, rq, bias, c, ldc);
}

void qk_qgemm_vnni_segmented(int m, int n, int k, int segments, long seg_stride, const uint8_t *a, int lda,
                             const int8_t *packed, const qk_requant *rq, uint8_t *c, int ldc) {
  qgemm_segmented(m, n, k, segments, seg_stride, a, lda, packed, rq, NULL, c, ldc);
}

#pragma clang attribute pop
