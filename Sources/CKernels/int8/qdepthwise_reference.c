// The reference integer depthwise convolution: plain loops written from the definition, which the tests
// and the other variants are held to. The requantization is the header's formula as written
// (int8_reference.h).
#include "int8_internal.h"
#include "int8_reference.h"

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
