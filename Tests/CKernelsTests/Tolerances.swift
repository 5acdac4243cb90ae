/// The tolerances of the fp32 kernel tests, each named for why a result may differ from the sum it is checked
/// against. (The integer kernels are compared exactly: their arithmetic is all integer.)
enum Tolerance {
  /// GEMM against a float64 product, per unit of Σ|a·b|: float32 products summed in float32 in each variant's order.
  static let gemmRelative: Double = 1e-5
  /// GEMM's absolute floor, for entries whose terms cancel (Σ|a·b| near 0) or that have none (k = 0).
  static let gemmAbsolute: Double = 1e-6
  /// Convolutions (im2col + GEMM, direct depthwise) against a float32 loop: the same products summed in another order.
  static let convolution: Float = 1e-5
  /// Winograd F(2×2, 3×3) against the float64 convolution, per unit of 9·c_in (terms in [−1, 1]): the
  /// transforms round up to 16 values before and after the float32 GEMM.
  static let winograd: Double = 2e-7
  /// float32 accumulations of up to a few hundred terms in [−1, 1] (col2im, depthwise backward) against float64.
  static let float32Accumulation: Double = 1e-4
  /// The average-pool adjoint: float32 sums of only kernel² = 4 scaled terms per input against float64.
  static let avgPoolAdjoint: Double = 1e-5
  /// One float32 expression on values of order 1, which the compiler may evaluate with fused multiply-adds.
  static let float32Expression: Float = 1e-6
  /// float64 sums of a few dozen float32 values, in the same order as the loop: a margin only.
  static let float64Sums: Double = 1e-9
}
