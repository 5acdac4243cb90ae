// Internal, AVX-512 only: the vector requantization shared by the VNNI GEMM epilogue and the depthwise
// kernel. Include it inside a `#pragma clang attribute push(target(...avx512f,avx512bw...))` region.
//
// The formula folds into one multiply-add and one shift per 64-bit lane:
//   zero_point + ⌊((acc + bias)·M + 2^(s−1)) / 2^s⌋ = ⌊(acc·M + K) / 2^s⌋,  K = bias·M + 2^(s−1) + zero_point·2^s
// which is exact as long as |acc·M + K| < 2^63 and the quotient fits in int32 for every accumulator the
// caller can produce (|acc| ≤ amax): qk_rq_table_fill checks exactly that, per column, in 128-bit
// arithmetic. It holds for any realistic layer (M ≈ 2^30, s ≈ 30–45); when it does not, callers
// requantize those columns with the scalar qk_requant_one instead, so every input stays exact.
// `vpmuldq` multiplies the low 32 bits of each 64-bit lane, so 16 accumulators go in two halves (even
// columns as they are, odd ones shifted down 32 bits); the two int32 halves are merged back into
// column order by one masked `vpshufd`. Four such vectors are then narrowed together with the
// saturating packs (int32 → int16 → uint8, which also clamps to [0, 255]) and one `vpermd`, and
// clamped to [low, high] as bytes.
#ifndef CKERNELS_INT8_AVX512_H
#define CKERNELS_INT8_AVX512_H

#include <immintrin.h>
#include "int8_internal.h"

#define QK_AVX_INLINE static inline __attribute__((always_inline))

/// The per-column constants of up to 64 columns (4 vectors), laid out for aligned vector loads.
typedef struct {
  int32_t m[64];              // multiplier (vpmuldq reads the even ones in place)
  int64_t m_odd[4][8];        // the odd multipliers, one per 64-bit lane
  int64_t k[4][2][8];         // K of the even [0] and odd [1] columns
  int64_t s[4][2][8];         // shift
} __attribute__((aligned(64))) qk_rq_table;

QK_AVX_INLINE __mmask16 qk_mask16(int count) {
  return count >= 16 ? (__mmask16)0xFFFF : count <= 0 ? (__mmask16)0 : (__mmask16)((1u << count) - 1);
}

/// K and the exactness test for one half (even or odd columns) of a vector, in 64-bit lanes: m ∈ [0, 2^31),
/// b the bias (sign-extended), s the shift. Conservative where that keeps the arithmetic in 64 bits:
/// |bias·M| < 2^60 and |zero_point·2^s| < 2^60 make |K| < 2^62; then |acc·M + K| ≤ amax·M + |K| must be
/// below 2^62 and that bound, shifted, below 2^31 − 1. Returns the lanes that pass.
QK_AVX_INLINE __mmask8 qk_rq_half(__m512i m, __m512i b, __m512i s, __m512i zp, __m512i amax, __m512i *k) {
  const __m512i one = _mm512_set1_epi64(1), limit60 = _mm512_set1_epi64((int64_t)1 << 60);
  const __m512i bm = _mm512_mul_epi32(b, m);
  const __m512i zps = _mm512_sllv_epi64(zp, s);
  *k = _mm512_add_epi64(_mm512_add_epi64(bm, zps), _mm512_sllv_epi64(one, _mm512_sub_epi64(s, one)));
  __mmask8 ok = _mm512_cmplt_epu64_mask(_mm512_abs_epi64(bm), limit60);
  ok &= _mm512_cmplt_epu64_mask(_mm512_abs_epi64(zps), limit60);
  ok &= _mm512_cmpeq_epi64_mask(_mm512_srav_epi64(zps, s), zp);  // no bits of zero_point shifted out
  const __m512i bound = _mm512_add_epi64(_mm512_mul_epu32(amax, m), _mm512_abs_epi64(*k));
  ok &= _mm512_cmplt_epu64_mask(bound, _mm512_set1_epi64((int64_t)1 << 62));
  ok &= _mm512_cmplt_epu64_mask(_mm512_srlv_epi64(bound, s), _mm512_set1_epi64(((int64_t)1 << 31) - 2));
  return ok;
}

/// Fills vectors 0 … ⌈cols/16⌉−1 of t for columns j0 … j0+cols−1 of rq (cols ≤ 64; lanes past cols get
/// multiplier 0 and are never stored). Returns 1 when the folded form is exact for every accumulator
/// with |acc| ≤ amax ≤ 2^31, else 0.
QK_AVX_INLINE int qk_rq_table_fill(const qk_requant *rq, int j0, int cols, int64_t amax, qk_rq_table *t) {
  const __m512i low32 = _mm512_set1_epi64(0xFFFFFFFF), zp = _mm512_set1_epi64(rq->zero_point);
  const __m512i amax_v = _mm512_set1_epi64(amax);
  int exact = 1;
  for (int v = 0; 16 * v < cols; v++) {
    const __mmask16 mask = qk_mask16(cols - 16 * v);
    const int j = j0 + 16 * v;
    const __m512i m = _mm512_maskz_loadu_epi32(mask, rq->multiplier + j),
                  s = _mm512_maskz_loadu_epi32(mask, rq->shift + j);
    const __m512i b = rq->bias ? _mm512_maskz_loadu_epi32(mask, rq->bias + j) : _mm512_setzero_si512();
    const __m512i m_even = _mm512_and_si512(m, low32), m_odd = _mm512_srli_epi64(m, 32);
    const __m512i s_even = _mm512_and_si512(s, low32), s_odd = _mm512_srli_epi64(s, 32);
    const __m512i b_even = _mm512_srai_epi64(_mm512_slli_epi64(b, 32), 32), b_odd = _mm512_srai_epi64(b, 32);
    __m512i k_even, k_odd;
    // Lane i of a half is column 2i (+1): the half's valid lanes follow from the column mask.
    const int count = cols - 16 * v < 16 ? cols - 16 * v : 16;
    const __mmask8 want_even = (__mmask8)((1u << (count + 1) / 2) - 1), want_odd = (__mmask8)((1u << count / 2) - 1);
    const __mmask8 ok_even = qk_rq_half(m_even, b_even, s_even, zp, amax_v, &k_even);
    const __mmask8 ok_odd = qk_rq_half(m_odd, b_odd, s_odd, zp, amax_v, &k_odd);
    if ((ok_even & want_even) != want_even || (ok_odd & want_odd) != want_odd) exact = 0;
    _mm512_store_si512(t->m + 16 * v, m);
    _mm512_store_si512(t->m_odd[v], m_odd);
    _mm512_store_si512(t->k[v][0], k_even);
    _mm512_store_si512(t->k[v][1], k_odd);
    _mm512_store_si512(t->s[v][0], s_even);
    _mm512_store_si512(t->s[v][1], s_odd);
  }
  return exact;
}

/// The requantized value of 16 accumulators before clamping (int32, column order), vector v of t.
QK_AVX_INLINE __m512i qk_rq_apply(__m512i acc, const qk_rq_table *t, int v) {
  const __m512i m_even = _mm512_load_si512(t->m + 16 * v), m_odd = _mm512_load_si512(t->m_odd[v]);
  __m512i pe = _mm512_add_epi64(_mm512_mul_epi32(acc, m_even), _mm512_load_si512(t->k[v][0]));
  __m512i po = _mm512_add_epi64(_mm512_mul_epi32(_mm512_srli_epi64(acc, 32), m_odd), _mm512_load_si512(t->k[v][1]));
  pe = _mm512_srav_epi64(pe, _mm512_load_si512(t->s[v][0]));
  po = _mm512_srav_epi64(po, _mm512_load_si512(t->s[v][1]));
  // Dword 2i of po (its lane i's value) into dword 2i+1 of pe.
  return _mm512_mask_shuffle_epi32(pe, 0xAAAA, po, _MM_PERM_CCAA);
}

/// Four vectors of 16 int32 → 64 bytes: x0's 16 clamped values, then x1's, x2's, x3's.
QK_AVX_INLINE __m512i qk_narrow4(__m512i x0, __m512i x1, __m512i x2, __m512i x3, __m512i low, __m512i high) {
  // The packs work within 128-bit lanes: dword 4L + i of the result holds lane L of x_i.
  const __m512i bytes = _mm512_packus_epi16(_mm512_packs_epi32(x0, x1), _mm512_packs_epi32(x2, x3));
  const __m512i order = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
  return _mm512_min_epu8(_mm512_max_epu8(_mm512_permutexvar_epi32(order, bytes), low), high);
}

#endif
