// Depthwise convolution (one filter per channel: groups = c_in = c_out) computed directly. As
// im2col + GEMM it would be one 1-column product per channel; here the inner loops run over the
// channels, contiguous in NHWC, so they vectorize. Sums run over positions in order.
#include "CKernels.h"
#include "../common/multiversion.h"

// Weights arrive as [channel][tap]; the loops want [tap][channel], written into t.
static void taps_by_channel(const float *w, int c, int taps, float *t) {
  for (int ch = 0; ch < c; ch++)
    for (int k = 0; k < taps; k++) t[(long)k * c + ch] = w[(long)ch * taps + k];
}

QK_MULTIVERSION void qk_depthwise_forward(const qk_conv_shape *s, const float *restrict x, const float *restrict w,
                                          const float *restrict bias, float *restrict y, float *restrict work) {
  const int k = s->kernel, c = s->c_in;
  float *wt = work;
  taps_by_channel(w, c, k * k, wt);
  for (int img = 0; img < s->n; img++) {
    const float *xi = x + (long)img * s->h * s->w * c;
    for (int oy = 0; oy < s->out_h; oy++) {
      for (int ox = 0; ox < s->out_w; ox++) {
        float *restrict yo = y + (((long)img * s->out_h + oy) * s->out_w + ox) * c;
        for (int ch = 0; ch < c; ch++) yo[ch] = 0.0f;
        for (int ky = 0; ky < k; ky++) {
          const int iy = oy * s->stride - s->pad + ky;
          if (iy < 0 || iy >= s->h) continue;
          for (int kx = 0; kx < k; kx++) {
            const int ix = ox * s->stride - s->pad + kx;
            if (ix < 0 || ix >= s->w) continue;
            const float *restrict xp = xi + ((long)iy * s->w + ix) * c;
            const float *restrict wp = wt + (long)(ky * k + kx) * c;
            for (int ch = 0; ch < c; ch++) yo[ch] += xp[ch] * wp[ch];
          }
        }
        for (int ch = 0; ch < c; ch++) yo[ch] += bias[ch];
      }
    }
  }
}

QK_MULTIVERSION void qk_depthwise_backward(const qk_conv_shape *s, const float *restrict x, const float *restrict w,
                                           const float *restrict dy, float *restrict dw, float *restrict dx,
                                           float *restrict work) {
  const int k = s->kernel, c = s->c_in, taps = k * k;
  float *wt = work, *dwt = work + (long)c * taps;
  taps_by_channel(w, c, taps, wt);
  for (long i = 0; i < (long)c * taps; i++) dwt[i] = 0.0f;
  if (dx) {
    for (long i = 0; i < (long)s->n * s->h * s->w * c; i++) dx[i] = 0.0f;
  }
  for (int img = 0; img < s->n; img++) {
    const float *xi = x + (long)img * s->h * s->w * c;
    float *dxi = dx ? dx + (long)img * s->h * s->w * c : 0;
    for (int oy = 0; oy < s->out_h; oy++) {
      for (int ox = 0; ox < s->out_w; ox++) {
        const float *restrict go = dy + (((long)img * s->out_h + oy) * s->out_w + ox) * c;
        for (int ky = 0; ky < k; ky++) {
          const int iy = oy * s->stride - s->pad + ky;
          if (iy < 0 || iy >= s->h) continue;
          for (int kx = 0; kx < k; kx++) {
            const int ix = ox * s->stride - s->pad + kx;
            if (ix < 0 || ix >= s->w) continue;
            const long at = ((long)iy * s->w + ix) * c;
            const float *restrict xp = xi + at;
            float *restrict dwp = dwt + (long)(ky * k + kx) * c;
            for (int ch = 0; ch < c; ch++) dwp[ch] += xp[ch] * go[ch];
            if (dxi) {
              const float *restrict wp = wt + (long)(ky * k + kx) * c;
              float *restrict dp = dxi + at;
              for (int ch = 0; ch < c; ch++) dp[ch] += wp[ch] * go[ch];
            }
          }
        }
      }
    }
  }
  for (int ch = 0; ch < c; ch++)
    for (int t = 0; t < taps; t++) dw[(long)ch * taps + t] = dwt[(long)t * c + ch];
}
