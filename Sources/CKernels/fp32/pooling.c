// Max and average pooling over NHWC activations, forward and backward.
#include "CKernels.h"
#include "../common/multiversion.h"
#include <string.h>

/// The common 2×2, stride-2 window in evaluation (no argmax): the same comparisons in the same order
/// as the general loop below, unrolled (the general loop's per-window overhead was 12 % of Net B's
/// inference).
QK_MULTIVERSION static void maxpool_2x2(const float *restrict x, int n, int h, int w, int c, int out_h, int out_w,
                                        float *restrict y) {
  for (int img = 0; img < n; img++) {
    for (int oy = 0; oy < out_h; oy++) {
      const float *restrict top = x + (((long)img * h + 2 * oy) * w) * c;
      const float *restrict bottom = top + (long)w * c;
      float *restrict yo = y + (((long)img * out_h + oy) * out_w) * c;
      for (int ox = 0; ox < out_w; ox++) {
        const float *restrict a = top + 2L * ox * c, *restrict b = bottom + 2L * ox * c;
        for (int ch = 0; ch < c; ch++) {
          float m = a[ch];
          m = a[c + ch] > m ? a[c + ch] : m;
          m = b[ch] > m ? b[ch] : m;
          m = b[c + ch] > m ? b[c + ch] : m;
          yo[(long)ox * c + ch] = m;
        }
      }
    }
  }
}

QK_MULTIVERSION void qk_maxpool_forward(const float *restrict x, int n, int h, int w, int c, int kernel, int stride,
                        int out_h, int out_w, float *restrict y, int32_t *restrict argmax) {
  if (!argmax && kernel == 2 && stride == 2) {
    maxpool_2x2(x, n, h, w, c, out_h, out_w, y);
    return;
  }
  for (int img = 0; img < n; img++) {
    const long base = (long)img * h * w * c;
    for (int oy = 0; oy < out_h; oy++) {
      for (int ox = 0; ox < out_w; ox++) {
        const long o = (((long)img * out_h + oy) * out_w + ox) * c;
        float *restrict yo = y + o;
        const long first = base + ((long)(oy * stride) * w + ox * stride) * c;
        // Pass 1, the maximum: branch-free selects over contiguous channels (vectorizes; a branch
        // on the data would mispredict half the time).
        for (int ch = 0; ch < c; ch++) yo[ch] = x[first + ch];
        for (int ky = 0; ky < kernel; ky++) {
          for (int kx = 0; kx < kernel; kx++) {
            const float *restrict xi = x + base + ((long)(oy * stride + ky) * w + ox * stride + kx) * c;
            for (int ch = 0; ch < c; ch++) yo[ch] = xi[ch] > yo[ch] ? xi[ch] : yo[ch];
          }
        }
        if (!argmax) continue;
        // Pass 2 (training only), where it came from: the first window position holding the
        // maximum; the window's first element if none does (a NaN maximum).
        int32_t *restrict ao = argmax + o;
        for (int ch = 0; ch < c; ch++) ao[ch] = -1;
        for (int ky = kernel - 1; ky >= 0; ky--) {
          for (int kx = kernel - 1; kx >= 0; kx--) {
            const int32_t at = (int32_t)(base + ((long)(oy * stride + ky) * w + ox * stride + kx) * c);
            const float *restrict xi = x + at;
            for (int ch = 0; ch < c; ch++) ao[ch] = xi[ch] == yo[ch] ? at + ch : ao[ch];
          }
        }
        for (int ch = 0; ch < c; ch++) ao[ch] = ao[ch] < 0 ? (int32_t)first + ch : ao[ch];
      }
    }
  }
}

QK_MULTIVERSION void qk_maxpool_backward(const float *dy, const int32_t *argmax, int outputs, int inputs, float *dx) {
  memset(dx, 0, sizeof(float) * (long)inputs);
  for (int o = 0; o < outputs; o++) dx[argmax[o]] += dy[o];
}

QK_MULTIVERSION void qk_avgpool_forward(const float *x, int n, int h, int w, int c, int kernel, int stride,
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

QK_MULTIVERSION void qk_avgpool_backward(const float *dy, int n, int h, int w, int c, int kernel, int stride,
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
