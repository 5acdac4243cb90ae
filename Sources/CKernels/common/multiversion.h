// Internal: element-wise kernels are compiled twice — for AVX-512 and for any x86-64 (or the
// native default elsewhere) — and the dynamic loader picks the clone the CPU runs (an ifunc,
// resolved once at load time), so no -march flag is ever needed.
#ifndef CKERNELS_MULTIVERSION_H
#define CKERNELS_MULTIVERSION_H

#if defined(__x86_64__) && defined(__clang__) && defined(__linux__)
#define QK_MULTIVERSION __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define QK_MULTIVERSION
#endif

#endif
