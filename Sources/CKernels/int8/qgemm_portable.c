// The portable integer GEMM: plain C over the packed layout, left to the compiler's vectorizer. A tile is
// MR rows × one 16-column panel of int32 accumulators; each 4-byte group of the MR A rows multiplies
// the panel's 64-byte group (4 entries per column), the arithmetic `vpdpbusd` does. The function is
// compiled per instruction set (QK_MULTIVERSION): the AVX2 clone turns the column loops into
// `vpmaddwd`, the AVX-512 one into `vpmulld`; the baseline SSE2 clone stays scalar (its cost model
// rejects the byte widening), which only CPUs from before 2013 run.
// A is read in place (never packed): rows of a short last tile point at the tile's first row, whose
// results are computed and dropped, so no byte beyond the m × k matrix is ever read.
#include <string.h>
#include "int8_internal.h"
#include "../common/multiversion.h"

enum { MR = 8 };

#define INLINE static inline __attribute__((always_inline))
#if defined(__clang__)
#define UNROLL _Pragma("clang loop unroll(full)")
#else
#define UNROLL
#endif

/// acc[r][j] += Σ_t x[r][t]·group[j][t] for one 64-byte group of a panel. The group is transposed to
/// [t][column] once for all MR rows, so the loops run over contiguous columns; with every loop unrolled
/// the accumulators stay in vector registers.
INLINE void madd_group(int32_t acc[MR][QK_PANEL], uint8_t x[MR][QK_GROUP], const int8_t *restrict bg) {
  int32_t bt[QK_GROUP][QK_PANEL];
  UNROLL for (int j = 0; j < QK_PANEL; j++)
    UNROLL for (int t = 0; t < QK_GROUP; t++) bt[t][j] = bg[QK_GROUP * j + t];
  UNROLL for (int r = 0; r < MR; r++)
    UNROLL for (int t = 0; t < QK_GROUP; t++) {
      const int32_t at = x[r][t];
      UNROLL for (int j = 0; j < QK_PANEL; j++) acc[r][j] += at * bt[t][j];
    }
}

/// acc[r][j] = Σ_p rows[r][p]·B[p][j0 + j] over one panel (bp).
INLINE void tile(const uint8_t *const rows[MR], int k, const int8_t *restrict bp, int32_t acc[MR][QK_PANEL]) {
  UNROLL for (int r = 0; r < MR; r++)
    UNROLL for (int j = 0; j < QK_PANEL; j++) acc[r][j] = 0;
  const int groups = k / QK_GROUP, rem = k % QK_GROUP, back = QK_GROUP - rem;
  uint8_t x[MR][QK_GROUP];
  for (int g = 0; g < groups; g++) {
    UNROLL for (int r = 0; r < MR; r++) memcpy(x[r], rows[r] + QK_GROUP * g, QK_GROUP);
    madd_group(acc, x, bp + (long)g * QK_GROUP_BYTES);
  }
  if (rem == 0) return;
  // The partial group, right-aligned in B: the row's last 4 bytes (those already counted meet B's
  // zeros), or with k < 4 its k bytes moved up; never a byte past k.
  UNROLL for (int r = 0; r < MR; r++) {
    if (k >= QK_GROUP) {
      memcpy(x[r], rows[r] + k - QK_GROUP, QK_GROUP);
    } else {
      UNROLL for (int t = 0; t < QK_GROUP; t++) x[r][t] = t >= back ? rows[r][t - back] : 0;
    }
  }
  madd_group(acc, x, bp + (long)groups * QK_GROUP_BYTES);
}

/// Requantizes or stores `count` rows × `cols` columns of a tile (column j0 of the output).
INLINE void store(int32_t acc[MR][QK_PANEL], int count, int cols, int j0, const qk_requant *rq,
                  const int32_t *bias, void *c, long ldc) {
  for (int r = 0; r < count; r++) {
    if (rq) {
      uint8_t *out = (uint8_t *)c + r * ldc;
      for (int j = 0; j < cols; j++) out[j] = qk_requant_one(acc[r][j], rq, j0 + j);
    } else {
      int32_t *out = (int32_t *)c + r * ldc;
      for (int j = 0; j < cols; j++) out[j] = (int32_t)((uint32_t)acc[r][j] + (uint32_t)(bias ? bias[j0 + j] : 0));
    }
  }
}

QK_MULTIVERSION void qk_qgemm_portable(int m, int n, int k, const uint8_t *a, int lda, const int8_t *packed,
                                       const qk_requant *rq, const int32_t *bias, void *c, int ldc) {
  const long panel = qk_panel_bytes(k);
  const long elt = rq ? 1 : 4;
  int32_t acc[MR][QK_PANEL];
  // Panels outer: one panel (16 × k bytes) stays in L1 while every row goes by.
  for (int j0 = 0; j0 < n; j0 += QK_PANEL) {
    const int cols = n - j0 < QK_PANEL ? n - j0 : QK_PANEL;
    const int8_t *bp = packed + (long)(j0 / QK_PANEL) * panel;
    for (int i0 = 0; i0 < m; i0 += MR) {
      const int count = m - i0 < MR ? m - i0 : MR;
      const uint8_t *rows[MR];
      for (int r = 0; r < MR; r++) rows[r] = a + (long)(i0 + (r < count ? r : 0)) * lda;
      tile(rows, k, bp, acc);
      store(acc, count, cols, j0, rq, bias, (char *)c + ((long)i0 * ldc + j0) * elt, ldc);
    }
  }
}
