// The reference integer kernels: plain loops written from the definitions, which the tests and the
// other variants are held to. The requantization here is the header's formula as written, in 128-bit
// integers (no identity needed to avoid overflow).
#include "int8_internal.h"

/// clamp(zero_point + ((acc + bias)·multiplier + 2^(shift−1)) >> shift, low, high).
static uint8_t requant_definition(int32_t acc, const qk_requant *rq, int c) {
  const __int128 bias = rq->bias ? rq->bias[c] : 0;
  const __int128 t = (((__int128)acc + bias) * rq->multiplier[c] + ((__int128)1 << (rq->shift[c] - 1))) >> rq->shift[c];
  const __int128 v = rq->zero_point + t;
  return (uint8_t)(v < rq->low ? rq->low : v > rq->high ? rq->high : v);
}

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

void qk_qdepthwise_reference(const qk_conv_shape *s, const uint8_t *x, int32_t x_zero, const int8_t *w,
                             const qk_requant *rq, uint8_t *y) {
  const int c = s->c_in, k = s->kernel;
  for (int img = 0; img < s->n; img++)
    for (int oy = 0; oy < s->out_h; oy++)
      for (int ox = 0; ox < s->out_w; ox++)
        for (int ch = 0; ch < c; ch++) {
          int32_t acc = 0;
          for (int ky = 0; ky < k; ky++)
            for (int kx = 0; kx < k; kx++) {
              const int iy = oy * s->stride - s->pad + ky, ix = ox * s->stride - s->pad + kx;
              if (iy < 0 || iy >= s->h || ix < 0 || ix >= s->w) continue;  // padding contributes 0
              const int32_t xv = x[(((long)img * s->h + iy) * s->w + ix) * c + ch];
              acc += (xv - x_zero) * w[((long)ky * k + kx) * c + ch];
            }
          y[(((long)img * s->out_h + oy) * s->out_w + ox) * c + ch] = requant_definition(acc, rq, ch);
        }
}
