// im2col / col2im over NHWC activations, so that a convolution is one GEMM per group.
#include "CKernels.h"
#include "../common/multiversion.h"
#include <string.h>

QK_MULTIVERSION void qk_im2col_nhwc(const qk_conv_shape *s, const float *restrict x, float *restrict col) {
  const int cg = s->c_in / s->groups, kk = s->kernel;
  const long row_len = (long)s->groups * kk * kk * cg;
  float *restrict out = col;
  if (s->groups == 1 && s->c_in == 1) {
    // One input channel (a first layer on gray images): spans would be a few floats each, so copy
    // the k×k patch tap by tap instead.
    for (int img = 0; img < s->n; img++) {
      const float *xi = x + (long)img * s->h * s->w;
      for (int oy = 0; oy < s->out_h; oy++) {
        for (int ox = 0; ox < s->out_w; ox++) {
          float *restrict row = out;
          for (int ky = 0; ky < kk; ky++) {
            const int iy = oy * s->stride - s->pad + ky;
            const int row_ok = iy >= 0 && iy < s->h;
            for (int kx = 0; kx < kk; kx++) {
              const int ix = ox * s->stride - s->pad + kx;
              row[ky * kk + kx] = row_ok && ix >= 0 && ix < s->w ? xi[(long)iy * s->w + ix] : 0.0f;
            }
          }
          out += row_len;
        }
      }
    }
    return;
  }
  if (s->groups == 1) {
    // One group: for a fixed output position and kernel row, the kernel's columns read consecutive
    // input columns, and NHWC keeps all their channels together — one contiguous span of
    // kernel·c_in floats, clipped at the borders (the clipped part is padding: zeros).
    const int span = kk * s->c_in;
    for (int img = 0; img < s->n; img++) {
      const float *xi = x + (long)img * s->h * s->w * s->c_in;
      for (int oy = 0; oy < s->out_h; oy++) {
        for (int ox = 0; ox < s->out_w; ox++) {
          const int ix0 = ox * s->stride - s->pad;
          const int lo = ix0 < 0 ? -ix0 : 0;
          const int hi = ix0 + kk > s->w ? s->w - ix0 : kk;
          for (int ky = 0; ky < kk; ky++) {
            float *restrict row = out + (long)ky * span;
            const int iy = oy * s->stride - s->pad + ky;
            if (iy < 0 || iy >= s->h || hi <= lo) {
              for (int i = 0; i < span; i++) row[i] = 0.0f;
              continue;
            }
            for (int i = 0; i < lo * s->c_in; i++) row[i] = 0.0f;
            const float *restrict src = xi + ((long)iy * s->w + ix0) * s->c_in;
            for (int i = lo * s->c_in; i < hi * s->c_in; i++) row[i] = src[i];
            for (int i = hi * s->c_in; i < span; i++) row[i] = 0.0f;
          }
          out += row_len;
        }
      }
    }
    return;
  }
  for (int img = 0; img < s->n; img++) {
    const float *xi = x + (long)img * s->h * s->w * s->c_in;
    for (int oy = 0; oy < s->out_h; oy++) {
      for (int ox = 0; ox < s->out_w; ox++) {
        float *restrict row = out;
        for (int g = 0; g < s->groups; g++) {
          for (int ky = 0; ky < kk; ky++) {
            const int iy = oy * s->stride - s->pad + ky;
            for (int kx = 0; kx < kk; kx++) {
              const int ix = ox * s->stride - s->pad + kx;
              // Short copies inline: a memcpy call per kernel tap costs more than the copy.
              if (iy < 0 || iy >= s->h || ix < 0 || ix >= s->w) {
                for (int ci = 0; ci < cg; ci++) row[ci] = 0.0f;
              } else {
                const float *restrict src = xi + ((long)iy * s->w + ix) * s->c_in + g * cg;
                for (int ci = 0; ci < cg; ci++) row[ci] = src[ci];
              }
              row += cg;
            }
          }
        }
        out += row_len;
      }
    }
  }
}

QK_MULTIVERSION void qk_col2im_nhwc(const qk_conv_shape *s, const float *restrict col, float *restrict dx) {
  const int cg = s->c_in / s->groups, kk = s->kernel;
  const long row_len = (long)s->groups * kk * kk * cg;
  memset(dx, 0, sizeof(float) * (long)s->n * s->h * s->w * s->c_in);
  const float *in = col;
  for (int img = 0; img < s->n; img++) {
    float *di = dx + (long)img * s->h * s->w * s->c_in;
    for (int oy = 0; oy < s->out_h; oy++) {
      for (int ox = 0; ox < s->out_w; ox++) {
        const float *row = in;
        for (int g = 0; g < s->groups; g++) {
          for (int ky = 0; ky < kk; ky++) {
            const int iy = oy * s->stride - s->pad + ky;
            for (int kx = 0; kx < kk; kx++) {
              const int ix = ox * s->stride - s->pad + kx;
              if (iy >= 0 && iy < s->h && ix >= 0 && ix < s->w) {
                float *d = di + ((long)iy * s->w + ix) * s->c_in + g * cg;
                for (int ci = 0; ci < cg; ci++) d[ci] += row[ci];
              }
              row += cg;
            }
          }
        }
        in += row_len;
      }
    }
  }
}

QK_MULTIVERSION void qk_add_bias_rows(float *restrict y, int rows, int cols, const float *restrict bias) {
  for (int r = 0; r < rows; r++) {
    float *yr = y + (long)r * cols;
    for (int c = 0; c < cols; c++) yr[c] += bias[c];
  }
}

QK_MULTIVERSION void qk_sum_rows(const float *restrict dy, int rows, int cols, float *restrict db, int accumulate) {
  if (!accumulate) memset(db, 0, sizeof(float) * cols);
  for (int r = 0; r < rows; r++) {
    const float *dr = dy + (long)r * cols;
    for (int c = 0; c < cols; c++) db[c] += dr[c];
  }
}
