// CKernels, integer part: the kernels of the integer-only inference path (SPEC §5.5), implemented in int8/.
//
// Activations are unsigned 8-bit containers (any width ≤ 8 bits, with a zero point), weights signed
// 8-bit containers (symmetric, zero point 0), accumulation in int32, requantization by a fixed-point
// multiplier (Jacob et al. 2018). Layout: NHWC, as the fp32 kernels.
//
// Variants, as for the fp32 kernels: QK_REFERENCE (plain loops, the definition), QK_PORTABLE (plain C
// any compiler vectorizes) and QK_AVX512, which for these kernels means AVX-512 VNNI (`vpdpbusd`,
// u8 × s8 → s32, non-saturating) and falls back to QK_PORTABLE on a CPU without VNNI. Every variant gives
// exactly the same result: everything here is integer arithmetic.

#ifndef CKERNELS_INT8_H
#define CKERNELS_INT8_H

#include <stdint.h>
#include "CKernels.h"

#ifdef __cplusplus
extern "C" {
#endif

/// 1 when the CPU (and OS) run AVX-512 F/BW/VL and VNNI, so QK_AVX512 integer kernels use `vpdpbusd`.
int qk_cpu_has_avx512_vnni(void);

/// Requantization of int32 accumulators to the output's n-bit grid, one multiplier per output channel:
///   out = clamp(zero_point + ((acc + bias[c])·multiplier[c] + 2^(shift[c]−1)) >> shift[c], low, high)
/// evaluated exactly in 64-bit integers (>> is arithmetic, so a tie rounds towards +∞), where the real
/// factor is M = multiplier·2^−shift, multiplier in [0, 2^31), shift in [1, 62].
/// low/high (0 ≤ low ≤ high ≤ 255) fold the output range [qmin, qmax] and a ReLU/ReLU6 clamp into one.
typedef struct {
  const int32_t *bias;        // per output channel (NULL: zero)
  const int32_t *multiplier;  // per output channel
  const int32_t *shift;       // per output channel
  int32_t zero_point;
  int32_t low, high;
} qk_requant;

/// Bytes needed for a k × n int8 matrix B packed for qk_qgemm_*: the layout is private to the kernels
/// (padded and interleaved for `vpdpbusd`), the same for every variant.
int64_t qk_qgemm_packed_size(int k, int n);
/// Packs B (k × n, row-major, row stride ldb) into `packed` (qk_qgemm_packed_size bytes; padding zeroed).
/// Keep `packed` 64-byte aligned for speed: the kernels read it 64 bytes at a time, and a read that
/// straddles two cache lines costs two (up to 15 % on long products); any alignment is correct.
void qk_qgemm_pack(int k, int n, const int8_t *b, int ldb, int8_t *packed);

/// C = requant(A·B): A is m × k uint8 (row stride lda; exactly k bytes of each row are read), B packed
/// by qk_qgemm_pack, C m × n uint8 (row stride ldc). m, n, k ≥ 0 (k = 0: every accumulator is 0).
void qk_qgemm_u8(qk_variant v, int m, int n, int k, const uint8_t *a, int lda, const int8_t *packed,
                 const qk_requant *rq, uint8_t *c, int ldc);
/// The raw accumulators: C = A·B (+ bias[j] when bias is not NULL), C m × n int32 (row stride ldc).
void qk_qgemm_s32(qk_variant v, int m, int n, int k, const uint8_t *a, int lda, const int8_t *packed,
                  const int32_t *bias, int32_t *c, int ldc);
/// Requantizes rows × n accumulators (row stride ld_acc) into out (row stride ld_out), the formula above.
void qk_requantize(const int32_t *acc, int rows, int n, int ld_acc, const qk_requant *rq, uint8_t *out, int ld_out);

/// Lowers uint8 NHWC input to columns exactly as qk_im2col_nhwc does for floats (row = output
/// position, columns ordered group, kh, kw, ci), except that padding reads as `pad_value` (the input's
/// zero point, i.e. real 0) and rows are `ldcol` bytes apart (ldcol ≥ the column count; the bytes
/// between are set to 0).
void qk_im2col_u8(const qk_conv_shape *s, const uint8_t *x, uint8_t pad_value, uint8_t *col, int ldcol);

/// 1 when qk_qconv_direct can run this convolution: AVX-512 VNNI, stride 1, one group, c_in a multiple
/// of 4 (each kernel row's bytes are whole 4-byte groups).
int qk_qconv_direct_supported(const qk_conv_shape *s);
/// Scratch bytes qk_qconv_direct needs (for any number of images: it works one image at a time).
int64_t qk_qconv_direct_scratch(const qk_conv_shape *s);
/// The convolution y = requant(conv(x, W)) read in place (no im2col), for a shape
/// qk_qconv_direct_supported accepts: x is s->n NHWC uint8 images, padding reads as pad_value, W is
/// packed by qk_qgemm_pack as the k × c_out matrix im2col's columns multiply (k = kernel²·c_in, rows
/// ordered ky, kx, ci), y is s->n NHWC uint8 outputs. Bit-identical to qk_im2col_u8 + qk_qgemm_u8.
void qk_qconv_direct(const qk_conv_shape *s, const uint8_t *x, uint8_t pad_value, const int8_t *packed,
                     const qk_requant *rq, uint8_t *y, uint8_t *scratch);

/// Depthwise convolution (groups = c_in = c_out) over uint8 NHWC:
///   acc[c] = Σ over the window of (x − x_zero)·w[kh][kw][c]   (padding contributes 0)
/// then requantized per channel with rq. Weights int8 in [kh][kw][c] order. y (NHWC) is overwritten.
void qk_qdepthwise(qk_variant v, const qk_conv_shape *s, const uint8_t *x, int32_t x_zero, const int8_t *w,
                   const qk_requant *rq, uint8_t *y);

/// Max pooling over uint8 NHWC (the grid is monotonic, so the maximum of the integers is exact).
void qk_maxpool_u8(const uint8_t *x, int n, int h, int w, int c, int kernel, int stride, int out_h, int out_w,
                   uint8_t *y);
/// Average pooling over uint8 NHWC on one grid: y = zero + rdiv(Σ (x − zero), kernel²), rdiv rounding
/// to nearest with ties to even (as ONNX Runtime's QLinearAveragePool rounds).
void qk_avgpool_u8(const uint8_t *x, int n, int h, int w, int c, int kernel, int stride, int out_h, int out_w,
                   int32_t zero, uint8_t *y);
/// Global average pooling: [n][positions][c] → [n][c], y = zero + rdiv(Σ (x − zero), positions).
void qk_global_avgpool_u8(const uint8_t *x, int n, int positions, int c, int32_t zero, uint8_t *y);

/// A residual add rescaled in integers: with both inputs' real values a ≈ (qa − za)·sa, b ≈ (qb − zb)·sb
/// and ma·2^−shift = sa/s_out, mb·2^−shift = sb/s_out,
///   y = clamp(zo + ((qa − za)·ma + (qb − zb)·mb + 2^(shift−1)) >> shift, low, high)   (64-bit exact).
/// ma, mb in [0, 2^31); shift in [1, 62].
void qk_qadd_u8(const uint8_t *a, int32_t za, int32_t ma, const uint8_t *b, int32_t zb, int32_t mb,
                int32_t shift, int32_t zo, int32_t low, int32_t high, int64_t count, uint8_t *y);

/// A per-channel affine map between grids (a batch norm on its own, a ReLU6 that needs a new grid):
///   y = clamp(zo + ((x − zx)·m[c] + bias[c] + 2^(shift−1)) >> shift, low, high)   (64-bit exact)
/// over rows × c (NHWC flattened); m[c] may be negative, |m[c]| < 2^31; shift in [1, 62].
void qk_qaffine_u8(const uint8_t *x, int64_t rows, int c, int32_t zx, const int32_t *m, const int64_t *bias,
                   int32_t shift, int32_t zo, int32_t low, int32_t high, uint8_t *y);

/// The integer q of fake quantization, bit for bit as qk_fake_quant computes it:
///   y = clamp(nearbyint(x·inv_scale) + zero_point, qmin, qmax) in float32 (ties to even; NaN → qmin),
/// with 0 ≤ qmin ≤ qmax ≤ 255.
void qk_quantize_u8(const float *x, int64_t count, float inv_scale, int32_t zero_point, int32_t qmin, int32_t qmax,
                    uint8_t *y);

/// Benchmark support (added with the kernels): runs `iterations` × 16 independent register-only
/// `vpdpbusd` and returns the rate in GOP/s (2 per multiply-add), this CPU's one-core int8 ceiling;
/// 0 without AVX-512 VNNI.
double qk_int8_peak_probe(int64_t iterations);

#ifdef __cplusplus
}
#endif

#endif
