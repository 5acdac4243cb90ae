// The register-only fp32 FMA ceiling of this CPU, for the benchmark to print beside its GEMM and
// convolution rates (hosts of this machine kind differ: a Zen 5 core runs 512-bit FMAs at full
// width, a Zen 4 core double-pumps them).
#include <immintrin.h>
#include <time.h>
#include "CKernels.h"
#include "../common/cpu.h"

enum { CHAINS = 16 };  // independent accumulators: more than FMA latency × ports on any core so far

__attribute__((target("avx512f"))) static float run(int64_t iterations) {
  __m512 acc[CHAINS];
  for (int i = 0; i < CHAINS; i++) acc[i] = _mm512_set1_ps((float)i);
  __m512 a = _mm512_set1_ps(0.999f), b = _mm512_set1_ps(1e-7f);
  for (int64_t it = 0; it < iterations; it++) {
    // Opaque to the optimizer, so the loop is neither hoisted nor folded.
    __asm__ volatile("" : "+v"(a), "+v"(b));
#pragma clang loop unroll(full)
    for (int i = 0; i < CHAINS; i++) acc[i] = _mm512_fmadd_ps(acc[i], a, b);
  }
  __m512 sum = acc[0];
  for (int i = 1; i < CHAINS; i++) sum = _mm512_add_ps(sum, acc[i]);
  return _mm512_reduce_add_ps(sum);
}

double qk_fp32_peak_probe(int64_t iterations) {
  if (!qk_cpu_has_avx512() || iterations <= 0) return 0;
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  volatile float sink = run(iterations);
  (void)sink;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  const double seconds = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
  // Each vfmadd: 16 lanes × 2 operations.
  return seconds > 0 ? (double)iterations * (double)CHAINS * 32 / seconds / 1e9 : 0;
}
