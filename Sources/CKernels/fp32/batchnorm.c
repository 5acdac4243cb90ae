// Batch normalization over rows of channels: partial sums per chunk (combined by the caller in a
// fixed order, so the thread count never changes a result), then the per-element passes.
#include "CKernels.h"
#include "../common/multiversion.h"

QK_MULTIVERSION void qk_bn_partial_stats(const float *restrict x, int rows, int c, double *restrict sum,
                                         double *restrict sumsq) {
  for (int ch = 0; ch < c; ch++) { sum[ch] = 0.0; sumsq[ch] = 0.0; }
  for (int r = 0; r < rows; r++) {
    const float *xr = x + (long)r * c;
    for (int ch = 0; ch < c; ch++) {
      const double v = xr[ch];
      sum[ch] += v;
      sumsq[ch] += v * v;
    }
  }
}

QK_MULTIVERSION void qk_bn_apply(const float *restrict x, int rows, int c, const float *restrict mean,
                                 const float *restrict invstd, const float *restrict gamma, const float *restrict beta,
                                 float *restrict y, float *restrict xhat, float relu_cap) {
  for (int r = 0; r < rows; r++) {
    const float *xr = x + (long)r * c;
    float *restrict yr = y + (long)r * c;
    if (xhat) {
      float *restrict hr = xhat + (long)r * c;
      for (int ch = 0; ch < c; ch++) {
        const float h = (xr[ch] - mean[ch]) * invstd[ch];
        hr[ch] = h;
        yr[ch] = h * gamma[ch] + beta[ch];
      }
    } else {
      for (int ch = 0; ch < c; ch++) yr[ch] = (xr[ch] - mean[ch]) * invstd[ch] * gamma[ch] + beta[ch];
    }
    // A following ReLU (or ReLU6), applied while the row is in L1: the same selects as
    // qk_relu_forward, so fused and separate layers give identical bits.
    if (relu_cap > 0.0f) {
      for (int ch = 0; ch < c; ch++) {
        const float v = yr[ch] > 0.0f ? yr[ch] : 0.0f;
        yr[ch] = v < relu_cap ? v : relu_cap;
      }
    } else if (relu_cap == 0.0f) {
      for (int ch = 0; ch < c; ch++) yr[ch] = yr[ch] > 0.0f ? yr[ch] : 0.0f;
    }
  }
}

QK_MULTIVERSION void qk_bn_backward_partial(const float *restrict dy, const float *restrict xhat, int rows, int c,
                            double *restrict sum_dy, double *restrict sum_dy_xhat) {
  for (int ch = 0; ch < c; ch++) { sum_dy[ch] = 0.0; sum_dy_xhat[ch] = 0.0; }
  for (int r = 0; r < rows; r++) {
    const float *gr = dy + (long)r * c, *hr = xhat + (long)r * c;
    for (int ch = 0; ch < c; ch++) {
      sum_dy[ch] += gr[ch];
      sum_dy_xhat[ch] += (double)gr[ch] * hr[ch];
    }
  }
}

QK_MULTIVERSION void qk_bn_backward_apply(const float *dy, const float *xhat, int rows, int c, const float *gamma,
                          const float *invstd, const float *mean_dy, const float *mean_dy_xhat, float *dx) {
  for (int r = 0; r < rows; r++) {
    const float *gr = dy + (long)r * c, *hr = xhat + (long)r * c;
    float *dr = dx + (long)r * c;
    for (int ch = 0; ch < c; ch++) {
      dr[ch] = gamma[ch] * invstd[ch] * (gr[ch] - mean_dy[ch] - hr[ch] * mean_dy_xhat[ch]);
    }
  }
}
