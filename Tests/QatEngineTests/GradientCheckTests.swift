import Testing

@testable import QatEngine
import QatSupport

/// Finite-difference checks: for every layer kind, the analytic gradient of the loss with respect
/// to parameters upstream of the layer (so that the layer's backward pass is on the path) must
/// match central differences.
@Suite struct GradientCheckTests {
  static func images(_ count: Int, shape: ActivationShape, classes: Int, seed: UInt64) -> LabeledImages {
    var random = SeededRandom(seed: seed)
    let pixels = (0..<(count * shape.elements)).map { _ in Float(random.nextUnit() * 2 - 1) }
    let labels = (0..<count).map { _ in Int(random.next() % UInt64(classes)) }
    return LabeledImages(nchw: pixels, labels: labels, shape: shape)
  }

  /// Mean loss of one training-mode pass (fixed dropout seed), leaving gradients in the parameters.
  static func loss(_ net: Network, _ data: LabeledImages) -> Double {
    let pass = net.trainBatch(Array(0..<data.count)[...], of: data, pool: WorkerPool.shared(threads: 1), stepSeed: 7)
    return pass.lossSum / Double(pass.count)
  }

  /// The loss with parameter entry `i` moved by `delta`.
  static func shiftedLoss(_ net: Network, _ data: LabeledImages, _ parameter: LearnableTensor, _ i: Int, _ delta: Float)
    -> Double
  {
    let original = parameter.value[i]
    parameter.value[i] = original + delta
    defer { parameter.value[i] = original }
    return loss(net, data)
  }

  /// Worst relative error between analytic and numeric gradients over sampled entries of every
  /// parameter. ReLU and max pooling have kinks, where a difference quotient means nothing: an
  /// entry whose one-sided quotients disagree, or whose central quotient changes between steps h
  /// and 2h, has a kink within reach and is skipped — but at least half the samples must be smooth.
  static func worstError(
    _ specs: [LayerSpec], input: ActivationShape, classes: Int = 3, images count: Int = 5,
    checks: Int = 12
  ) throws -> Double {
    var random = SeededRandom(seed: 11)
    let net = try Network.build(specs, input: input, random: &random)
    let data = images(count, shape: input, classes: classes, seed: 3)
    let base = loss(net, data)
    let analytic = net.parameters.map { $0.gradient.array }
    var worst = 0.0
    var smooth = 0, sampled = 0
    let h: Float = 1e-3
    for (p, parameter) in net.parameters.enumerated() {
      for k in 0..<min(checks, parameter.count) {
        let i = (k * 7919) % parameter.count
        let up = shiftedLoss(net, data, parameter, i, h), down = shiftedLoss(net, data, parameter, i, -h)
        let up2 = shiftedLoss(net, data, parameter, i, 2 * h), down2 = shiftedLoss(net, data, parameter, i, -2 * h)
        let forward = (up - base) / Double(h), backward = (base - down) / Double(h)
        let central = (up - down) / Double(2 * h), wide = (up2 - down2) / Double(4 * h)
        sampled += 1
        let tolerance = 1e-3 + 2e-2 * abs(central)
        if abs(forward - backward) > tolerance || abs(central - wide) > tolerance { continue }
        smooth += 1
        let a = Double(analytic[p][i])
        let error = abs(central - a) / max(abs(central) + abs(a), 1e-2)
        if error > Tolerance.gradientCheck {
          print("param \(p) [\(parameter.name)] index \(i): numeric \(central) analytic \(a)")
        }
        worst = max(worst, error)
      }
    }
    return smooth * 2 >= sampled ? worst : .infinity
  }

  static let map = ActivationShape(channels: 2, height: 6, width: 5)
  static func head(_ classes: Int = 3) -> [LayerSpec] { [LayerSpec(.flatten), LayerSpec(.dense(out: classes))] }

  @Test func convPaddedAndDense() throws {
    let specs = [LayerSpec(.conv(out: 3, kernel: 3, stride: 1, pad: 1, groups: 1))] + Self.head()
    #expect(try Self.worstError(specs, input: Self.map) < Tolerance.gradientCheck)
  }

  /// A convolution large enough that the lowering runs in several passes per chunk (the weight
  /// gradient accumulates across passes).
  @Test func convInSeveralLoweringPasses() throws {
    // 7 input channels: with 8 or more, training would run this layer as Winograd (next test).
    let input = ActivationShape(channels: 7, height: 32, width: 32)
    let specs =
      [
        LayerSpec(.conv(out: 4, kernel: 3, stride: 1, pad: 1, groups: 1)),
        LayerSpec(.conv(out: 3, kernel: 3, stride: 2, pad: 1, groups: 1)),
      ] + Self.head()
    var random = SeededRandom(seed: 1)
    let probe = try Network.build(specs, input: input, random: &random)
    #expect((probe.ops[0] as? ConvOp)?.imagesPerPass == 4)
    #expect(try Self.worstError(specs, input: input, images: 7, checks: 6) < Tolerance.gradientCheck)
  }

  /// Two convolutions that training runs as Winograd F(2×2, 3×3) (forward and input gradient; odd
  /// sizes, so tiles hang over the edge): the second one's input gradient reaches the first's weights.
  @Test func convWinograd() throws {
    let input = ActivationShape(channels: 8, height: 9, width: 10)
    let specs =
      [
        LayerSpec(.conv(out: 8, kernel: 3, stride: 1, pad: 1, groups: 1)), LayerSpec(.relu),
        LayerSpec(.conv(out: 5, kernel: 3, stride: 1, pad: 1, groups: 1)),
      ] + Self.head()
    var random = SeededRandom(seed: 1)
    let probe = try Network.build(specs, input: input, random: &random)
    _ = Self.loss(probe, Self.images(2, shape: input, classes: 3, seed: 3))
    #expect(probe.ops.compactMap { ($0 as? ConvOp)?.winograd }.count == 2)
    #expect(try Self.worstError(specs, input: input, images: 3, checks: 8) < Tolerance.gradientCheck)
  }

  @Test func convStrided() throws {
    let specs =
      [
        LayerSpec(.conv(out: 4, kernel: 3, stride: 2, pad: 1, groups: 1)),
        LayerSpec(.conv(out: 3, kernel: 2, stride: 2, pad: 0, groups: 1)),
      ] + Self.head()
    #expect(try Self.worstError(specs, input: Self.map) < Tolerance.gradientCheck)
  }

  @Test func convDepthwiseAndGrouped() throws {
    let specs =
      [
        LayerSpec(.conv(out: 4, kernel: 3, stride: 1, pad: 1, groups: 2)),
        LayerSpec(.conv(out: 4, kernel: 3, stride: 1, pad: 1, groups: 4)),
        LayerSpec(.conv(out: 2, kernel: 1, stride: 1, pad: 0, groups: 1)),
      ] + Self.head()
    #expect(try Self.worstError(specs, input: Self.map) < Tolerance.gradientCheck)
  }

  @Test func batchNormInTrainingModeReluAndMaxPool() throws {
    let specs =
      [
        LayerSpec(.conv(out: 3, kernel: 3, stride: 1, pad: 1, groups: 1)), LayerSpec(.batchNorm),
        LayerSpec(.relu), LayerSpec(.maxpool(kernel: 2, stride: 2)),
      ] + Self.head()
    #expect(try Self.worstError(specs, input: Self.map, images: 20) < Tolerance.gradientCheck)
  }

  @Test func avgPoolRelu6AndGlobalAvgPool() throws {
    let specs =
      [
        LayerSpec(.conv(out: 3, kernel: 3, stride: 1, pad: 1, groups: 1)), LayerSpec(.relu6),
        LayerSpec(.avgpool(kernel: 2, stride: 1)), LayerSpec(.conv(out: 4, kernel: 1, stride: 1, pad: 0, groups: 1)),
        LayerSpec(.globalAvgPool),
      ] + Self.head()
    #expect(try Self.worstError(specs, input: Self.map) < Tolerance.gradientCheck)
  }

  @Test func residualBlock() throws {
    let block: [LayerSpec] = [
      LayerSpec(.conv(out: 3, kernel: 3, stride: 1, pad: 1, groups: 1)), LayerSpec(.batchNorm),
      LayerSpec(.relu),
    ]
    let specs =
      [LayerSpec(.conv(out: 3, kernel: 3, stride: 1, pad: 1, groups: 1)), LayerSpec(.residual(block))] + Self.head()
    #expect(try Self.worstError(specs, input: Self.map, images: 20) < Tolerance.gradientCheck)
  }

  /// Batch norm followed by ReLU runs fused, except when a residual block reads the batch norm's
  /// output (the block below starts with the ReLU, so the skip needs the un-activated values).
  @Test func batchNormReluFusionStepsAsideForAResidualInput() throws {
    let block: [LayerSpec] = [LayerSpec(.relu), LayerSpec(.conv(out: 3, kernel: 3, stride: 1, pad: 1, groups: 1))]
    let specs =
      [
        LayerSpec(.conv(out: 3, kernel: 3, stride: 1, pad: 1, groups: 1)), LayerSpec(.batchNorm),
        LayerSpec(.residual(block)),
      ] + Self.head()
    var random = SeededRandom(seed: 1)
    let net = try Network.build(specs, input: Self.map, random: &random)
    #expect((net.ops[1] as? BatchNormOp)?.fusedReLUCap == nil)
    #expect(try Self.worstError(specs, input: Self.map, images: 20) < Tolerance.gradientCheck)
    let fused = try Network.build(
      [LayerSpec(.batchNorm), LayerSpec(.relu6)] + Self.head(), input: Self.map, random: &random)
    #expect((fused.ops[0] as? BatchNormOp)?.fusedReLUCap == 6)
  }

  @Test func denseBatchNormDropout() throws {
    let specs = [
      LayerSpec(.flatten), LayerSpec(.dense(out: 6)), LayerSpec(.batchNorm), LayerSpec(.relu),
      LayerSpec(.dropout(p: 0.3)), LayerSpec(.dense(out: 3)),
    ]
    #expect(try Self.worstError(specs, input: Self.map, images: 20) < Tolerance.gradientCheck)
  }

  /// Chunks are 16 images: a batch of 40 spans three, so batch norm's statistics and the gradient
  /// sums cross chunk boundaries.
  @Test func gradientsAcrossChunks() throws {
    let specs =
      [
        LayerSpec(.conv(out: 3, kernel: 3, stride: 1, pad: 1, groups: 1)), LayerSpec(.batchNorm),
        LayerSpec(.relu),
      ] + Self.head()
    #expect(try Self.worstError(specs, input: Self.map, images: 40) < Tolerance.gradientCheck)
  }
}
