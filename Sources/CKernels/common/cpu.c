// What this CPU runs, shared by both kernel families: the cpuid/xgetbv checks for AVX-512 and AVX-512
// VNNI, and the run-time choice of kernel variants built on them. The CPU is asked once, never assumed
// at compile time.
#include "CKernels.h"
#include "cpu.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

static unsigned long long read_xcr0(void) {
  unsigned int lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return ((unsigned long long)hi << 32) | lo;
}

// cpuid and xgetbv trap to the hypervisor in a VM (about 11 µs each time), so the answer is
// computed once; the benign race just computes the same answer twice.
static int avx512_cached = -1;

static int detect_avx512(void) {
  unsigned int eax, ebx, ecx, edx;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return 0;
  int osxsave = (ecx >> 27) & 1, fma = (ecx >> 12) & 1;
  if (!osxsave || !fma) return 0;
  // The OS must save the AVX-512 state: XMM, YMM, opmask, ZMM_Hi256, Hi16_ZMM.
  if ((read_xcr0() & 0xE6) != 0xE6) return 0;
  if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return 0;
  int f = (ebx >> 16) & 1, bw = (ebx >> 30) & 1, vl = (ebx >> 31) & 1;
  return f && bw && vl;
}

int qk_cpu_has_avx512(void) {
  if (avx512_cached < 0) avx512_cached = detect_avx512();
  return avx512_cached;
}

// cpuid traps to the hypervisor in a VM: ask once (the benign race computes the same answer twice).
static int vnni_cached = -1;

static int detect_vnni(void) {
  // qk_cpu_has_avx512 has checked F/BW/VL and that the OS saves the ZMM and opmask state.
  if (!qk_cpu_has_avx512()) return 0;
  unsigned int eax, ebx, ecx, edx;
  if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return 0;
  return (ecx >> 11) & 1;  // CPUID.(EAX=7, ECX=0):ECX[11] = AVX512_VNNI
}

int qk_cpu_has_avx512_vnni(void) {
  if (vnni_cached < 0) vnni_cached = detect_vnni();
  return vnni_cached;
}
#else
int qk_cpu_has_avx512(void) { return 0; }
int qk_cpu_has_avx512_vnni(void) { return 0; }
#endif

int qk_variant_available(qk_variant v) {
  switch (v) {
  case QK_REFERENCE:
  case QK_PORTABLE: return 1;
  case QK_AVX512: return qk_cpu_has_avx512();
  }
  return 0;
}

qk_variant qk_best_variant(void) {
  static int cached = -1;  // benign race: every thread computes the same answer
  if (cached < 0) cached = qk_variant_available(QK_AVX512) ? QK_AVX512 : QK_PORTABLE;
  return (qk_variant)cached;
}

const char *qk_variant_name(qk_variant v) {
  switch (v) {
  case QK_REFERENCE: return "reference";
  case QK_PORTABLE: return "portable";
  case QK_AVX512: return "avx512";
  }
  return "unknown";
}
