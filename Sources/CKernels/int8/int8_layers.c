// The integer layers around the GEMM: im2col over uint8 NHWC input, and pooling on one grid.
#include <stdlib.h>
#include <string.h>
#include "int8_internal.h"
#include "../common/multiversion.h"

typedef uint8_t v16u8 __attribute__((vector_size(16)));

/// One output position's row for groups == 1: for each kernel row, the kernel's columns read
/// consecutive input columns whose channels NHWC keeps together — one span of kernel·c_in bytes,
/// clipped at the borders (the clipped part is padding).
static inline void im2col_row_dense(const qk_conv_shape *s, const uint8_t *xi, int oy, int ox, uint8_t pad,
                                    uint8_t *restrict row) {
  const int kk = s->kernel, span = kk * s->c_in;
  const int ix0 = ox * s->stride - s->pad;
  const int lo = ix0 < 0 ? -ix0 : 0, hi = ix0 + kk > s->w ? s->w - ix0 : kk;
  for (int ky = 0; ky < kk; ky++, row += span) {
    const int iy = oy * s->stride - s->pad + ky;
    if (iy < 0 || iy >= s->h || hi <= lo) {
      memset(row, pad, (size_t)span);
      continue;
    }
    memset(row, pad, (size_t)lo * s->c_in);
    memcpy(row + lo * s->c_in, xi + ((long)iy * s->w + ix0 + lo) * s->c_in, (size_t)(hi - lo) * s->c_in);
    memset(row + hi * s->c_in, pad, (size_t)(kk - hi) * s->c_in);
  }
}

/// The general row: groups, then kernel taps, then the group's channels.
static inline void im2col_row_groups(const qk_conv_shape *s, const uint8_t *xi, int oy, int ox, uint8_t pad,
                                     uint8_t *restrict row) {
  const int cg = s->c_in / s->groups, kk = s->kernel;
  for (int g = 0; g < s->groups; g++)
    for (int ky = 0; ky < kk; ky++) {
      const int iy = oy * s->stride - s->pad + ky;
      for (int kx = 0; kx < kk; kx++, row += cg) {
        const int ix = ox * s->stride - s->pad + kx;
        if (iy < 0 || iy >= s->h || ix < 0 || ix >= s->w) {
          for (int ci = 0; ci < cg; ci++) row[ci] = pad;
        } else {
          // Short copies inline: a memcpy call per tap costs more than the copy.
          const uint8_t *restrict src = xi + ((long)iy * s->w + ix) * s->c_in + g * cg;
          for (int ci = 0; ci < cg; ci++) row[ci] = src[ci];
        }
      }
    }
}

/// Copies n bytes (n small and known only at run time): a memcpy call per span costs more than a
/// 9- or 96-byte copy itself. The empty asm hides the index from the optimizer, which would
/// otherwise recognize the loop as a memcpy and call the library for every span — that call was
/// 40 % of the time of im2col on a 32-channel 3×3 convolution.
static inline __attribute__((always_inline)) void copy_span(uint8_t *restrict dst, const uint8_t *restrict src,
                                                            int n) {
  int i = 0;
  for (; i + 32 <= n; i += 32) {
    __asm__("" : "+r"(i));
    memcpy(dst + i, src + i, 32);
  }
  for (; i + 16 <= n; i += 16) {
    __asm__("" : "+r"(i));
    memcpy(dst + i, src + i, 16);
  }
  for (; i < n; i++) dst[i] = src[i];
}

/// Zeroes n bytes (a row's few bytes of k padding): inline, like copy_span, not a memset call per row.
static inline __attribute__((always_inline)) void zero_span(uint8_t *dst, long n) {
  for (long i = 0; i < n; i++) {
    __asm__("" : "+r"(i));
    dst[i] = 0;
  }
}

/// groups == 1: the image is padded once (pad value all around), after which every kernel row of
/// every output position is one unclipped span of kernel·c_in bytes.
static inline __attribute__((always_inline)) void im2col_padded(const qk_conv_shape *s, const uint8_t *x, uint8_t pad, uint8_t *col, int ldcol,
                          uint8_t *padded) {
  // The shape in locals: the stores into col could alias *s as far as the compiler knows, and it
  // would reload every field for every output position (most of the time of a 1-channel layer).
  const int kk = s->kernel, cin = s->c_in, span = kk * cin, stride = s->stride, out_h = s->out_h, out_w = s->out_w;
  const int hp = s->h + 2 * s->pad, wp = s->w + 2 * s->pad;
  const long image = (long)s->h * s->w * cin, row_len = (long)kk * span;
  if (s->pad > 0) memset(padded, pad, (size_t)hp * wp * cin);
  for (int img = 0; img < s->n; img++) {
    const uint8_t *xi = x + img * image, *src = xi;
    long src_w = s->w;
    if (s->pad > 0) {
      // The border stays at the pad value from the memset above; only the interior changes per image.
      for (int y = 0; y < s->h; y++)
        memcpy(padded + (((long)(y + s->pad) * wp) + s->pad) * cin, xi + (long)y * s->w * cin, (size_t)s->w * cin);
      src = padded;
      src_w = wp;
    }
    for (int oy = 0; oy < out_h; oy++)
      for (int ox = 0; ox < out_w; ox++) {
        uint8_t *row = col + (((long)img * out_h + oy) * out_w + ox) * ldcol;
        const uint8_t *base = src + ((long)oy * stride * src_w + (long)ox * stride) * cin;
        if (kk == 3 && cin == 1) {
          const uint8_t *r0 = base, *r1 = base + src_w, *r2 = base + 2 * src_w;
          row[0] = r0[0]; row[1] = r0[1]; row[2] = r0[2];
          row[3] = r1[0]; row[4] = r1[1]; row[5] = r1[2];
          row[6] = r2[0]; row[7] = r2[1]; row[8] = r2[2];
        } else {
          for (int ky = 0; ky < kk; ky++) copy_span(row + ky * span, base + (long)ky * src_w * cin, span);
        }
        if (ldcol > row_len) zero_span(row + row_len, ldcol - row_len);
      }
  }
}

QK_MULTIVERSION void qk_im2col_u8(const qk_conv_shape *s, const uint8_t *x, uint8_t pad_value, uint8_t *col,
                                  int ldcol) {
  const int kk = s->kernel;
  const long row_len = (long)s->groups * kk * kk * (s->c_in / s->groups);
  if (s->groups == 1) {
    const size_t bytes = (size_t)(s->h + 2 * s->pad) * (s->w + 2 * s->pad) * s->c_in;
    uint8_t stack[16384];
    uint8_t *padded = s->pad == 0 ? NULL : bytes <= sizeof stack ? stack : malloc(bytes);
    if (s->pad == 0 || padded) {
      im2col_padded(s, x, pad_value, col, ldcol, padded);
      if (padded != stack) free(padded);
      return;
    }
  }
  for (int img = 0; img < s->n; img++) {
    const uint8_t *xi = x + (long)img * s->h * s->w * s->c_in;
    for (int oy = 0; oy < s->out_h; oy++)
      for (int ox = 0; ox < s->out_w; ox++) {
        uint8_t *row = col + (((long)img * s->out_h + oy) * s->out_w + ox) * ldcol;
        if (s->groups == 1) {
          im2col_row_dense(s, xi, oy, ox, pad_value, row);
        } else {
          im2col_row_groups(s, xi, oy, ox, pad_value, row);
        }
        if (ldcol > row_len) memset(row + row_len, 0, (size_t)(ldcol - row_len));
      }
  }
}

/// The common 2×2 stride-2 window: the general loop's per-window overhead was 16 % of Net B's
/// integer inference.
static inline __attribute__((always_inline)) void maxpool_u8_2x2(const uint8_t *restrict x, int n, int h, int w,
                                                                 int c, int out_h, int out_w, uint8_t *restrict y) {
  for (int img = 0; img < n; img++)
    for (int oy = 0; oy < out_h; oy++) {
      const uint8_t *restrict top = x + ((long)img * h + 2 * oy) * w * c, *restrict bottom = top + (long)w * c;
      uint8_t *restrict yo = y + ((long)img * out_h + oy) * out_w * c;
      for (int ox = 0; ox < out_w; ox++) {
        const uint8_t *a = top + 2L * ox * c, *b = bottom + 2L * ox * c;
        uint8_t *o = yo + (long)ox * c;
        int ch = 0;
        for (; ch + 16 <= c; ch += 16) {
          v16u8 p, q, r, t;
          memcpy(&p, a + ch, 16);
          memcpy(&q, a + c + ch, 16);
          memcpy(&r, b + ch, 16);
          memcpy(&t, b + c + ch, 16);
          const v16u8 m = __builtin_elementwise_max(__builtin_elementwise_max(p, q), __builtin_elementwise_max(r, t));
          memcpy(o + ch, &m, 16);
        }
        for (; ch < c; ch++) {
          const uint8_t p = a[ch] > a[c + ch] ? a[ch] : a[c + ch], q = b[ch] > b[c + ch] ? b[ch] : b[c + ch];
          o[ch] = p > q ? p : q;
        }
      }
    }
}

QK_MULTIVERSION void qk_maxpool_u8(const uint8_t *restrict x, int n, int h, int w, int c, int kernel, int stride,
                                   int out_h, int out_w, uint8_t *restrict y) {
  if (kernel == 2 && stride == 2) {
    maxpool_u8_2x2(x, n, h, w, c, out_h, out_w, y);
    return;
  }
  for (int img = 0; img < n; img++) {
    const uint8_t *xi = x + (long)img * h * w * c;
    for (int oy = 0; oy < out_h; oy++)
      for (int ox = 0; ox < out_w; ox++) {
        uint8_t *restrict yo = y + (((long)img * out_h + oy) * out_w + ox) * c;
        const uint8_t *restrict x0 = xi + ((long)(oy * stride) * w + ox * stride) * c;
        int ch = 0;
        // 16 channels at a time in a register (the usual widths are multiples of 16), the rest one by one.
        for (; ch + 16 <= c; ch += 16) {
          v16u8 m;
          memcpy(&m, x0 + ch, 16);
          for (int ky = 0; ky < kernel; ky++)
            for (int kx = 0; kx < kernel; kx++) {
              v16u8 v;
              memcpy(&v, x0 + ((long)ky * w + kx) * c + ch, 16);
              m = __builtin_elementwise_max(m, v);
            }
          memcpy(yo + ch, &m, 16);
        }
        for (; ch < c; ch++) {
          uint8_t m = x0[ch];
          for (int ky = 0; ky < kernel; ky++)
            for (int kx = 0; kx < kernel; kx++) {
              const uint8_t v = x0[((long)ky * w + kx) * c + ch];
              m = v > m ? v : m;
            }
          yo[ch] = m;
        }
      }
  }
}

/// sum / d rounded to nearest, ties to even (d > 0): the rounding of a float mean quantized with
/// nearbyint, which is what ONNX Runtime's QLinearAveragePool does, so exported files agree.
static inline int64_t rdiv(int64_t sum, int64_t d) {
  int64_t q = sum / d, r = sum % d;
  if (r < 0) {
    r += d;
    q -= 1;
  }
  if (2 * r > d || (2 * r == d && (q & 1))) q += 1;
  return q;
}

QK_MULTIVERSION void qk_avgpool_u8(const uint8_t *restrict x, int n, int h, int w, int c, int kernel, int stride,
                                   int out_h, int out_w, int32_t zero, uint8_t *restrict y) {
  enum { BLOCK = 256 };
  int32_t sum[BLOCK];
  const int32_t d = kernel * kernel;
  for (int img = 0; img < n; img++) {
    const uint8_t *xi = x + (long)img * h * w * c;
    for (int oy = 0; oy < out_h; oy++)
      for (int ox = 0; ox < out_w; ox++) {
        uint8_t *restrict yo = y + (((long)img * out_h + oy) * out_w + ox) * c;
        for (int c0 = 0; c0 < c; c0 += BLOCK) {
          const int width = c - c0 < BLOCK ? c - c0 : BLOCK;
          for (int ch = 0; ch < width; ch++) sum[ch] = 0;
          for (int ky = 0; ky < kernel; ky++)
            for (int kx = 0; kx < kernel; kx++) {
              const uint8_t *restrict xp = xi + ((long)(oy * stride + ky) * w + ox * stride + kx) * c + c0;
              for (int ch = 0; ch < width; ch++) sum[ch] += xp[ch];
            }
          // Σ (x − zero) = Σ x − d·zero; the rounded mean of bytes stays within [0, 255].
          for (int ch = 0; ch < width; ch++)
            yo[c0 + ch] = qk_clamp_u8(zero + rdiv(sum[ch] - (int64_t)d * zero, d), 0, 255);
        }
      }
  }
}

QK_MULTIVERSION void qk_global_avgpool_u8(const uint8_t *restrict x, int n, int positions, int c, int32_t zero,
                                          uint8_t *restrict y) {
  enum { BLOCK = 256 };
  int64_t sum[BLOCK];
  for (int img = 0; img < n; img++) {
    const uint8_t *xi = x + (long)img * positions * c;
    for (int c0 = 0; c0 < c; c0 += BLOCK) {
      const int width = c - c0 < BLOCK ? c - c0 : BLOCK;
      for (int ch = 0; ch < width; ch++) sum[ch] = 0;
      for (int p = 0; p < positions; p++) {
        const uint8_t *restrict xp = xi + (long)p * c + c0;
        for (int ch = 0; ch < width; ch++) sum[ch] += xp[ch];
      }
      for (int ch = 0; ch < width; ch++) {
        // An empty window (positions 0) averages to real 0: the zero point.
        int64_t q = zero;
        if (positions > 0) {
          q += rdiv(sum[ch] - (int64_t)positions * zero, positions);
        }
        y[(long)img * c + c0 + ch] = qk_clamp_u8(q, 0, 255);
      }
    }
  }
}
