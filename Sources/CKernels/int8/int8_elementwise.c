// The element-wise integer kernels: requantization on its own, the residual add, the per-channel affine
// map between grids, and quantization of floats. Each is one loop of 64-bit integer (or float32) lane
// arithmetic that QK_MULTIVERSION compiles per instruction set. Every rounding shift goes through
// qk_round_shift, which never forms the possibly overflowing p + 2^(shift−1).
#include <math.h>
#include "int8_internal.h"
#include "../common/multiversion.h"

QK_MULTIVERSION void qk_requantize(const int32_t *restrict acc, int rows, int n, int ld_acc, const qk_requant *rq,
                                   uint8_t *restrict out, int ld_out) {
  for (int r = 0; r < rows; r++) {
    const int32_t *restrict in = acc + (long)r * ld_acc;
    uint8_t *restrict o = out + (long)r * ld_out;
    for (int j = 0; j < n; j++) o[j] = qk_requant_one(in[j], rq, j);
  }
}

QK_MULTIVERSION void qk_qadd_u8(const uint8_t *restrict a, int32_t za, int32_t ma, const uint8_t *restrict b,
                                int32_t zb, int32_t mb, int32_t shift, int32_t zo, int32_t low, int32_t high,
                                int64_t count, uint8_t *restrict y) {
  for (int64_t i = 0; i < count; i++) {
    const int64_t p = ((int64_t)a[i] - za) * ma + ((int64_t)b[i] - zb) * mb;
    y[i] = qk_clamp_u8(zo + qk_round_shift(p, shift), low, high);
  }
}

QK_MULTIVERSION void qk_qaffine_u8(const uint8_t *restrict x, int64_t rows, int c, int32_t zx,
                                   const int32_t *restrict m, const int64_t *restrict bias, int32_t shift, int32_t zo,
                                   int32_t low, int32_t high, uint8_t *restrict y) {
  for (int64_t r = 0; r < rows; r++) {
    const uint8_t *restrict xr = x + r * c;
    uint8_t *restrict yr = y + r * c;
    for (int ch = 0; ch < c; ch++) {
      const int64_t p = ((int64_t)xr[ch] - zx) * m[ch] + bias[ch];
      yr[ch] = qk_clamp_u8(zo + qk_round_shift(p, shift), low, high);
    }
  }
}

QK_MULTIVERSION void qk_quantize_u8(const float *restrict x, int64_t count, float inv_scale, int32_t zero_point,
                                    int32_t qmin, int32_t qmax, uint8_t *restrict y) {
  // qk_fake_quant's expressions exactly (fp32/quantize.c): fmaxf turns a NaN into qmin.
  const float zp = (float)zero_point, lo = (float)qmin, hi = (float)qmax;
  for (int64_t i = 0; i < count; i++) {
    const float q = nearbyintf(x[i] * inv_scale) + zp;
    y[i] = (uint8_t)(int32_t)fminf(fmaxf(q, lo), hi);
  }
}
