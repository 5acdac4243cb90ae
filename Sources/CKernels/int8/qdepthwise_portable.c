// The portable integer depthwise convolution computed directly (one filter per channel): as im2col + GEMM
// it would be a 1-column product per channel. The loops run over channels, contiguous in NHWC: plain C
// over a stack block of channels (QK_MULTIVERSION clones it per instruction set).
#include "int8_internal.h"
#include "../common/multiversion.h"

enum { BLOCK = 256 };  // channels per portable block (1 KB of int32 accumulators on the stack)

QK_MULTIVERSION void qk_qdepthwise_portable(const qk_conv_shape *s, const uint8_t *restrict x, int32_t x_zero,
                                            const int8_t *restrict w, const qk_requant *rq, uint8_t *restrict y) {
  const int c = s->c_in, k = s->kernel;
  int32_t acc[BLOCK];
  for (int img = 0; img < s->n; img++) {
    const uint8_t *xi = x + (long)img * s->h * s->w * c;
    for (int oy = 0; oy < s->out_h; oy++)
      for (int ox = 0; ox < s->out_w; ox++) {
        uint8_t *yo = y + (((long)img * s->out_h + oy) * s->out_w + ox) * c;
        for (int c0 = 0; c0 < c; c0 += BLOCK) {
          const int width = c - c0 < BLOCK ? c - c0 : BLOCK;
          for (int ch = 0; ch < width; ch++) acc[ch] = 0;
          for (int ky = 0; ky < k; ky++) {
            const int iy = oy * s->stride - s->pad + ky;
            if (iy < 0 || iy >= s->h) continue;  // padding contributes 0
            for (int kx = 0; kx < k; kx++) {
              const int ix = ox * s->stride - s->pad + kx;
              if (ix < 0 || ix >= s->w) continue;
              const uint8_t *restrict xp = xi + ((long)iy * s->w + ix) * c + c0;
              const int8_t *restrict wp = w + ((long)ky * k + kx) * c + c0;
              for (int ch = 0; ch < width; ch++) acc[ch] += ((int32_t)xp[ch] - x_zero) * wp[ch];
            }
          }
          for (int ch = 0; ch < width; ch++) yo[c0 + ch] = qk_requant_one(acc[ch], rq, c0 + ch);
        }
      }
  }
}
