// Internal: the CPU checks behind the variant choice (common/cpu.c), for the dispatchers of both families.
// qk_cpu_has_avx512_vnni, which the benchmark also calls, is public (CKernelsInt8.h).
#ifndef CKERNELS_CPU_H
#define CKERNELS_CPU_H

/// 1 when the CPU and OS support AVX-512 F/BW/VL (checked with cpuid/xgetbv).
int qk_cpu_has_avx512(void);

#endif
