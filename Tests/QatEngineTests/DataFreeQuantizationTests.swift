import Testing

@testable import QatEngine
import QatSupport

/// Cross-layer equalization and bias correction (Nagel et al. 2019) against their definitions.
@Suite struct DataFreeQuantizationTests {
  static let pool = WorkerPool.shared(threads: 1)

  /// conv–bn–relu, depthwise–bn–relu–maxpool, pointwise–bn–relu, flatten, dense: three pairs
  /// (conv → depthwise, depthwise → pointwise through max pooling, pointwise → dense through flatten).
  static var separable: [LayerSpec] {
    [
      LayerSpec(.conv(out: 4, kernel: 3, stride: 1, pad: 1, groups: 1)), LayerSpec(.batchNorm), LayerSpec(.relu),
      LayerSpec(.conv(out: 4, kernel: 3, stride: 1, pad: 1, groups: 4)), LayerSpec(.batchNorm), LayerSpec(.relu),
      LayerSpec(.maxpool(kernel: 2, stride: 2)),
      LayerSpec(.conv(out: 5, kernel: 1, stride: 1, pad: 0, groups: 1)), LayerSpec(.batchNorm), LayerSpec(.relu),
      LayerSpec(.flatten), LayerSpec(.dense(out: 3)),
    ]
  }

  static func equalizing(_ method: QuantMethod = .ptq) -> QuantizationConfig {
    var config = QuantizationConfig(method: method)
    config.equalize = true
    return config
  }

  static func equalized(_ net: Network) throws -> Network {
    try #require(try net.quantizationSource(Self.equalizing())).0
  }

  static func worstRelative(_ a: [Float], _ b: [Float]) -> Float {
    let scale = max(1, a.map(abs).max() ?? 1)
    return zip(a, b).map { abs($0 - $1) / scale }.max() ?? .infinity
  }

  /// The equalized network (batch norm folded, every pair rescaled) computes the original function.
  @Test func equalizationKeepsTheFunction() throws {
    let (net, data) = try QuantizedNetworkTests.trained(Self.separable)
    let random = GradientCheckTests.images(64, shape: QuantizedNetworkTests.input, classes: 3, seed: 21)
    let equalized = try Self.equalized(net)
    #expect(!equalized.ops.contains { $0 is BatchNormOp })
    for images in [data, random] {
      let before = QuantizedNetworkTests.logits(net, images), after = QuantizedNetworkTests.logits(equalized, images)
      let worst = Self.worstRelative(before, after)
      #expect(worst < Tolerance.equalizedFunction, "\(worst)")
    }
  }

  /// After convergence each pair's ranges match: r1_i = r2_i for every channel.
  @Test func equalizationMatchesTheRanges() throws {
    let (net, _) = try QuantizedNetworkTests.trained(Self.separable)
    let (folded, _) = try net.foldingBatchNorms()
    let report = CrossLayerEqualization.equalize(folded)
    #expect(report.converged && report.iterations > 1, "\(report)")
    #expect(report.iterations > 1 && report.iterations < CrossLayerEqualization.maxIterations)
    #expect(report.pairs.map(\.first) == [0, 2, 5] && report.pairs.map(\.second) == [2, 5, 8])
    var unequal = 0.0
    for pair in report.pairs {
      guard let first = folded.ops[pair.first] as? WeightedOperation,
        let second = folded.ops[pair.second] as? WeightedOperation
      else { continue }
      let r1 = CrossLayerEqualization.outputRanges(first)
      let r2 = CrossLayerEqualization.inputRanges(second, channels: pair.channels)
      for (a, b) in zip(r1, r2) { unequal = max(unequal, abs(a - b) / max(a, b)) }
    }
    #expect(unequal < Tolerance.equalizedRanges, "\(unequal)")
    // Before equalizing they were far apart.
    let (original, _) = try net.foldingBatchNorms()
    let pair = report.pairs[1]
    let depthwise = try #require(original.ops[pair.first] as? WeightedOperation)
    let pointwise = try #require(original.ops[pair.second] as? WeightedOperation)
    let r1 = CrossLayerEqualization.outputRanges(depthwise)
    let r2 = CrossLayerEqualization.inputRanges(pointwise, channels: pair.channels)
    #expect(zip(r1, r2).contains { abs($0 - $1) / max($0, $1) > 0.1 })
  }

  /// One scaling step by hand: dense(2) → relu → dense(1) with W1 = [[0.5, −1], [0.1, 0.2]],
  /// b1 = [0.3, −0.4], W2 = [[2, 0.05]]: r1 = [1, 0.2], r2 = [2, 0.05], s = √(r1/r2) = [√0.5, 2];
  /// W1 ← [[0.70711, −1.41421], [0.05, 0.1]], b1 ← [0.42426, −0.2], W2 ← [[1.41421, 0.1]] — both
  /// ranges become √(r1·r2) = [1.41421, 0.1].
  @Test func oneScalingStepByHand() throws {
    var random = SeededRandom(seed: 1)
    let net = try Network.build(
      [LayerSpec(.flatten), LayerSpec(.dense(out: 2)), LayerSpec(.relu), LayerSpec(.dense(out: 1))],
      input: ActivationShape(channels: 2, height: 1, width: 1), random: &random)
    let first = try #require(net.ops[1] as? DenseOp), second = try #require(net.ops[3] as? DenseOp)
    first.setUserWeights([0.5, -1.0, 0.1, 0.2])
    first.bias.value[0] = 0.3
    first.bias.value[1] = -0.4
    second.setUserWeights([2.0, 0.05])
    let pairs = CrossLayerEqualization.pairs(in: net)
    #expect(pairs == [CrossLayerEqualization.Pair(first: 1, second: 3, channels: 2)])
    let moved = CrossLayerEqualization.step(pairs[0], in: net)
    #expect(abs(moved - 1) < Tolerance.float64Formula)  // s = [0.70711, 2]: the largest |s − 1| is 1
    let expected: [(got: Float, want: Float)] = [
      (first.userWeights()[0], 0.70711), (first.userWeights()[1], -1.41421), (first.userWeights()[2], 0.05),
      (first.userWeights()[3], 0.1), (first.bias.value[0], 0.42426), (first.bias.value[1], -0.2),
      (second.userWeights()[0], 1.41421), (second.userWeights()[1], 0.1),
    ]
    for (got, want) in expected { #expect(abs(got - want) < Tolerance.handScaling, "\(got) ≠ \(want)") }
  }

  /// ReLU6 does not pair (its cap does not scale), nor does a conv whose output a residual add also
  /// reads; the depthwise → pointwise pair inside a residual block does.
  @Test func residualAndReLU6AreNotPaired() throws {
    let (net, _) = try QuantizedNetworkTests.trained(IntegerAgreementTests.everyLayer, epochs: 1)
    let (folded, _) = try net.foldingBatchNorms()
    let pairs = CrossLayerEqualization.pairs(in: folded)
    #expect(pairs.count == 1)
    let pair = try #require(pairs.first)
    let first = try #require(folded.ops[pair.first] as? ConvOp)
    let second = try #require(folded.ops[pair.second] as? ConvOp)
    #expect(first.depthwise && second.kernel == 1)
  }

  /// Bias correction leaves no mean error at any conv/dense output on the calibration images (there
  /// was one before), and the integer program still agrees with its simulation.
  @Test(arguments: [false, true]) func biasCorrectionZeroesTheMeanError(equalize: Bool) throws {
    let (net, data) = try QuantizedNetworkTests.trained(Self.separable)
    var config = IntegerAgreementTests.config(.ptq, bits: 4)
    config.equalize = equalize
    config.biasCorrection = true
    let reference = try #require(try net.quantizationSource(config)).0
    let fp32 = BiasCorrection.weightedIndices(reference)
    let targets = BiasCorrection.channelMeans(reference, activations: fp32.map { $0 + 1 }, data: data, pool: Self.pool)
    func worstMeanError(_ simulation: Network) -> Double {
      let quantized = BiasCorrection.weightedIndices(simulation)
      let means = BiasCorrection.channelMeans(
        simulation, activations: quantized.map { $0 + 1 }, data: data, pool: Self.pool)
      return zip(means, targets).flatMap { zip($0, $1).map { abs($0 - $1) / max(1, abs($1)) } }.max() ?? .infinity
    }
    var uncorrected = config
    uncorrected.biasCorrection = false
    let before = try net.quantized(uncorrected, training: data, pool: Self.pool) { _ in }
    let errorBefore = worstMeanError(before.simulation)
    #expect(errorBefore > 1e-3, "\(errorBefore)")
    let after = try net.quantized(config, training: data, pool: Self.pool) { _ in }
    let errorAfter = worstMeanError(after.simulation)
    #expect(errorAfter < Tolerance.correctedMeanError, "\(errorAfter)")
    let program = try #require(after.program)
    let (error, step) = IntegerAgreementTests.worstStepError(program, simulation: after.simulation, data: data)
    #expect(error <= Tolerance.integerStepLSB, "step \(step) is \(error) LSB from the simulation")
    let agreement = program.agreement(with: after.simulation, on: data, pool: Self.pool)
    #expect(Double(agreement.samePredictions) >= Tolerance.predictionAgreement4Bits * Double(data.count))
  }

  /// An equalized PTQ model keeps its accuracy in simulation without quantization noise: equalizing
  /// changes the grids, not the function.
  @Test func equalizedPTQStartsFromTheSameFunction() throws {
    let (net, data) = try QuantizedNetworkTests.trained(Self.separable)
    let prepared = try net.preparedForQuantization(Self.equalizing(), training: data, pool: Self.pool)
    QuantizedNetworkTests.withoutFakeQuantization(prepared)
    let before = QuantizedNetworkTests.logits(net, data)
    #expect(Self.worstRelative(before, QuantizedNetworkTests.logits(prepared, data)) < Tolerance.equalizedFunction)
  }
}
