// The portable GEMM: packed and register-blocked plain C (no intrinsics) that clang -O2 turns into
// SSE2 code on any x86-64, and into NEON or wider code elsewhere.
//
// op(B) is packed per block of KC × NC into panels of NR columns (k-major, zero-padded), op(A) per
// micro-panel of MR rows (k-major, zero-padded), so the MR × NR micro-kernel always runs full and its
// inner loop is 2 vector loads, MR broadcasts and MR·NR/4 multiply-adds with every accumulator in a
// register; edges are written back through the valid part of the tile only. k is blocked by KC,
// blocks after the first add into C in k order. The buffers live on the stack (about 35 KB).
#include "gemm_internal.h"

enum { MR = 6, NR = 8, KC = 128, NC = 64 };

#if defined(__clang__)
#define UNROLL _Pragma("clang loop unroll(full)")
#else
#define UNROLL
#endif

/// op(A)[i0, i0+rows) × [p0, p0+kc) → dst[p·MR + r], rows ≥ `rows` zero.
static void pack_a(int trans_a, const float *a, int lda, int i0, int rows, int p0, int kc, float *dst) {
  for (int r = 0; r < MR; r++) {
    if (r >= rows) {
      for (int p = 0; p < kc; p++) dst[p * MR + r] = 0.0f;
    } else if (trans_a) {
      const float *src = a + (long)p0 * lda + i0 + r;
      for (int p = 0; p < kc; p++) dst[p * MR + r] = src[(long)p * lda];
    } else {
      const float *src = a + (long)(i0 + r) * lda + p0;
      for (int p = 0; p < kc; p++) dst[p * MR + r] = src[p];
    }
  }
}

/// op(B)[p0, p0+kc) × [j0, j0+cols) → dst[p·NR + j], columns ≥ `cols` zero.
static void pack_b(int trans_b, const float *b, int ldb, int p0, int kc, int j0, int cols, float *dst) {
  if (trans_b) {
    for (int j = 0; j < NR; j++) {
      if (j >= cols) {
        for (int p = 0; p < kc; p++) dst[p * NR + j] = 0.0f;
      } else {
        const float *src = b + (long)(j0 + j) * ldb + p0;
        for (int p = 0; p < kc; p++) dst[p * NR + j] = src[p];
      }
    }
    return;
  }
  for (int p = 0; p < kc; p++) {
    const float *src = b + (long)(p0 + p) * ldb + j0;
    float *out = dst + p * NR;
    if (cols == NR) {
      UNROLL for (int j = 0; j < NR; j++) out[j] = src[j];
    } else {
      for (int j = 0; j < NR; j++) out[j] = j < cols ? src[j] : 0.0f;
    }
  }
}

/// C[i][j] (+)= Σ_p ap[p·MR + i] · bp[p·NR + j] for i < rows, j < cols.
static void micro_kernel(int kc, const float *restrict ap, const float *restrict bp, float *c, int ldc,
                         int rows, int cols, int accumulate) {
  float acc[MR][NR];
  UNROLL for (int r = 0; r < MR; r++) UNROLL for (int j = 0; j < NR; j++) acc[r][j] = 0.0f;
  for (int p = 0; p < kc; p++) {
    UNROLL for (int r = 0; r < MR; r++) {
      const float av = ap[r];
      UNROLL for (int j = 0; j < NR; j++) acc[r][j] += av * bp[j];
    }
    ap += MR;
    bp += NR;
  }
  if (rows == MR && cols == NR) {
    UNROLL for (int r = 0; r < MR; r++) {
      float *cr = c + (long)r * ldc;
      if (accumulate) {
        UNROLL for (int j = 0; j < NR; j++) cr[j] += acc[r][j];
      } else {
        UNROLL for (int j = 0; j < NR; j++) cr[j] = acc[r][j];
      }
    }
    return;
  }
  for (int r = 0; r < rows; r++) {
    float *cr = c + (long)r * ldc;
    for (int j = 0; j < cols; j++) cr[j] = accumulate ? cr[j] + acc[r][j] : acc[r][j];
  }
}

void qk_sgemm_portable(int trans_a, int trans_b, int m, int n, int k, const float *a, int lda,
                       const float *b, int ldb, float beta, float *c, int ldc) {
  if (m <= 0 || n <= 0) return;
  const int accumulate = beta != 0.0f;
  if (k <= 0) return;  // qk_sgemm has already written the zeros an empty product gives
  float b_block[KC * NC], a_panel[KC * MR];
  for (int jc = 0; jc < n; jc += NC) {
    const int nc = n - jc < NC ? n - jc : NC;
    for (int p0 = 0; p0 < k; p0 += KC) {
      const int kc = k - p0 < KC ? k - p0 : KC;
      for (int jr = 0; jr < nc; jr += NR)
        pack_b(trans_b, b, ldb, p0, kc, jc + jr, nc - jr < NR ? nc - jr : NR, b_block + jr * kc);
      const int acc = p0 > 0 || accumulate;
      for (int i0 = 0; i0 < m; i0 += MR) {
        const int rows = m - i0 < MR ? m - i0 : MR;
        pack_a(trans_a, a, lda, i0, rows, p0, kc, a_panel);
        for (int jr = 0; jr < nc; jr += NR)
          micro_kernel(kc, a_panel, b_block + jr * kc, c + (long)i0 * ldc + jc + jr, ldc, rows,
                       nc - jr < NR ? nc - jr : NR, acc);
      }
    }
  }
}
