import CKernels
import QatSupport
import Testing

/// Winograd F(2×2, 3×3) (qk_winograd_conv3x3) against the convolution computed from its definition in
/// float64: odd sizes (the last tile row and column half outside the image), several channel counts,
/// tile blocks that end mid-image, every GEMM variant, with and without bias and activation.
@Suite struct WinogradTests {
  struct Case: CustomStringConvertible, Sendable {
    let n, h, w, cin, cout: Int
    var description: String { "\(n)×\(h)×\(w)×\(cin) → \(cout)" }
  }

  static let cases = [
    Case(n: 2, h: 5, w: 7, cin: 3, cout: 4),
    Case(n: 1, h: 1, w: 1, cin: 8, cout: 5),  // one pixel: only the kernel's centre reads the image
    Case(n: 3, h: 8, w: 6, cin: 16, cout: 33),
    Case(n: 2, h: 9, w: 11, cin: 40, cout: 24),  // 60 tiles per image: blocks cut images in two
    Case(n: 1, h: 4, w: 4, cin: 130, cout: 7),
  ]

  /// y[img][oy][ox][o] = bias[o] + Σ x·w over the 3×3 window (padding 1), in float64.
  static func direct(_ c: Case, _ x: [Float], _ w: [Float], _ bias: [Float]) -> [Double] {
    var y = [Double](repeating: 0, count: c.n * c.h * c.w * c.cout)
    for img in 0..<c.n {
      for oy in 0..<c.h {
        for ox in 0..<c.w {
          for o in 0..<c.cout {
            var sum = Double(bias[o])
            for ky in 0..<3 {
              for kx in 0..<3 {
                let iy = oy - 1 + ky, ix = ox - 1 + kx
                guard iy >= 0, iy < c.h, ix >= 0, ix < c.w else { continue }
                for ci in 0..<c.cin {
                  sum +=
                    Double(x[((img * c.h + iy) * c.w + ix) * c.cin + ci])
                    * Double(w[((ky * 3 + kx) * c.cin + ci) * c.cout + o])
                }
              }
            }
            y[((img * c.h + oy) * c.w + ox) * c.cout + o] = sum
          }
        }
      }
    }
    return y
  }

  static func winograd(_ c: Case, _ x: [Float], _ w: [Float], bias: [Float]?, cap: Float, variant: qk_variant)
    -> [Float]
  {
    var u = [Float](repeating: .nan, count: 16 * c.cin * c.cout)
    qk_winograd_weights(w, Int32(c.cin), Int32(c.cout), &u)
    var work = [Float](repeating: .nan, count: Int(qk_winograd_work_floats(Int32(c.cin), Int32(c.cout))))
    var y = [Float](repeating: .nan, count: c.n * c.h * c.w * c.cout)
    qk_winograd_conv3x3(
      variant, Int32(c.n), Int32(c.h), Int32(c.w), Int32(c.cin), Int32(c.cout), x, u, bias, cap, &y, &work)
    return y
  }

  @Test(arguments: cases)
  func matchesTheDefinition(_ c: Case) {
    let x = LayerKernelTests.randomValues(c.n * c.h * c.w * c.cin, seed: 31)
    let w = LayerKernelTests.randomValues(9 * c.cin * c.cout, seed: 32)
    let bias = LayerKernelTests.randomValues(c.cout, seed: 33)
    let want = Self.direct(c, x, w, bias)
    // Per unit of the largest |Σ x·w| term sum: the transforms add up to 16 rounded values per tile.
    let scale = Double(9 * c.cin)
    for variant in [QK_REFERENCE, QK_PORTABLE, QK_AVX512] where qk_variant_available(variant) != 0 {
      let got = Self.winograd(c, x, w, bias: bias, cap: -1, variant: variant)
      let worst = zip(got, want).map { abs(Double($0) - $1) }.max() ?? .infinity
      #expect(worst <= Tolerance.winograd * scale, "\(variant) \(worst)")
      // ReLU and ReLU6 in the epilogue are those functions of the same sums; no bias is a zero bias.
      let relu = Self.winograd(c, x, w, bias: bias, cap: 0, variant: variant)
      #expect(relu == got.map { max($0, 0) })
      let relu6 = Self.winograd(c, x, w, bias: bias, cap: 6, variant: variant)
      #expect(relu6 == got.map { min(max($0, 0), 6) })
      let noBias = Self.winograd(c, x, w, bias: nil, cap: -1, variant: variant)
      let zeroBias = Self.winograd(c, x, w, bias: [Float](repeating: 0, count: c.cout), cap: -1, variant: variant)
      #expect(noBias == zeroBias)
    }
  }

  /// The weight transform on one filter, by hand: G g Gᵀ with G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1].
  @Test func weightTransformByHand() {
    let g: [Float] = [1, 2, 3, 4, 5, 6, 7, 8, 9]  // rows kh, one input and one output channel
    var u = [Float](repeating: .nan, count: 16)
    qk_winograd_weights(g, 1, 1, &u)
    // G g = [1 2 3; 6 7.5 9; 2 2.5 3; 7 8 9]; times Gᵀ, row by row.
    let want: [Float] = [
      1, 3, 1, 3,
      6, 11.25, 3.75, 9,
      2, 3.75, 1.25, 3,
      7, 12, 4, 9,
    ]
    #expect(u == want)
  }

  /// dx[img][y][x][ci] = Σ dy[img][y + 1 − ky][x + 1 − kx][co] · w[ky][kx][ci][co] in float64.
  static func inputGradient(_ c: Case, _ dy: [Float], _ w: [Float]) -> [Double] {
    var dx = [Double](repeating: 0, count: c.n * c.h * c.w * c.cin)
    for img in 0..<c.n {
      for oy in 0..<c.h {
        for ox in 0..<c.w {
          for ky in 0..<3 {
            for kx in 0..<3 {
              let iy = oy - 1 + ky, ix = ox - 1 + kx
              guard iy >= 0, iy < c.h, ix >= 0, ix < c.w else { continue }
              for ci in 0..<c.cin {
                var sum = 0.0
                for o in 0..<c.cout {
                  sum +=
                    Double(dy[((img * c.h + oy) * c.w + ox) * c.cout + o])
                    * Double(w[((ky * 3 + kx) * c.cin + ci) * c.cout + o])
                }
                dx[((img * c.h + iy) * c.w + ix) * c.cin + ci] += sum
              }
            }
          }
        }
      }
    }
    return dx
  }

  /// The adjoint (the input gradient, from the same transformed weights) against its definition.
  @Test(arguments: cases)
  func adjointMatchesTheDefinition(_ c: Case) {
    let dy = LayerKernelTests.randomValues(c.n * c.h * c.w * c.cout, seed: 35)
    let w = LayerKernelTests.randomValues(9 * c.cin * c.cout, seed: 36)
    let want = Self.inputGradient(c, dy, w)
    var u = [Float](repeating: .nan, count: 16 * c.cin * c.cout)
    qk_winograd_weights(w, Int32(c.cin), Int32(c.cout), &u)
    for variant in [QK_REFERENCE, QK_PORTABLE, QK_AVX512] where qk_variant_available(variant) != 0 {
      var work = [Float](repeating: .nan, count: Int(qk_winograd_work_floats(Int32(c.cin), Int32(c.cout))))
      var dx = [Float](repeating: .nan, count: c.n * c.h * c.w * c.cin)
      qk_winograd_conv3x3_adjoint(
        variant, Int32(c.n), Int32(c.h), Int32(c.w), Int32(c.cin), Int32(c.cout), dy, u, &dx, &work)
      let worst = zip(dx, want).map { abs(Double($0) - $1) }.max() ?? .infinity
      #expect(worst <= Tolerance.winograd * Double(9 * c.cout), "\(variant) \(worst)")
    }
  }

  /// The weight gradient (no transformed weights needed) against Σ x·dy over every image and position.
  @Test(arguments: cases)
  func weightGradientMatchesTheDefinition(_ c: Case) {
    let x = LayerKernelTests.randomValues(c.n * c.h * c.w * c.cin, seed: 37)
    let dy = LayerKernelTests.randomValues(c.n * c.h * c.w * c.cout, seed: 38)
    var want = [Double](repeating: 0, count: 9 * c.cin * c.cout)
    for img in 0..<c.n {
      for oy in 0..<c.h {
        for ox in 0..<c.w {
          for k in 0..<9 {
            let iy = oy - 1 + k / 3, ix = ox - 1 + k % 3
            guard iy >= 0, iy < c.h, ix >= 0, ix < c.w else { continue }
            for ci in 0..<c.cin {
              let xv = Double(x[((img * c.h + iy) * c.w + ix) * c.cin + ci])
              for o in 0..<c.cout {
                want[(k * c.cin + ci) * c.cout + o] += xv * Double(dy[((img * c.h + oy) * c.w + ox) * c.cout + o])
              }
            }
          }
        }
      }
    }
    let work = Int(qk_winograd_weight_gradient_work_floats(Int32(c.cin), Int32(c.cout)))
    for variant in [QK_REFERENCE, QK_PORTABLE, QK_AVX512] where qk_variant_available(variant) != 0 {
      var scratch = [Float](repeating: .nan, count: work), dw = [Float](repeating: .nan, count: want.count)
      qk_winograd_conv3x3_weight_gradient(
        variant, Int32(c.n), Int32(c.h), Int32(c.w), Int32(c.cin), Int32(c.cout), x, dy, &dw, &scratch)
      // Per unit of the number of terms in each sum (every image and position).
      let worst = zip(dw, want).map { abs(Double($0) - $1) }.max() ?? .infinity
      #expect(worst <= Tolerance.winograd * Double(c.n * c.h * c.w), "\(variant) \(worst)")
    }
  }

  /// No images: the gradient is zero.
  @Test func weightGradientOfNothingIsZero() {
    var dw = [Float](repeating: .nan, count: 9 * 8 * 3)
    var work = [Float](repeating: .nan, count: Int(qk_winograd_weight_gradient_work_floats(8, 3)))
    qk_winograd_conv3x3_weight_gradient(QK_AVX512, 0, 4, 4, 8, 3, [], [], &dw, &work)
    #expect(dw.allSatisfy { $0 == 0 })
  }

  /// The tile block keeps V and M near 512 KB, within [16, 256] tiles; the work covers them.
  @Test func tileBlocks() {
    #expect(qk_winograd_tile_block(32, 32) == 128)
    #expect(qk_winograd_tile_block(1, 1) == 256)
    #expect(qk_winograd_tile_block(1024, 1024) == 16)
    #expect(qk_winograd_work_floats(32, 32) >= 16 * 128 * 64 + 32)
  }
}
