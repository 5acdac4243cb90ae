// The reference integer GEMM: plain loops written from the definitions, which the tests and the
// other variants are held to. The requantization here is the header's formula as written, in 128-bit
// integers (no identity needed to avoid overflow): int8_reference.h, shared with qdepthwise_reference.c.
#include "int8_internal.h"
#include "int8_reference.h"

/// Σ_p a[i][p]·B[p][j] in int32 (wrapping as `vpdpbusd` does, though no real product comes close).
static int32_t dot(int k, const uint8_t *a_row, const int8_t *packed, int j) {
  uint32_t acc = 0;
  for (int p = 0; p < k; p++) acc += (uint32_t)((int32_t)a_row[p] * (int32_t)packed[qk_packed_index(k, p, j)]);
  return (int32_t)acc;
}

void qk_qgemm_reference(int m, int n, int k, const uint8_t *a, int lda, const int8_t *packed,
                        const qk_requant *rq, const int32_t *bias, void *c, int ldc) {
  for (int i = 0; i < m; i++) {
    for (int j = 0; j < n; j++) {
      const int32_t acc = dot(k, a + (long)i * lda, packed, j);
      if (rq) {
        ((uint8_t *)c)[(long)i * ldc + j] = requant_definition(acc, rq, j);
      } else {
        ((int32_t *)c)[(long)i * ldc + j] = (int32_t)((uint32_t)acc + (uint32_t)(bias ? bias[j] : 0));
      }
    }
  }
}
