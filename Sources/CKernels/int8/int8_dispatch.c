// Run-time choice of the integer kernels: QK_AVX512 means AVX-512 VNNI for the GEMM (asked of the CPU
// once, in common/cpu.c, never assumed at compile time) and falls back to the portable code without it.
// Also the packing of B, whose layout (int8_internal.h) every GEMM variant shares.
#include <stddef.h>
#include <string.h>
#include "CKernels.h"
#include "../common/cpu.h"
#include "int8_internal.h"

int64_t qk_qgemm_packed_size(int k, int n) {
  if (k <= 0 || n <= 0) return 0;
  return (int64_t)((n + QK_PANEL - 1) / QK_PANEL) * qk_panel_bytes(k);
}

void qk_qgemm_pack(int k, int n, const int8_t *b, int ldb, int8_t *packed) {
  if (k <= 0 || n <= 0) return;
  memset(packed, 0, (size_t)qk_qgemm_packed_size(k, n));
  for (int p = 0; p < k; p++)
    for (int j = 0; j < n; j++) packed[qk_packed_index(k, p, j)] = b[(long)p * ldb + j];
}

/// The shared front of both GEMM entry points: empty products, then the variant.
static void qgemm(qk_variant v, int m, int n, int k, const uint8_t *a, int lda, const int8_t *packed,
                  const qk_requant *rq, const int32_t *bias, void *c, int ldc) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    // Every accumulator is 0: the reference computes the rest (bias, requantization) exactly.
    qk_qgemm_reference(m, n, 0, a, lda, packed, rq, bias, c, ldc);
    return;
  }
  switch (v) {
  case QK_REFERENCE: qk_qgemm_reference(m, n, k, a, lda, packed, rq, bias, c, ldc); return;
  case QK_PORTABLE: qk_qgemm_portable(m, n, k, a, lda, packed, rq, bias, c, ldc); return;
  case QK_AVX512:
    if (qk_cpu_has_avx512_vnni()) {
      qk_qgemm_vnni(m, n, k, a, lda, packed, rq, bias, c, ldc);
    } else {
      qk_qgemm_portable(m, n, k, a, lda, packed, rq, bias, c, ldc);
    }
    return;
  }
}

void qk_qgemm_u8(qk_variant v, int m, int n, int k, const uint8_t *a, int lda, const int8_t *packed,
                 const qk_requant *rq, uint8_t *c, int ldc) {
  qgemm(v, m, n, k, a, lda, packed, rq, NULL, c, ldc);
}

void qk_qgemm_s32(qk_variant v, int m, int n, int k, const uint8_t *a, int lda, const int8_t *packed,
                  const int32_t *bias, int32_t *c, int ldc) {
  qgemm(v, m, n, k, a, lda, packed, NULL, bias, c, ldc);
}

void qk_qdepthwise(qk_variant v, const qk_conv_shape *s, const uint8_t *x, int32_t x_zero, const int8_t *w,
                   const qk_requant *rq, uint8_t *y) {
  if (s->n <= 0 || s->out_h <= 0 || s->out_w <= 0 || s->c_in <= 0) return;
  switch (v) {
  case QK_REFERENCE: qk_qdepthwise_reference(s, x, x_zero, w, rq, y); return;
  case QK_PORTABLE: qk_qdepthwise_portable(s, x, x_zero, w, rq, y); return;
  case QK_AVX512:
    // The direct kernel widens to 16-bit lanes and needs AVX-512 F/BW only.
    if (qk_cpu_has_avx512()) {
      qk_qdepthwise_avx512(s, x, x_zero, w, rq, y);
    } else {
      qk_qdepthwise_portable(s, x, x_zero, w, rq, y);
    }
    return;
  }
}
