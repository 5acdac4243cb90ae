// Internal: the packed-B layout shared by every integer GEMM variant, the per-variant entry points
// behind qk_qgemm_u8 / qk_qgemm_s32 / qk_qdepthwise, and the scalar requantization they agree on.
//
// Packed B: ⌈n/16⌉ panels of 16 columns, one after another; a panel is ⌈k/4⌉ groups of 64 bytes, and a
// group holds, for each of its 16 columns in order, 4 consecutive k entries of that column. So one
// 64-byte load is exactly the operand `vpdpbusd` multiplies by 4 broadcast bytes of an A row. Entries
// past n are zero. When k % 4 = rem ≠ 0 the last group is right-aligned: its bytes 4 − rem … 3 hold
// p = k − rem … k − 1 and bytes 0 … 3 − rem are zero, so that (for k ≥ 4) the A bytes k − 4 … k − 1 — the
// last 4 of the row, read as one plain 4-byte load — multiply it: the bytes read twice meet zeros.
#ifndef CKERNELS_INT8_INTERNAL_H
#define CKERNELS_INT8_INTERNAL_H

#include <stdint.h>
#include "CKernelsInt8.h"

enum { QK_PANEL = 16, QK_GROUP = 4, QK_GROUP_BYTES = QK_PANEL * QK_GROUP };

static inline long qk_k_groups(int k) { return (k + QK_GROUP - 1) / QK_GROUP; }
/// Bytes from one panel to the next.
static inline long qk_panel_bytes(int k) { return qk_k_groups(k) * QK_GROUP_BYTES; }
/// Where B[p][j] lives in the packed matrix.
static inline long qk_packed_index(int k, int p, int j) {
  const int rem = k % QK_GROUP, last = p / QK_GROUP == k / QK_GROUP;  // p in the partial group
  const int t = p % QK_GROUP + (last ? QK_GROUP - rem : 0);
  return (j / QK_PANEL) * qk_panel_bytes(k) + (p / QK_GROUP) * QK_GROUP_BYTES + (j % QK_PANEL) * QK_GROUP + t;
}

/// One output element of the requantization formula, overflow-free for every int32 acc and bias,
/// multiplier in [0, 2^31) and shift in [1, 62]: with p = (acc + bias)·multiplier (|p| < 2^63),
/// ⌊(p + 2^(s−1)) / 2^s⌋ = ⌊(⌊p / 2^(s−1)⌋ + 1) / 2⌋, which never forms p + 2^(s−1) (that sum can
/// exceed INT64_MAX). The vector epilogues use the same identity lane by lane.
static inline int64_t qk_round_shift(int64_t p, int32_t shift) { return ((p >> (shift - 1)) + 1) >> 1; }

static inline uint8_t qk_clamp_u8(int64_t v, int32_t low, int32_t high) {
  return (uint8_t)(v < low ? low : v > high ? high : v);
}

static inline uint8_t qk_requant_one(int32_t acc, const qk_requant *rq, int c) {
  const int64_t bias = rq->bias ? rq->bias[c] : 0;
  const int64_t p = ((int64_t)acc + bias) * rq->multiplier[c];
  return qk_clamp_u8(rq->zero_point + qk_round_shift(p, rq->shift[c]), rq->low, rq->high);
}

// The GEMM variants. rq != NULL: C is uint8, requantized by rq (bias from rq). rq == NULL: C is the
// int32 accumulators plus `bias` (may be NULL). m, n, k > 0 (the dispatcher handles empty products).
void qk_qgemm_reference(int m, int n, int k, const uint8_t *a, int lda, const int8_t *packed,
                        const qk_requant *rq, const int32_t *bias, void *c, int ldc);
void qk_qgemm_portable(int m, int n, int k, const uint8_t *a, int lda, const int8_t *packed,
                       const qk_requant *rq, const int32_t *bias, void *c, int ldc);
void qk_qgemm_vnni(int m, int n, int k, const uint8_t *a, int lda, const int8_t *packed,
                   const qk_requant *rq, const int32_t *bias, void *c, int ldc);
/// qk_qgemm_vnni (u8 output) with each row's k bytes in `segments` runs of k/segments bytes (a multiple
/// of 4), run s starting seg_stride·s bytes after the row's start: a convolution read in place.
void qk_qgemm_vnni_segmented(int m, int n, int k, int segments, long seg_stride, const uint8_t *a, int lda,
                             const int8_t *packed, const qk_requant *rq, uint8_t *c, int ldc);

// The depthwise variants (same contract as qk_qdepthwise).
void qk_qdepthwise_reference(const qk_conv_shape *s, const uint8_t *x, int32_t x_zero, const int8_t *w,
                             const qk_requant *rq, uint8_t *y);
void qk_qdepthwise_portable(const qk_conv_shape *s, const uint8_t *x, int32_t x_zero, const int8_t *w,
                            const qk_requant *rq, uint8_t *y);
/// Needs AVX-512 F/BW only (no VNNI).
void qk_qdepthwise_avx512(const qk_conv_shape *s, const uint8_t *x, int32_t x_zero, const int8_t *w,
                          const qk_requant *rq, uint8_t *y);

#endif
