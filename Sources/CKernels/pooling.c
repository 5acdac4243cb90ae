// Max and average pooling over NHWC activations, forward and backward.
#include "CKernels.h"
#include <string.h>

void qk_maxpool_forward(const float *x, int n, int h, int w, int c, int kernel, int stride,
                        int out_h, int out_w, float *y, int32_t *argmax) {
  for (int img = 0; img < n; img++) {
    const long base = (long)img * h * w * c;
    for (int oy = 0; oy < out_h; oy++) {
      for (int ox = 0; ox < out_w; ox++) {
        const long o = (((long)img * out_h + oy) * out_w + ox) * c;
        const long first = base + ((long)(oy * stride) * w + ox * stride) * c;
        for (int ch = 0; ch < c; ch++) { y[o + ch] = x[first + ch]; argmax[o + ch] = (int32_t)(first + ch); }
        for (int ky = 0; ky < kernel; ky++) {
          for (int kx = 0; kx < kernel; kx++) {
            const long at = base + ((long)(oy * stride + ky) * w + ox * stride + kx) * c;
            for (int ch = 0; ch < c; ch++) {
              // Strictly greater: the first maximum wins ties; NaN propagates like any value seen first.
              if (x[at + ch] > y[o + ch]) { y[o + ch] = x[at + ch]; argmax[o + ch] = (int32_t)(at + ch); }
            }
          }
        }
      }
    }
  }
}

void qk_maxpool_backward(const float *dy, const int32_t *argmax, int outputs, int inputs, float *dx) {
  memset(dx, 0, sizeof(float) * (long)inputs);
  for (int o = 0; o < outputs; o++) dx[argmax[o]] += dy[o];
}

void qk_avgpool_forward(const float *x, int n, int h, int w, int c, int kernel, int stride,
                        int out_h, int out_w, float *y) {
  const float scale = 1.0f / (float)(kernel * kernel);
  for (int img = 0; img < n; img++) {
    const long base = (long)img * h * w * c;
    for (int oy = 0; oy < out_h; oy++) {
      for (int ox = 0; ox < out_w; ox++) {
        float *yo = y + (((long)img * out_h + oy) * out_w + ox) * c;
        for (int ch = 0; ch < c; ch++) yo[ch] = 0.0f;
        for (int ky = 0; ky < kernel; ky++) {
          for (int kx = 0; kx < kernel; kx++) {
            const float *xi = x + base + ((long)(oy * stride + ky) * w + ox * stride + kx) * c;
            for (int ch = 0; ch < c; ch++) yo[ch] += xi[ch];
          }
        }
        for (int ch = 0; ch < c; ch++) yo[ch] *= scale;
      }
    }
  }
}

void qk_avgpool_backward(const float *dy, int n, int h, int w, int c, int kernel, int stride,
                         int out_h, int out_w, float *dx) {
  const float scale = 1.0f / (float)(kernel * kernel);
  memset(dx, 0, sizeof(float) * (long)n * h * w * c);
  for (int img = 0; img < n; img++) {
    const long base = (long)img * h * w * c;
    for (int oy = 0; oy < out_h; oy++) {
      for (int ox = 0; ox < out_w; ox++) {
        const float *go = dy + (((long)img * out_h + oy) * out_w + ox) * c;
        for (int ky = 0; ky < kernel; ky++) {
          for (int kx = 0; kx < kernel; kx++) {
            float *di = dx + base + ((long)(oy * stride + ky) * w + ox * stride + kx) * c;
            for (int ch = 0; ch < c; ch++) di[ch] += go[ch] * scale;
          }
        }
      }
    }
  }
}
