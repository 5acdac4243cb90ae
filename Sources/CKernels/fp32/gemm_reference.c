// The plain GEMM every other variant is tested against: one dot product per output, k in order.
#include "CKernels.h"
#include "gemm_internal.h"

void qk_sgemm_reference(int trans_a, int trans_b, int m, int n, int k, const float *a, int lda,
                        const float *b, int ldb, float beta, float *c, int ldc) {
  for (int i = 0; i < m; i++) {
    for (int j = 0; j < n; j++) {
      float sum = 0.0f;
      for (int p = 0; p < k; p++) {
        float av = trans_a ? a[(long)p * lda + i] : a[(long)i * lda + p];
        float bv = trans_b ? b[(long)j * ldb + p] : b[(long)p * ldb + j];
        sum += av * bv;
      }
      float *out = &c[(long)i * ldc + j];
      *out = beta == 0.0f ? sum : *out + sum;
    }
  }
}
