// Placeholder until the AVX-512 GEMM lands: delegates to the reference loops.
#include "gemm_internal.h"

void qk_sgemm_avx512(int trans_a, int trans_b, int m, int n, int k, const float *a, int lda,
                     const float *b, int ldb, float beta, float *c, int ldc) {
  qk_sgemm_reference(trans_a, trans_b, m, n, k, a, lda, b, ldb, beta, c, ldc);
}
