import CKernels
import QatSupport
import Testing

/// The direct convolution for few input channels (qk_conv_narrow) against im2col + GEMM + the fused
/// epilogue: bit for bit in the AVX-512 variant (the same FMA chains in the same order), within float
/// rounding in the plain loops.
@Suite struct NarrowConvolutionTests {
  static let cases: [qk_conv_shape] = [
    LayerKernelTests.shape(n: 2, h: 9, w: 11, cin: 1, cout: 16, k: 3, stride: 1, pad: 1, groups: 1),
    LayerKernelTests.shape(n: 3, h: 10, w: 9, cin: 3, cout: 32, k: 3, stride: 2, pad: 1, groups: 1),
    LayerKernelTests.shape(n: 1, h: 12, w: 13, cin: 4, cout: 20, k: 5, stride: 1, pad: 2, groups: 1),
    LayerKernelTests.shape(n: 2, h: 7, w: 7, cin: 2, cout: 7, k: 3, stride: 1, pad: 0, groups: 1),
    LayerKernelTests.shape(n: 1, h: 6, w: 19, cin: 3, cout: 40, k: 3, stride: 1, pad: 1, groups: 1),
  ]

  static func lowered(_ s: qk_conv_shape, _ x: [Float], _ w: [Float], _ bias: [Float], cap: Float) -> [Float] {
    var s = s
    let rows = Int(s.n * s.out_h * s.out_w), k = Int(s.kernel * s.kernel * s.c_in), n = Int(s.c_out)
    var col = [Float](repeating: .nan, count: rows * k), y = [Float](repeating: .nan, count: rows * n)
    qk_im2col_nhwc(&s, x, &col)
    qk_sgemm(QK_AVX512, 0, 0, Int32(rows), Int32(n), Int32(k), col, Int32(k), w, Int32(n), 0, &y, Int32(n))
    qk_bias_activation_rows(&y, Int64(rows), Int32(n), bias, cap)
    return y
  }

  @Test(arguments: cases)
  func matchesLoweringAndGemm(_ shape: qk_conv_shape) {
    var s = shape
    let x = LayerKernelTests.randomValues(Int(s.n * s.h * s.w * s.c_in), seed: 41)
    let w = LayerKernelTests.randomValues(Int(s.kernel * s.kernel * s.c_in * s.c_out), seed: 42)
    let bias = LayerKernelTests.randomValues(Int(s.c_out), seed: 43)
    var work = [Float](repeating: .nan, count: Int(qk_conv_narrow_work_floats(&s)))
    for cap: Float in [-1, 0, 0.5] {
      let want = Self.lowered(s, x, w, bias, cap: cap)
      for variant in [QK_REFERENCE, QK_PORTABLE, QK_AVX512] where qk_variant_available(variant) != 0 {
        var y = [Float](repeating: .nan, count: want.count)
        qk_conv_narrow(variant, &s, x, w, bias, cap, &y, &work)
        if variant == QK_AVX512 {
          #expect(y == want, "cap \(cap)")
        } else {
          let worst = zip(y, want).map { abs($0 - $1) }.max() ?? .infinity
          #expect(worst <= Tolerance.convolution * Float(s.kernel * s.kernel * s.c_in), "\(variant) cap \(cap)")
        }
      }
    }
  }
}
