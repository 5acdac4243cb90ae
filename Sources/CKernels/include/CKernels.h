// CKernels: the hot numeric loops of the engine, in C, one folder per family:
//   common/  the CPU checks and the variant choice declared here, the multiversioning macro;
//   fp32/    the fp32 kernels (CKernelsFP32.h): GEMM, convolution lowering, pooling, batch norm, ReLU,
//            fake quantization and the observers' range scans;
//   int8/    the integer-only inference kernels (CKernelsInt8.h).
// Each version of a kernel has its own file, named for it (fp32/gemm_reference.c, fp32/gemm_avx512.c,
// int8/qgemm_vnni.c, …); kernels in one version compiled per instruction set (QK_MULTIVERSION) have one.
//
// Every kernel that matters for speed exists in up to three versions:
//   - QK_REFERENCE: the plain loops, written to be obviously right; tests compare against them;
//   - QK_PORTABLE:  blocked C that any x86-64 (or other) compiler vectorizes reasonably;
//   - QK_AVX512:    hand-tiled AVX-512 for this CPU, compiled with __attribute__((target)) and used
//                   only when the CPU reports the instructions at run time (never -march=native).
// qk_best_variant() picks the fastest available one once; callers may also name a variant (tests,
// the benchmark). All kernels are single-threaded and reentrant: the engine splits the batch across
// cores itself, so results never depend on the thread count.
//
// Layout conventions: matrices are row-major; activations are NHWC (channels innermost).

#ifndef CKERNELS_H
#define CKERNELS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
  QK_REFERENCE = 0,
  QK_PORTABLE = 1,
  QK_AVX512 = 2,
} qk_variant;

/// 1 if `v` can run on this CPU.
int qk_variant_available(qk_variant v);
/// The fastest variant this CPU can run (checked once, then cached).
qk_variant qk_best_variant(void);
/// "reference", "portable" or "avx512".
const char *qk_variant_name(qk_variant v);

/// Shape of one convolution over NHWC activations. Weights are stored per group as a
/// [kernel·kernel·(c_in/groups)] × (c_out/groups) matrix (rows ordered kh, kw, ci), groups one after
/// another; bias has c_out entries.
typedef struct {
  int n, h, w, c_in;       // input batch and shape
  int c_out, kernel, stride, pad, groups;
  int out_h, out_w;        // (h + 2·pad − kernel) / stride + 1, likewise for w
} qk_conv_shape;

#ifdef __cplusplus
}
#endif

// The two families' kernels (part of this module).
#include "CKernelsFP32.h"
#include "CKernelsInt8.h"

#endif
