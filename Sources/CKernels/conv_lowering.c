// im2col / col2im over NHWC activations, so that a convolution is one GEMM per group.
#include "CKernels.h"
#include <string.h>

void qk_im2col_nhwc(const qk_conv_shape *s, const float *x, float *col) {
  const int cg = s->c_in / s->groups, kk = s->kernel;
  const long row_len = (long)s->groups * kk * kk * cg;
  float *out = col;
  for (int img = 0; img < s->n; img++) {
    const float *xi = x + (long)img * s->h * s->w * s->c_in;
    for (int oy = 0; oy < s->out_h; oy++) {
      for (int ox = 0; ox < s->out_w; ox++) {
        float *row = out;
        for (int g = 0; g < s->groups; g++) {
          for (int ky = 0; ky < kk; ky++) {
            const int iy = oy * s->stride - s->pad + ky;
            for (int kx = 0; kx < kk; kx++) {
              const int ix = ox * s->stride - s->pad + kx;
              if (iy < 0 || iy >= s->h || ix < 0 || ix >= s->w) {
                memset(row, 0, sizeof(float) * cg);
              } else {
                memcpy(row, xi + ((long)iy * s->w + ix) * s->c_in + g * cg, sizeof(float) * cg);
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

void qk_col2im_nhwc(const qk_conv_shape *s, const float *col, float *dx) {
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

void qk_add_bias_rows(float *y, int rows, int cols, const float *bias) {
  for (int r = 0; r < rows; r++) {
    float *yr = y + (long)r * cols;
    for (int c = 0; c < cols; c++) yr[c] += bias[c];
  }
}

void qk_sum_rows(const float *dy, int rows, int cols, float *db, int accumulate) {
  if (!accumulate) memset(db, 0, sizeof(float) * cols);
  for (int r = 0; r < rows; r++) {
    const float *dr = dy + (long)r * cols;
    for (int c = 0; c < cols; c++) db[c] += dr[c];
  }
}
