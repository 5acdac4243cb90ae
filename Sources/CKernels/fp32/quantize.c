// Fake quantization (quantize, clamp, dequantize in float32) and the range scans observers need.
// The arithmetic is PyTorch's fake_quantize_per_tensor_affine, bit for bit:
//   q = nearbyint(x · inv_scale) + zero_point   (float32; ties to even in the default rounding mode)
//   y = (clamp(q, qmin, qmax) − zero_point) · scale
//   mask = qmin ≤ q ≤ qmax                       (the straight-through estimator's pass-through)
// inv_scale is computed by the caller as 1.0f / scale in float32: a multiply, never a division.
#include <math.h>
#include "CKernels.h"
#include "../common/multiversion.h"

QK_MULTIVERSION void qk_fake_quant(const float *restrict x, int64_t count, float scale, float inv_scale,
                                   int32_t zero_point, int32_t qmin, int32_t qmax, float *restrict y,
                                   uint8_t *restrict mask) {
  const float zp = (float)zero_point, lo = (float)qmin, hi = (float)qmax;
  if (mask) {
    for (int64_t i = 0; i < count; i++) {
      const float q = nearbyintf(x[i] * inv_scale) + zp;
      mask[i] = (uint8_t)((q >= lo) & (q <= hi));
      y[i] = (fminf(fmaxf(q, lo), hi) - zp) * scale;
    }
  } else {
    for (int64_t i = 0; i < count; i++) {
      const float q = nearbyintf(x[i] * inv_scale) + zp;
      y[i] = (fminf(fmaxf(q, lo), hi) - zp) * scale;
    }
  }
}

QK_MULTIVERSION void qk_fake_quant_columns(const float *restrict x, int64_t rows, int64_t cols,
                                           const float *restrict scale, const float *restrict inv_scale,
                                           const int32_t *restrict zero_point, int32_t qmin, int32_t qmax,
                                           float *restrict y, uint8_t *restrict mask) {
  const float lo = (float)qmin, hi = (float)qmax;
  for (int64_t r = 0; r < rows; r++) {
    const float *xr = x + r * cols;
    float *yr = y + r * cols;
    for (int64_t c = 0; c < cols; c++) {
      const float zp = (float)zero_point[c];
      const float q = nearbyintf(xr[c] * inv_scale[c]) + zp;
      if (mask) mask[r * cols + c] = (uint8_t)((q >= lo) & (q <= hi));
      yr[c] = (fminf(fmaxf(q, lo), hi) - zp) * scale[c];
    }
  }
}

QK_MULTIVERSION void qk_mask_multiply(float *restrict g, const uint8_t *restrict mask, int64_t count) {
  for (int64_t i = 0; i < count; i++) g[i] = mask[i] ? g[i] : 0.0f;
}

QK_MULTIVERSION void qk_min_max(const float *restrict x, int64_t count, float *min_out, float *max_out) {
  // Sixteen running extremes, one per lane, so the loop vectorizes without reordering a reduction;
  // plain comparisons (not fminf/fmaxf): a NaN never replaces an extreme.
  float lo[16], hi[16];
  for (int l = 0; l < 16; l++) { lo[l] = INFINITY; hi[l] = -INFINITY; }
  int64_t i = 0;
  for (; i + 16 <= count; i += 16) {
    for (int l = 0; l < 16; l++) {
      const float v = x[i + l];
      lo[l] = v < lo[l] ? v : lo[l];
      hi[l] = v > hi[l] ? v : hi[l];
    }
  }
  for (; i < count; i++) {
    const float v = x[i];
    lo[0] = v < lo[0] ? v : lo[0];
    hi[0] = v > hi[0] ? v : hi[0];
  }
  float a = lo[0], b = hi[0];
  for (int l = 1; l < 16; l++) {
    a = lo[l] < a ? lo[l] : a;
    b = hi[l] > b ? hi[l] : b;
  }
  *min_out = a;
  *max_out = b;
}

void qk_histogram(const float *restrict x, int64_t count, float lower, float upper, int32_t bins,
                  int64_t *restrict counts) {
  if (bins <= 0) return;
  // Infinite or NaN bounds would make the bin index below NaN or infinite, and converting that to
  // an integer is undefined (on x86 it yields INT64_MIN, an out-of-bounds write): count nothing.
  if (!isfinite(lower) || !isfinite(upper)) return;
  const double width = (double)upper - (double)lower;
  if (!(width > 0)) {  // a single value: everything lands in the first bin
    for (int64_t i = 0; i < count; i++) if (x[i] == x[i]) counts[0]++;
    return;
  }
  const double per = (double)bins / width;
  for (int64_t i = 0; i < count; i++) {
    const float v = x[i];
    if (!(v >= lower && v <= upper)) continue;  // outside the range (or NaN): not counted
    int64_t b = (int64_t)(((double)v - (double)lower) * per);
    if (b >= bins) b = bins - 1;
    counts[b]++;
  }
}

QK_MULTIVERSION void qk_divide_columns(float *restrict y, int64_t rows, int64_t cols, const float *restrict divisor,
                                       const float *restrict bias) {
  for (int64_t r = 0; r < rows; r++) {
    float *yr = y + r * cols;
    if (bias) {
      for (int64_t c = 0; c < cols; c++) yr[c] = yr[c] / divisor[c] + bias[c];
    } else {
      for (int64_t c = 0; c < cols; c++) yr[c] = yr[c] / divisor[c];
    }
  }
}

QK_MULTIVERSION int qk_all_finite(const float *restrict x, int64_t count) {
  // x·0 is 0 for every finite x and NaN for NaN and ±inf; sixteen lanes so the loop vectorizes.
  float acc[16] = {0};
  int64_t i = 0;
  for (; i + 16 <= count; i += 16) {
    for (int l = 0; l < 16; l++) acc[l] += x[i + l] * 0.0f;
  }
  for (; i < count; i++) acc[0] += x[i] * 0.0f;
  float total = 0.0f;
  for (int l = 0; l < 16; l++) total += acc[l];
  return total == 0.0f;
}
