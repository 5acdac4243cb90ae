import CKernels
import QatSupport
import Testing

/// The in-place convolution (qk_qconv_direct) against im2col + GEMM, which it must equal byte for
/// byte: both sum the same products in int32, where the order of a sum cannot change it.
@Suite struct DirectConvolutionTests {
  static let cases: [qk_conv_shape] = [
    Int8KernelTests.shape(n: 3, h: 7, w: 5, c: 4, cout: 12, k: 3, stride: 1, pad: 1, groups: 1),
    Int8KernelTests.shape(n: 2, h: 6, w: 9, c: 8, cout: 20, k: 3, stride: 1, pad: 0, groups: 1),
    Int8KernelTests.shape(n: 2, h: 5, w: 5, c: 4, cout: 4, k: 1, stride: 1, pad: 0, groups: 1),
    Int8KernelTests.shape(n: 1, h: 9, w: 7, c: 12, cout: 70, k: 5, stride: 1, pad: 2, groups: 1),
    Int8KernelTests.shape(n: 2, h: 12, w: 12, c: 32, cout: 33, k: 3, stride: 1, pad: 1, groups: 1),
  ]

  @Test(arguments: cases)
  func directConvolutionEqualsIm2colAndGemm(_ shape: qk_conv_shape) throws {
    var s = shape
    try #require(qk_qconv_direct_supported(&s) != 0 || qk_cpu_has_avx512_vnni() == 0)
    guard qk_cpu_has_avx512_vnni() != 0 else { return }  // the direct path needs VNNI
    var r = SeededRandom(seed: 17)
    let k = Int(s.kernel * s.kernel * s.c_in), n = Int(s.c_out), rows = Int(s.n * s.out_h * s.out_w)
    let x = Int8KernelTests.bytes(Int(s.n * s.h * s.w * s.c_in), &r)
    let b = Int8KernelTests.signedBytes(k * n, &r)
    var packed = [Int8](repeating: 0, count: Int(qk_qgemm_packed_size(Int32(k), Int32(n))))
    qk_qgemm_pack(Int32(k), Int32(n), b, Int32(n), &packed)
    let pad: UInt8 = 91
    for rq in [Int8KernelTests.Requant.realistic(n, &r), Int8KernelTests.Requant.extreme(n, &r)] {
      var col = [UInt8](repeating: 0, count: rows * k)
      qk_im2col_u8(&s, x, pad, &col, Int32(k))
      var want = [UInt8](repeating: 0, count: rows * n), got = [UInt8](repeating: 0, count: rows * n)
      var scratch = [UInt8](repeating: 0, count: Int(qk_qconv_direct_scratch(&s)))
      rq.with { rq in
        qk_qgemm_u8(QK_AVX512, Int32(rows), Int32(n), Int32(k), col, Int32(k), packed, rq, &want, Int32(n))
        qk_qconv_direct(&s, x, pad, packed, rq, &got, &scratch)
      }
      #expect(got == want)
    }
  }

  /// What the direct path does not take: strides, groups, channels that are not whole 4-byte groups.
  @Test func unsupportedShapesAreDeclined() {
    var strided = Int8KernelTests.shape(n: 1, h: 8, w: 8, c: 4, cout: 4, k: 3, stride: 2, pad: 1, groups: 1)
    var grouped = Int8KernelTests.shape(n: 1, h: 8, w: 8, c: 8, cout: 8, k: 3, stride: 1, pad: 1, groups: 2)
    var rgb = Int8KernelTests.shape(n: 1, h: 8, w: 8, c: 3, cout: 8, k: 3, stride: 1, pad: 1, groups: 1)
    #expect(qk_qconv_direct_supported(&strided) == 0)
    #expect(qk_qconv_direct_supported(&grouped) == 0)
    #expect(qk_qconv_direct_supported(&rgb) == 0)
  }
}
