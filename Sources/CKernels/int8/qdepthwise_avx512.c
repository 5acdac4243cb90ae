// The AVX-512 integer depthwise convolution computed directly (one filter per channel), the loops over
// channels, contiguous in NHWC: 16 channels per vector in int32 lanes, AVX-512 F/BW only (no VNNI needed):
// a lane's low 16 bits hold x − x_zero ∈ [−255, 255] and the weight's lane holds w in its low 16 bits and 0
// above, so one `vpmaddwd` is the exact product (the high halves multiply 0). The requantization is the
// GEMM's vector epilogue (int8_avx512.h). Compiled with a target attribute (never -march) and reached only
// after int8_dispatch.c's cpuid check; what it cannot take goes to qdepthwise_portable.c.
#include "int8_internal.h"

#pragma clang attribute push(__attribute__((target("avx512f,avx512bw,avx512vl"))), apply_to = function)

#include "int8_avx512.h"

enum { MAX_TAPS = 49 };  // kernels up to 7 × 7 keep their widened weights on the stack

#define UNROLL _Pragma("clang loop unroll(full)")

/// One block of up to 64 channels (c0 … c0+width−1) over every output position.
typedef struct {
  const qk_conv_shape *s;
  const uint8_t *x;   // at channel c0
  uint8_t *y;         // at channel c0
  int32_t x_zero;
  int c0, width;
  const __m512i (*wt)[4];     // [tap][vector]: w in the low 16 bits of each lane, 0 above
  const qk_rq_table *table;   // NULL: requantize with the scalar formula
  const qk_requant *rq;
} dw_block_args;

/// The block with NV vectors of 16 channels, its accumulators in registers; PARTIAL: the last vector
/// is short (masked loads, which cost an extra operation, only there).
static inline __attribute__((always_inline)) void dw_block(const int NV, const int PARTIAL, const dw_block_args *d) {
  // Everything in locals: the byte stores to y may alias any memory, so fields would be reloaded.
  const int c = d->s->c_in, k = d->s->kernel, h = d->s->h, w = d->s->w, stride = d->s->stride, pad = d->s->pad;
  const int n = d->s->n, out_h = d->s->out_h, out_w = d->s->out_w;
  const __m512i (*const wt)[4] = d->wt;
  const qk_rq_table *const table = d->table;
  __mmask16 mask[4];
  UNROLL for (int v = 0; v < NV; v++) mask[v] = qk_mask16(d->width - 16 * v);
  const __mmask64 store_mask = d->width == 64 ? ~(__mmask64)0 : ((__mmask64)1 << d->width) - 1;
  const __m512i zero_point = _mm512_set1_epi32(d->x_zero);
  const __m512i low = _mm512_set1_epi8((char)d->rq->low), high = _mm512_set1_epi8((char)d->rq->high);
  for (int img = 0; img < n; img++) {
    const uint8_t *xi = d->x + (long)img * h * w * c;
    uint8_t *yi = d->y + (long)img * out_h * out_w * c;
    for (int oy = 0; oy < out_h; oy++) {
      const int iy0 = oy * stride - pad;
      const int ky0 = iy0 < 0 ? -iy0 : 0, ky1 = iy0 + k > h ? h - iy0 : k;
      for (int ox = 0; ox < out_w; ox++) {
        const int ix0 = ox * stride - pad;
        const int kx0 = ix0 < 0 ? -ix0 : 0, kx1 = ix0 + k > w ? w - ix0 : k;
        __m512i acc[4];
        UNROLL for (int v = 0; v < NV; v++) acc[v] = _mm512_setzero_si512();
        for (int ky = ky0; ky < ky1; ky++) {  // the taps inside the input: padding contributes 0
          const uint8_t *xrow = xi + ((long)(iy0 + ky) * w + ix0) * c;
          for (int kx = kx0; kx < kx1; kx++) {
            const uint8_t *xp = xrow + (long)kx * c;
            UNROLL for (int v = 0; v < NV; v++) {
              const __m128i bytes = PARTIAL && v == NV - 1 ? _mm_maskz_loadu_epi8(mask[v], xp + 16 * v)
                                                           : _mm_loadu_si128((const __m128i *)(xp + 16 * v));
              const __m512i centered = _mm512_sub_epi32(_mm512_cvtepu8_epi32(bytes), zero_point);
              acc[v] = _mm512_add_epi32(acc[v], _mm512_madd_epi16(centered, wt[ky * k + kx][v]));
            }
          }
        }
        uint8_t *yo = yi + ((long)oy * out_w + ox) * c;
        if (table) {
          __m512i q[4];
          UNROLL for (int v = 0; v < 4; v++) q[v] = v < NV ? qk_rq_apply(acc[v], table, v) : _mm512_setzero_si512();
          _mm512_mask_storeu_epi8(yo, store_mask, qk_narrow4(q[0], q[1], q[2], q[3], low, high));
        } else {
          int32_t sums[64];
          UNROLL for (int v = 0; v < NV; v++) _mm512_storeu_si512(sums + 16 * v, acc[v]);
          for (int ch = 0; ch < d->width; ch++) yo[ch] = qk_requant_one(sums[ch], d->rq, d->c0 + ch);
        }
      }
    }
  }
}

#define DW_BLOCKS(NV)                                                          \
  static void dw_block_##NV(const dw_block_args *d) { dw_block(NV, 0, d); }   \
  static void dw_block_##NV##p(const dw_block_args *d) { dw_block(NV, 1, d); }
DW_BLOCKS(1) DW_BLOCKS(2) DW_BLOCKS(3) DW_BLOCKS(4)

void qk_qdepthwise_avx512(const qk_conv_shape *s, const uint8_t *x, int32_t x_zero, const int8_t *w,
                          const qk_requant *rq, uint8_t *y) {
  const int c = s->c_in, taps = s->kernel * s->kernel;
  // The 16-bit lanes need |x − x_zero| < 2^15; a zero point outside the byte grid (never produced by
  // the engine) or a huge kernel goes the portable way.
  if (x_zero < 0 || x_zero > 255 || taps > MAX_TAPS) {
    qk_qdepthwise_portable(s, x, x_zero, w, rq, y);
    return;
  }
  static void (*const blocks[2][5])(const dw_block_args *) = {
      {NULL, dw_block_1, dw_block_2, dw_block_3, dw_block_4},
      {NULL, dw_block_1p, dw_block_2p, dw_block_3p, dw_block_4p}};
  __m512i wt[MAX_TAPS][4];
  qk_rq_table table;
  const __m512i low16 = _mm512_set1_epi32(0xFFFF);
  for (int c0 = 0; c0 < c; c0 += 64) {
    const int width = c - c0 < 64 ? c - c0 : 64, nv = (width + 15) / 16;
    for (int t = 0; t < taps; t++)
      for (int v = 0; v < nv; v++) {
        const __m128i bytes = _mm_maskz_loadu_epi8(qk_mask16(width - 16 * v), w + (long)t * c + c0 + 16 * v);
        wt[t][v] = _mm512_and_si512(_mm512_cvtepi8_epi32(bytes), low16);
      }
    // |acc| ≤ 255·128 per tap (|x − x_zero| ≤ 255, |w| ≤ 128).
    const int exact = qk_rq_table_fill(rq, c0, width, (int64_t)255 * 128 * taps, &table);
    const dw_block_args d = {
        .s = s, .x = x + c0, .y = y + c0, .x_zero = x_zero, .c0 = c0, .width = width,
        .wt = (const __m512i (*)[4])wt, .table = exact ? &table : NULL, .rq = rq,
    };
    blocks[width % 16 != 0][nv](&d);
  }
}

#pragma clang attribute pop
