// The register-only `vpdpbusd` ceiling of this CPU, for the benchmark to print beside the NOTES.md
// figure (the host it runs on may not be the machine those were measured on).
#include <immintrin.h>
#include <time.h>
#include "int8_internal.h"

enum { CHAINS = 16 };  // independent accumulators: more than latency × ports on any VNNI core so far

__attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni"))) static int32_t run(int64_t iterations) {
  __m512i acc[CHAINS];
  for (int i = 0; i < CHAINS; i++) acc[i] = _mm512_set1_epi32(i);
  __m512i a = _mm512_set1_epi32(0x01020304), b = _mm512_set1_epi32(0x01FF01FF);
  for (int64_t it = 0; it < iterations; it++) {
    // Opaque to the optimizer, so the loop is neither hoisted nor folded.
    __asm__ volatile("" : "+v"(a), "+v"(b));
#pragma clang loop unroll(full)
    for (int i = 0; i < CHAINS; i++) acc[i] = _mm512_dpbusd_epi32(acc[i], a, b);
  }
  __m512i sum = acc[0];
  for (int i = 1; i < CHAINS; i++) sum = _mm512_add_epi32(sum, acc[i]);
  return _mm512_reduce_add_epi32(sum);
}

double qk_int8_peak_probe(int64_t iterations) {
  if (!qk_cpu_has_avx512_vnni() || iterations <= 0) return 0;
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  volatile int32_t sink = run(iterations);
  (void)sink;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  const double seconds = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
  // Each vpdpbusd: 16 lanes × 4 multiply-adds = 128 operations.
  return seconds > 0 ? (double)iterations * (double)CHAINS * 128 / seconds / 1e9 : 0;
}
