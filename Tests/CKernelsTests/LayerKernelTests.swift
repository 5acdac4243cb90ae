import CKernels
import QatSupport
import Testing

/// The layer kernels against loops written directly from the definitions, with odd sizes.
@Suite struct LayerKernelTests {
  static func randomValues(_ n: Int, seed: UInt64) -> [Float] {
    var r = SeededRandom(seed: seed)
    return (0..<n).map { _ in Float(r.nextUnit() * 2 - 1) }
  }

  static func shape(n: Int, h: Int, w: Int, cin: Int, cout: Int, k: Int, stride: Int, pad: Int, groups: Int)
    -> qk_conv_shape
  {
    qk_conv_shape(
      n: Int32(n), h: Int32(h), w: Int32(w), c_in: Int32(cin), c_out: Int32(cout), kernel: Int32(k),
      stride: Int32(stride), pad: Int32(pad), groups: Int32(groups),
      out_h: Int32((h + 2 * pad - k) / stride + 1), out_w: Int32((w + 2 * pad - k) / stride + 1))
  }

  static let convCases = [
    shape(n: 2, h: 5, w: 7, cin: 3, cout: 4, k: 3, stride: 1, pad: 1, groups: 1),
    shape(n: 3, h: 7, w: 6, cin: 4, cout: 6, k: 3, stride: 2, pad: 1, groups: 2),
    shape(n: 1, h: 9, w: 9, cin: 5, cout: 5, k: 3, stride: 1, pad: 0, groups: 5),
    shape(n: 2, h: 4, w: 5, cin: 2, cout: 3, k: 2, stride: 3, pad: 2, groups: 1),
    shape(n: 2, h: 6, w: 5, cin: 1, cout: 3, k: 3, stride: 1, pad: 1, groups: 1),  // one input channel
    shape(n: 1, h: 7, w: 8, cin: 1, cout: 2, k: 3, stride: 2, pad: 0, groups: 1),
    shape(n: 2, h: 6, w: 7, cin: 19, cout: 19, k: 3, stride: 2, pad: 1, groups: 19),  // depthwise, odd channels
  ]

  /// im2col followed by the per-group product equals a direct convolution.
  @Test(arguments: convCases)
  func im2colConvolutionMatchesDirect(_ s: qk_conv_shape) {
    var s = s
    let n = Int(s.n), h = Int(s.h), w = Int(s.w), cin = Int(s.c_in), cout = Int(s.c_out), k = Int(s.kernel)
    let groups = Int(s.groups), oh = Int(s.out_h), ow = Int(s.out_w), stride = Int(s.stride), pad = Int(s.pad)
    let cg = cin / groups, og = cout / groups, depth = k * k * cg
    let x = Self.randomValues(n * h * w * cin, seed: 1)
    let weights = Self.randomValues(groups * depth * og, seed: 2)  // [g][ky][kx][ci][o]
    var col = [Float](repeating: .nan, count: n * oh * ow * groups * depth)
    qk_im2col_nhwc(&s, x, &col)
    // One filter per channel: the direct depthwise kernel must agree too (zero bias).
    let isDepthwise = groups > 1 && groups == cin && cout == groups
    var direct = [Float](repeating: .nan, count: n * oh * ow * cout)
    if isDepthwise {
      var work = [Float](repeating: 0, count: 2 * cin * k * k)
      qk_depthwise_forward(&s, x, weights, [Float](repeating: 0, count: cout), &direct, &work)
    }

    var viaGemm = [Float](repeating: 0, count: n * oh * ow * cout)
    for g in 0..<groups {
      col.withUnsafeBufferPointer { c in
        weights.withUnsafeBufferPointer { wt in
          viaGemm.withUnsafeMutableBufferPointer { y in
            qk_sgemm(
              QK_REFERENCE, 0, 0, Int32(n * oh * ow), Int32(og), Int32(depth), c.baseAddress! + g * depth,
              Int32(groups * depth), wt.baseAddress! + g * depth * og, Int32(og), 0, y.baseAddress! + g * og,
              Int32(cout))
          }
        }
      }
    }
    for img in 0..<n {
      for oy in 0..<oh {
        for ox in 0..<ow {
          for o in 0..<cout {
            let g = o / og
            var sum: Float = 0
            for ky in 0..<k {
              for kx in 0..<k {
                let iy = oy * stride - pad + ky, ix = ox * stride - pad + kx
                guard iy >= 0, iy < h, ix >= 0, ix < w else { continue }
                for ci in 0..<cg {
                  sum +=
                    x[((img * h + iy) * w + ix) * cin + g * cg + ci]
                    * weights[g * depth * og + ((ky * k + kx) * cg + ci) * og + o % og]
                }
              }
            }
            let got = viaGemm[((img * oh + oy) * ow + ox) * cout + o]
            #expect(abs(got - sum) <= Tolerance.convolution * max(1, abs(sum)))
            if isDepthwise {
              #expect(
                abs(direct[((img * oh + oy) * ow + ox) * cout + o] - sum) <= Tolerance.convolution * max(1, abs(sum)))
            }
          }
        }
      }
    }
  }

  /// col2im is the adjoint of im2col: ⟨im2col(x), c⟩ = ⟨x, col2im(c)⟩.
  @Test(arguments: convCases)
  func col2imIsTheAdjointOfIm2col(_ s: qk_conv_shape) {
    var s = s
    let inputs = Int(s.n * s.h * s.w * s.c_in)
    let columns = Int(s.n * s.out_h * s.out_w) * Int(s.kernel * s.kernel * s.c_in)
    let x = Self.randomValues(inputs, seed: 3), c = Self.randomValues(columns, seed: 4)
    var col = [Float](repeating: 0, count: columns), dx = [Float](repeating: .nan, count: inputs)
    qk_im2col_nhwc(&s, x, &col)
    qk_col2im_nhwc(&s, c, &dx)
    let left = zip(col, c).reduce(0.0) { $0 + Double($1.0 * $1.1) }
    let right = zip(x, dx).reduce(0.0) { $0 + Double($1.0 * $1.1) }
    #expect(abs(left - right) < Tolerance.float32Accumulation)
  }

  /// The depthwise backward pass against sums over the definition.
  @Test func depthwiseBackwardMatchesTheDefinition() {
    var s = Self.shape(n: 2, h: 5, w: 6, cin: 17, cout: 17, k: 3, stride: 1, pad: 1, groups: 17)
    let n = 2, h = 5, w = 6, c = 17, k = 3, oh = 5, ow = 6
    let x = Self.randomValues(n * h * w * c, seed: 13), weights = Self.randomValues(c * k * k, seed: 14)
    let dy = Self.randomValues(n * oh * ow * c, seed: 15)
    var dw = [Float](repeating: .nan, count: weights.count), dx = [Float](repeating: .nan, count: x.count)
    var work = [Float](repeating: 0, count: 2 * c * k * k)
    qk_depthwise_backward(&s, x, weights, dy, &dw, &dx, &work)
    var expectW = [Double](repeating: 0, count: weights.count), expectX = [Double](repeating: 0, count: x.count)
    for img in 0..<n {
      for oy in 0..<oh {
        for ox in 0..<ow {
          for ky in 0..<k {
            for kx in 0..<k {
              let iy = oy - 1 + ky, ix = ox - 1 + kx
              guard iy >= 0, iy < h, ix >= 0, ix < w else { continue }
              for ch in 0..<c {
                let g = Double(dy[((img * oh + oy) * ow + ox) * c + ch]), xi = ((img * h + iy) * w + ix) * c + ch
                expectW[ch * k * k + ky * k + kx] += Double(x[xi]) * g
                expectX[xi] += Double(weights[ch * k * k + ky * k + kx]) * g
              }
            }
          }
        }
      }
    }
    for i in dw.indices { #expect(abs(Double(dw[i]) - expectW[i]) < Tolerance.float32Accumulation) }
    for i in dx.indices { #expect(abs(Double(dx[i]) - expectX[i]) < Tolerance.float32Accumulation) }
  }

  @Test func maxPoolPicksTheFirstMaximumAndRoutesGradients() {
    // One image 3×5, 2 channels, kernel 2 stride 2 → 1×2 outputs (the odd row and column are dropped).
    let h = 3, w = 5, c = 2
    var x = Self.randomValues(h * w * c, seed: 5)
    x[(0 * w + 1) * c + 0] = 9  // channel 0, window 0 maximum at (0, 1)
    x[(1 * w + 0) * c + 0] = 9  // a tie later in the window: the first one wins
    var y = [Float](repeating: 0, count: 4), argmax = [Int32](repeating: -1, count: 4)
    qk_maxpool_forward(x, 1, Int32(h), Int32(w), Int32(c), 2, 2, 1, 2, &y, &argmax)
    #expect(y[0] == 9 && argmax[0] == Int32((0 * w + 1) * c + 0))
    for o in 0..<4 {
      let ox = o / c, ch = o % c
      let window = [(0, 0), (0, 1), (1, 0), (1, 1)].map { x[($0.0 * w + ox * 2 + $0.1) * c + ch] }
      #expect(y[o] == window.max())
    }
    var dx = [Float](repeating: .nan, count: h * w * c)
    qk_maxpool_backward([1, 2, 3, 4], argmax, 4, Int32(h * w * c), &dx)
    #expect(dx.reduce(0, +) == 10)
    #expect(dx[Int(argmax[3])] == 4)
  }

  /// Evaluation's unrolled 2×2 stride-2 path (no argmax) gives what the general loop gives, bit for
  /// bit, with NaNs, ±0 ties and odd sizes; kernel 3 or stride 1 take the general loop either way.
  @Test func maxPoolWithoutArgmaxMatchesTheGeneralLoop() {
    let n = 2, h = 7, w = 9, c = 19
    var x = Self.randomValues(n * h * w * c, seed: 8)
    x[3] = .nan
    x[c + 4] = .nan
    x[(w + 1) * c + 5] = -0.0
    x[5] = 0.0
    for (k, stride) in [(2, 2), (3, 2), (2, 1)] {
      let oh = (h - k) / stride + 1, ow = (w - k) / stride + 1
      var fast = [Float](repeating: 7, count: n * oh * ow * c), general = fast
      var argmax = [Int32](repeating: -1, count: general.count)
      qk_maxpool_forward(
        x, Int32(n), Int32(h), Int32(w), Int32(c), Int32(k), Int32(stride), Int32(oh), Int32(ow), &fast, nil)
      qk_maxpool_forward(
        x, Int32(n), Int32(h), Int32(w), Int32(c), Int32(k), Int32(stride), Int32(oh), Int32(ow), &general, &argmax)
      #expect(fast.map(\.bitPattern) == general.map(\.bitPattern), "kernel \(k) stride \(stride)")
    }
  }

  @Test func avgPoolBackwardIsTheAdjointOfForward() {
    let n = 2, h = 5, w = 4, c = 3, k = 2, stride = 1, oh = 4, ow = 3
    let x = Self.randomValues(n * h * w * c, seed: 6), g = Self.randomValues(n * oh * ow * c, seed: 7)
    var y = [Float](repeating: 0, count: g.count), dx = [Float](repeating: 0, count: x.count)
    qk_avgpool_forward(x, Int32(n), Int32(h), Int32(w), Int32(c), Int32(k), Int32(stride), Int32(oh), Int32(ow), &y)
    qk_avgpool_backward(g, Int32(n), Int32(h), Int32(w), Int32(c), Int32(k), Int32(stride), Int32(oh), Int32(ow), &dx)
    #expect(abs(y[0] - (x[0] + x[c] + x[w * c] + x[w * c + c]) / 4) < Tolerance.float32Expression)
    let left = zip(y, g).reduce(0.0) { $0 + Double($1.0 * $1.1) },
      right = zip(x, dx).reduce(0.0) { $0 + Double($1.0 * $1.1) }
    #expect(abs(left - right) < Tolerance.avgPoolAdjoint)
  }

  @Test func batchNormStatisticsAndBackwardMatchTheFormulas() {
    let rows = 37, c = 3
    let x = Self.randomValues(rows * c, seed: 8), dy = Self.randomValues(rows * c, seed: 9)
    var sum = [Double](repeating: 0, count: c), sumsq = [Double](repeating: 0, count: c)
    qk_bn_partial_stats(x, Int32(rows), Int32(c), &sum, &sumsq)
    for ch in 0..<c {
      let column = (0..<rows).map { Double(x[$0 * c + ch]) }
      #expect(abs(sum[ch] - column.reduce(0, +)) < Tolerance.float64Sums)
      #expect(abs(sumsq[ch] - column.map { $0 * $0 }.reduce(0, +)) < Tolerance.float64Sums)
    }
    let mean: [Float] = [0.1, -0.2, 0.3], invstd: [Float] = [2, 0.5, 1.5], gamma: [Float] = [1.5, -1, 0.25],
      beta: [Float] = [0, 1, -2]
    var y = [Float](repeating: 0, count: x.count), xhat = [Float](repeating: 0, count: x.count)
    qk_bn_apply(x, Int32(rows), Int32(c), mean, invstd, gamma, beta, &y, &xhat, -1)
    #expect(abs(y[4] - ((x[4] - mean[1]) * invstd[1] * gamma[1] + beta[1])) < Tolerance.float32Expression)
    // With a fused ReLU6: the same bits as applying qk_relu_forward afterwards.
    var fused = [Float](repeating: 0, count: x.count), separate = [Float](repeating: 0, count: x.count)
    qk_bn_apply(x.map { $0 * 8 }, Int32(rows), Int32(c), mean, invstd, gamma, beta, &fused, nil, 6)
    qk_bn_apply(x.map { $0 * 8 }, Int32(rows), Int32(c), mean, invstd, gamma, beta, &separate, nil, -1)
    let beforeReLU = separate
    qk_relu_forward(beforeReLU, Int64(separate.count), 6, &separate)
    #expect(fused == separate && fused.contains(6) && fused.contains(0))
    var sdy = [Double](repeating: 0, count: c), sdyx = [Double](repeating: 0, count: c)
    qk_bn_backward_partial(dy, xhat, Int32(rows), Int32(c), &sdy, &sdyx)
    let mdy = sdy.map { Float($0 / Double(rows)) }, mdyx = sdyx.map { Float($0 / Double(rows)) }
    var dx = [Float](repeating: 0, count: x.count)
    qk_bn_backward_apply(dy, xhat, Int32(rows), Int32(c), gamma, invstd, mdy, mdyx, &dx)
    let expected = gamma[2] * invstd[2] * (dy[5] - mdy[2] - xhat[5] * mdyx[2])
    #expect(abs(dx[5] - expected) < Tolerance.float32Expression)
  }

  @Test func reluAndRelu6ClipAndPassGradientsInside() {
    let x: [Float] = [-1, 0, 0.5, 5.9, 6, 7]
    var y = [Float](repeating: 0, count: 6), dx = [Float](repeating: 0, count: 6)
    qk_relu_forward(x, 6, 6, &y)
    #expect(y == [0, 0, 0.5, 5.9, 6, 6])
    qk_relu_backward([1, 1, 1, 1, 1, 1], y, 6, 6, &dx)
    #expect(dx == [0, 0, 1, 1, 0, 0])
    qk_relu_forward(x, 6, 0, &y)
    #expect(y == [0, 0, 0.5, 5.9, 6, 7])
  }
}

extension qk_conv_shape: @retroactive CustomTestStringConvertible {
  public var testDescription: String { "n\(n) \(h)x\(w)x\(c_in)→\(c_out) k\(kernel) s\(stride) p\(pad) g\(groups)" }
}
