// Direct convolution for layers with few input channels (a first layer on gray or RGB images), for
// inference. Lowered, such a layer copies kernel²·c_in floats per output position — a few floats per
// copy, so im2col took more time than the GEMM (38 % of Net B's inference). Here the image is padded
// once and each output row is computed in blocks of 8 positions × 32 (or 16) output channels held in
// registers: every input value is broadcast straight from the padded image.
//
// The AVX-512 version sums each output over (kh, kw, ci) in order, one FMA chain from zero, then adds
// the bias and applies the activation: the operations of im2col + the AVX-512 GEMM + the fused
// epilogue, so its results are the same bit for bit.
#include <immintrin.h>
#include "CKernels.h"
#include "../common/cpu.h"

int64_t qk_conv_narrow_work_floats(const qk_conv_shape *s) {
  return (int64_t)(s->h + 2 * s->pad) * (s->w + 2 * s->pad) * s->c_in;
}

/// One image into the interior of the padded buffer, (h + 2·pad) × (w + 2·pad) × c_in, whose border the
/// caller has zeroed once for all the images.
static void pad_image(const qk_conv_shape *s, const float *x, float *xp) {
  const int wp = s->w + 2 * s->pad, c = s->c_in;
  for (int iy = 0; iy < s->h; iy++)
    for (long i = 0; i < (long)s->w * c; i++) xp[((long)(iy + s->pad) * wp + s->pad) * c + i] = x[(long)iy * s->w * c + i];
}

static inline float activate(float v, float cap) {
  if (cap < 0.0f) return v;
  v = v > 0.0f ? v : 0.0f;
  return (cap > 0.0f && v > cap) ? cap : v;
}

/// The plain loops (any CPU): y = act(Σ x·w + bias) per output, summed in (kh, kw, ci) order.
static void narrow_plain(const qk_conv_shape *s, const float *xp, const float *w, const float *bias, float relu_cap,
                         float *y) {
  const int k = s->kernel, cin = s->c_in, cout = s->c_out, wp = s->w + 2 * s->pad;
  for (int oy = 0; oy < s->out_h; oy++) {
    for (int ox = 0; ox < s->out_w; ox++) {
      float *yo = y + ((long)oy * s->out_w + ox) * cout;
      for (int co = 0; co < cout; co++) {
        float sum = 0.0f;
        for (int ky = 0; ky < k; ky++)
          for (int kx = 0; kx < k; kx++)
            for (int ci = 0; ci < cin; ci++)
              sum += xp[((long)(oy * s->stride + ky) * wp + ox * s->stride + kx) * cin + ci] *
                     w[((long)(ky * k + kx) * cin + ci) * cout + co];
        yo[co] = activate(sum + bias[co], relu_cap);
      }
    }
  }
}

#pragma clang attribute push(__attribute__((target("avx512f,avx512bw,avx512vl,avx2,fma"))), apply_to = function)

/// P consecutive output positions of one row × NV·16 output channels from co (the last 16 under
/// `mask`): x points at the first position's window corner in the padded image, `step` floats between
/// positions, `row` floats between padded rows. Each broadcast input value feeds NV FMAs.
static inline __attribute__((always_inline)) void narrow_block(const int P, const int NV, const float *x, long step,
                                                               long row, const qk_conv_shape *s, const float *w,
                                                               const float *bias, float relu_cap, int co,
                                                               __mmask16 mask, float *y) {
  const int k = s->kernel, cin = s->c_in, cout = s->c_out;
  __m512 acc[8][2];
  for (int p = 0; p < P; p++)
    for (int v = 0; v < NV; v++) acc[p][v] = _mm512_setzero_ps();
  for (int ky = 0; ky < k; ky++) {
    for (int kx = 0; kx < k; kx++) {
      for (int ci = 0; ci < cin; ci++) {
        const float *xt = x + ky * row + kx * cin + ci;
        const float *wt = w + ((long)(ky * k + kx) * cin + ci) * cout + co;
        __m512 wv[2];
        for (int v = 0; v < NV; v++)
          wv[v] = v == NV - 1 ? _mm512_maskz_loadu_ps(mask, wt + 16 * v) : _mm512_loadu_ps(wt + 16 * v);
        for (int p = 0; p < P; p++) {
          const __m512 xv = _mm512_set1_ps(xt[p * step]);
          for (int v = 0; v < NV; v++) acc[p][v] = _mm512_fmadd_ps(xv, wv[v], acc[p][v]);
        }
      }
    }
  }
  const __m512 zero = _mm512_setzero_ps(), cap = _mm512_set1_ps(relu_cap);
  for (int v = 0; v < NV; v++) {
    const __mmask16 m = v == NV - 1 ? mask : (__mmask16)0xFFFF;
    const __m512 b = _mm512_maskz_loadu_ps(m, bias + co + 16 * v);
    for (int p = 0; p < P; p++) {
      __m512 value = _mm512_add_ps(acc[p][v], b);
      // max(v, 0) returns 0 for NaN, and +0 for −0, as `activate` does; min(v, cap) likewise.
      if (relu_cap >= 0.0f) value = _mm512_max_ps(value, zero);
      if (relu_cap > 0.0f) value = _mm512_min_ps(value, cap);
      _mm512_mask_storeu_ps(y + (long)p * cout + co + 16 * v, m, value);
    }
  }
}

/// One output row's positions, 8 at a time, for the NV·16 channels from co.
static inline __attribute__((always_inline)) void narrow_row(const int NV, const float *x_row, long step, long row,
                                                             const qk_conv_shape *s, const float *w, const float *bias,
                                                             float relu_cap, int co, __mmask16 mask, float *y_row) {
  // The row's tail in blocks of 4, 2 and 1: a lone position is one FMA chain, bound by its latency.
  int ox = 0;
  for (; ox + 8 <= s->out_w; ox += 8)
    narrow_block(8, NV, x_row + ox * step, step, row, s, w, bias, relu_cap, co, mask, y_row + (long)ox * s->c_out);
  if (ox + 4 <= s->out_w) {
    narrow_block(4, NV, x_row + ox * step, step, row, s, w, bias, relu_cap, co, mask, y_row + (long)ox * s->c_out);
    ox += 4;
  }
  if (ox + 2 <= s->out_w) {
    narrow_block(2, NV, x_row + ox * step, step, row, s, w, bias, relu_cap, co, mask, y_row + (long)ox * s->c_out);
    ox += 2;
  }
  if (ox < s->out_w)
    narrow_block(1, NV, x_row + ox * step, step, row, s, w, bias, relu_cap, co, mask, y_row + (long)ox * s->c_out);
}

static void narrow_avx512(const qk_conv_shape *s, const float *xp, const float *w, const float *bias, float relu_cap,
                          float *y) {
  const long row = (long)(s->w + 2 * s->pad) * s->c_in, step = (long)s->stride * s->c_in;
  for (int oy = 0; oy < s->out_h; oy++) {
    const float *x_row = xp + (long)oy * s->stride * row;
    float *y_row = y + (long)oy * s->out_w * s->c_out;
    // 32 channels at a time while more than 16 remain (the last 16 masked), then 16.
    int co = 0;
    for (; s->c_out - co > 16; co += 32) {
      const int lanes = s->c_out - co - 16 < 16 ? s->c_out - co - 16 : 16;
      narrow_row(2, x_row, step, row, s, w, bias, relu_cap, co, (__mmask16)((1u << lanes) - 1), y_row);
    }
    if (co < s->c_out) {
      const int lanes = s->c_out - co;
      narrow_row(1, x_row, step, row, s, w, bias, relu_cap, co, (__mmask16)((1u << lanes) - 1), y_row);
    }
  }
}

#pragma clang attribute pop

void qk_conv_narrow(qk_variant v, const qk_conv_shape *s, const float *x, const float *w, const float *bias,
                    float relu_cap, float *y, float *work) {
  const int fast = v == QK_AVX512 && qk_cpu_has_avx512();
  const long in = (long)s->h * s->w * s->c_in, out = (long)s->out_h * s->out_w * s->c_out;
  // The border stays zero; only the interior changes from image to image.
  for (long i = 0; i < qk_conv_narrow_work_floats(s); i++) work[i] = 0.0f;
  for (int img = 0; img < s->n; img++) {
    pad_image(s, x + img * in, work);
    if (fast) {
      narrow_avx512(s, work, w, bias, relu_cap, y + img * out);
    } else {
      narrow_plain(s, work, w, bias, relu_cap, y + img * out);
    }
  }
}
