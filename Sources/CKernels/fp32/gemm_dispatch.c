// qk_sgemm: empty products, then the variant asked for; QK_AVX512 falls back to the portable GEMM on a CPU
// without AVX-512 (common/cpu.c asks the CPU once, never assumed at compile time).
#include "CKernels.h"
#include "../common/cpu.h"
#include "gemm_internal.h"

void qk_sgemm(qk_variant v, int trans_a, int trans_b, int m, int n, int k, const float *a, int lda,
              const float *b, int ldb, float beta, float *c, int ldc) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    // An empty sum: C keeps its value (beta 1) or becomes zero (beta 0), whatever the variant.
    if (beta == 0.0f)
      for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) c[(long)i * ldc + j] = 0.0f;
    return;
  }
  switch (v) {
  case QK_REFERENCE: qk_sgemm_reference(trans_a, trans_b, m, n, k, a, lda, b, ldb, beta, c, ldc); return;
  case QK_PORTABLE: qk_sgemm_portable(trans_a, trans_b, m, n, k, a, lda, b, ldb, beta, c, ldc); return;
  case QK_AVX512:
    if (qk_cpu_has_avx512()) {
      qk_sgemm_avx512(trans_a, trans_b, m, n, k, a, lda, b, ldb, beta, c, ldc);
    } else {
      qk_sgemm_portable(trans_a, trans_b, m, n, k, a, lda, b, ldb, beta, c, ldc);
    }
    return;
  }
}
