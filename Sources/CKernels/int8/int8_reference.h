// Internal, reference kernels only: the requantization as the header's formula is written, in 128-bit
// integers (no identity needed to avoid overflow), shared by qgemm_reference.c and qdepthwise_reference.c.
#ifndef CKERNELS_INT8_REFERENCE_H
#define CKERNELS_INT8_REFERENCE_H

#include "int8_internal.h"

/// clamp(zero_point + ((acc + bias)·multiplier + 2^(shift−1)) >> shift, low, high).
static inline uint8_t requant_definition(int32_t acc, const qk_requant *rq, int c) {
  const __int128 bias = rq->bias ? rq->bias[c] : 0;
  const __int128 t = (((__int128)acc + bias) * rq->multiplier[c] + ((__int128)1 << (rq->shift[c] - 1))) >> rq->shift[c];
  const __int128 v = rq->zero_point + t;
  return (uint8_t)(v < rq->low ? rq->low : v > rq->high ? rq->high : v);
}

#endif
