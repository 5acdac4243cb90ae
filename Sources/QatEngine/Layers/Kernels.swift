import CKernels

/// The kernel variant every engine call uses (the fastest one this CPU runs).
enum Kernels {
  static let variant = qk_best_variant()

  /// C = beta·C + op(A)·op(B), row-major (see CKernelsFP32.h).
  @inline(__always)
  static func gemm(
    transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
    a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
    beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
  ) {
    qk_sgemm(
      variant, transA ? 1 : 0, transB ? 1 : 0, Int32(m), Int32(n), Int32(k),
      a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
  }
}
