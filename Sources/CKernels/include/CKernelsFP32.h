// CKernels, fp32 part: the kernels of the fp32 engine (training and fake-quantized evaluation),
// implemented in fp32/. Variants, conventions and qk_conv_shape: CKernels.h.

#ifndef CKERNELS_FP32_H
#define CKERNELS_FP32_H

#include <stdint.h>
#include "CKernels.h"

#ifdef __cplusplus
extern "C" {
#endif

/// C = beta·C + op(A)·op(B), with C m×n (row stride ldc), op(A) m×k, op(B) k×n.
/// op(A) = A (m×k, stride lda) when trans_a == 0, or Aᵀ where A is k×m (stride lda).
/// op(B) = B (k×n, stride ldb) when trans_b == 0, or Bᵀ where B is n×k (stride ldb).
/// beta is 0 (C is overwritten; its old contents may be NaN) or 1 (accumulate).
/// k == 0 with beta 0 writes zeros. Every variant sums over k in increasing order per block, but
/// variants may differ in the last bits; each one is deterministic.
void qk_sgemm(qk_variant v, int trans_a, int trans_b, int m, int n, int k,
              const float *a, int lda, const float *b, int ldb,
              float beta, float *c, int ldc);

/// This CPU's register-only fp32 FMA rate in GFLOP/s (16 independent 512-bit chains for `iterations`
/// rounds), for the benchmark to print beside its figures; 0 without AVX-512.
double qk_fp32_peak_probe(int64_t iterations);

/// Lowers the input to columns: col is (n·out_h·out_w) × (groups · kernel·kernel·c_in/groups), each row
/// ordered (group, kh, kw, ci) so that one group's columns are contiguous. Padding reads as zero.
void qk_im2col_nhwc(const qk_conv_shape *s, const float *x, float *col);
/// The adjoint of qk_im2col_nhwc: dx (n·h·w·c_in) is overwritten with the sum of col's entries
/// that came from each input element (padding entries are dropped).
void qk_col2im_nhwc(const qk_conv_shape *s, const float *col, float *dx);

/// Depthwise convolution (groups = c_in = c_out), computed directly; weights [channel][kh][kw] (the
/// per-group layout of a depthwise conv), bias per channel; y (NHWC) is overwritten. `work` holds
/// 2·c_in·kernel·kernel floats of scratch.
void qk_depthwise_forward(const qk_conv_shape *s, const float *x, const float *w, const float *bias, float *y,
                          float *work);
/// Its backward pass: dw is overwritten with Σ over positions (in order) of x·dy; dx (may be NULL) with
/// the input gradient. `work` as for the forward pass.
void qk_depthwise_backward(const qk_conv_shape *s, const float *x, const float *w, const float *dy, float *dw,
                           float *dx, float *work);

/// Direct convolution for few input channels (one group; any kernel, stride, padding), for inference:
/// y = act(conv(x) + bias) over s->n NHWC images (fp32/conv_narrow.c). Weights as for the GEMM
/// ([(kh·k + kw)·c_in + ci] × c_out); `work` holds qk_conv_narrow_work_floats(s) floats (one padded
/// image). QK_AVX512 equals im2col + the AVX-512 GEMM + qk_bias_activation_rows bit for bit; the other
/// variants run plain loops.
int64_t qk_conv_narrow_work_floats(const qk_conv_shape *s);
void qk_conv_narrow(qk_variant v, const qk_conv_shape *s, const float *x, const float *w, const float *bias,
                    float relu_cap, float *y, float *work);

/// Winograd F(2×2, 3×3) for 3×3 convolutions of stride 1 and padding 1 (one group), fp32/winograd.c.
/// The weights transformed once: u (16·c_in·c_out floats, [ξ][ci][co]) from w, the conv's
/// [(kh·3 + kw)·c_in + ci] × c_out matrix.
void qk_winograd_weights(const float *w, int c_in, int c_out, float *u);
/// Tiles (2×2 outputs) per block, and the floats of `work` either direction needs for c_in ↔ c_out
/// (symmetric in the two).
int qk_winograd_tile_block(int c_in, int c_out);
int64_t qk_winograd_work_floats(int c_in, int c_out);
/// y = act(conv(x) + bias) over n NHWC images of h×w (y is n·h·w·c_out; bias may be NULL); relu_cap as
/// for qk_bias_activation_rows. The GEMMs run in `v`'s qk_sgemm. Differs from the direct convolution
/// in the last bits (other sums, rounded transforms).
void qk_winograd_conv3x3(qk_variant v, int n, int h, int w, int c_in, int c_out, const float *x, const float *u,
                         const float *bias, float relu_cap, float *y, float *work);
/// The input gradient of that convolution: dx (n·h·w·c_in) from dy (n·h·w·c_out), with the same u.
void qk_winograd_conv3x3_adjoint(qk_variant v, int n, int h, int w, int c_in, int c_out, const float *dy,
                                 const float *u, float *dx, float *work);
/// Its weight gradient: dw (9·c_in·c_out, the conv's weight layout) is overwritten with Σ over the n
/// images of x ⋆ dy, summed tile block by tile block (fp32/winograd_gradient.c). `work` holds
/// qk_winograd_weight_gradient_work_floats(c_in, c_out) floats.
int64_t qk_winograd_weight_gradient_work_floats(int c_in, int c_out);
void qk_winograd_conv3x3_weight_gradient(qk_variant v, int n, int h, int w, int c_in, int c_out, const float *x,
                                         const float *dy, float *dw, float *work);

/// y[r][c] += bias[c] for r < rows, c < cols.
void qk_add_bias_rows(float *y, int rows, int cols, const float *bias);
/// db[c] (+)= Σ_r dy[r][c], summed in increasing r; overwrites db when accumulate == 0.
void qk_sum_rows(const float *dy, int rows, int cols, float *db, int accumulate);

/// Pooling over NHWC. Max pooling records, for every output, the flat input index (within the batch
/// the call covers) of the maximum — the first one on ties — for the backward pass; pass NULL for
/// argmax when no backward pass follows (evaluation).
void qk_maxpool_forward(const float *x, int n, int h, int w, int c, int kernel, int stride,
                        int out_h, int out_w, float *y, int32_t *argmax);
/// dx (n·h·w·c) is overwritten: zero, plus dy routed to each output's recorded maximum.
void qk_maxpool_backward(const float *dy, const int32_t *argmax, int outputs, int inputs, float *dx);
void qk_avgpool_forward(const float *x, int n, int h, int w, int c, int kernel, int stride,
                        int out_h, int out_w, float *y);
/// dx (n·h·w·c) is overwritten.
void qk_avgpool_backward(const float *dy, int n, int h, int w, int c, int kernel, int stride,
                         int out_h, int out_w, float *dx);

/// Batch normalization over rows × channels (NHWC flattened to rows of c).
/// Partial sums of one chunk: sum[c] = Σ x, sumsq[c] = Σ x², accumulated in double, rows in order.
void qk_bn_partial_stats(const float *x, int rows, int c, double *sum, double *sumsq);
/// y = (x − mean)·invstd·gamma + beta per channel; xhat (may be NULL) receives (x − mean)·invstd.
/// relu_cap applies a following ReLU in the same pass: negative for none, 0 for ReLU, > 0 for a
/// ReLU capped there (ReLU6) — bit-identical to qk_relu_forward on the result.
void qk_bn_apply(const float *x, int rows, int c, const float *mean, const float *invstd,
                 const float *gamma, const float *beta, float *y, float *xhat, float relu_cap);
/// Partial sums for the backward pass: sum_dy[c] = Σ dy, sum_dy_xhat[c] = Σ dy·xhat (double, in order).
void qk_bn_backward_partial(const float *dy, const float *xhat, int rows, int c,
                            double *sum_dy, double *sum_dy_xhat);
/// dx = gamma·invstd·(dy − mean_dy − xhat·mean_dy_xhat), the batch means given per channel.
void qk_bn_backward_apply(const float *dy, const float *xhat, int rows, int c, const float *gamma,
                          const float *invstd, const float *mean_dy, const float *mean_dy_xhat, float *dx);

/// y = min(max(x, 0), cap) for cap > 0, or max(x, 0) when cap <= 0 (count elements).
void qk_relu_forward(const float *x, int64_t count, float cap, float *y);
/// dx = dy where 0 < y (and y < cap when cap > 0), else 0; computed from the layer's output y.
void qk_relu_backward(const float *dy, const float *y, int64_t count, float cap, float *dx);
/// The inference path's fused epilogues. relu_cap: negative for no activation, 0 for ReLU, > 0 for a
/// ReLU capped there (ReLU6); each equals its separate passes bit for bit.
/// y[r][c] = act(y[r][c] + bias[c]) for a rows×cols row-major matrix.
void qk_bias_activation_rows(float *y, int64_t rows, int cols, const float *bias, float relu_cap);
/// y[i] = act(a[i] + b[i]) (a residual add and the ReLU after it).
void qk_add_activation(const float *a, const float *b, int64_t count, float relu_cap, float *y);
/// y[r][c] = act(x[r][c]·scale[c] + offset[c]) (a batch norm in evaluation that could not be folded).
void qk_affine_activation_rows(const float *x, int64_t rows, int cols, const float *scale, const float *offset,
                               float relu_cap, float *y);

// ---- Quantization (fp32/quantize.c) ----
/// Fake quantization per tensor, PyTorch's arithmetic bit for bit: q = nearbyint(x·inv_scale) + zp in
/// float32 (ties to even), y = (clamp(q, qmin, qmax) − zp)·scale. inv_scale must be 1.0f/scale. When
/// mask is not NULL, mask[i] = 1 where qmin ≤ q ≤ qmax (the straight-through estimator passes), else 0.
void qk_fake_quant(const float *x, int64_t count, float scale, float inv_scale, int32_t zero_point,
                   int32_t qmin, int32_t qmax, float *y, uint8_t *mask);
/// The same per column of a rows×cols row-major matrix (column c uses scale[c], inv_scale[c], zero_point[c]).
void qk_fake_quant_columns(const float *x, int64_t rows, int64_t cols, const float *scale, const float *inv_scale,
                           const int32_t *zero_point, int32_t qmin, int32_t qmax, float *y, uint8_t *mask);
/// y[r][c] = y[r][c] / divisor[c] (+ bias[c] when bias is not NULL), for a rows×cols row-major matrix:
/// the QAT batch-norm fold's division of a layer's output (and of its gradient) by γ/σ.
void qk_divide_columns(float *y, int64_t rows, int64_t cols, const float *divisor, const float *bias);
/// g[i] = 0 where mask[i] == 0 (the straight-through estimator's backward).
void qk_mask_multiply(float *g, const uint8_t *mask, int64_t count);
/// 1 when none of count values is NaN or infinite, else 0.
int qk_all_finite(const float *x, int64_t count);
/// The smallest and largest of count values (+inf and −inf when count is 0; NaNs are skipped).
void qk_min_max(const float *x, int64_t count, float *min_out, float *max_out);
/// Adds count values to a histogram of `bins` equal bins over [lower, upper] (torch.histc's rule:
/// bin = ⌊(x − lower)·bins/(upper − lower)⌋, the upper edge in the last bin; values outside are
/// skipped; when upper == lower every value goes to bin 0; infinite or NaN bounds count nothing).
void qk_histogram(const float *x, int64_t count, float lower, float upper, int32_t bins, int64_t *counts);

#ifdef __cplusplus
}
#endif

#endif
