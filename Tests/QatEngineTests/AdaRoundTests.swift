import Foundation
import Testing

@testable import QatEngine
import QatModelFile
import QatSupport

/// AdaRound (Nagel et al. 2020) against its definition: the rectified sigmoid and the annealed
/// regularizer, the layer's output error, one step from nearest at most, a lower error, determinism,
/// and a model the integer engine and model files take like any other.
@Suite struct AdaRoundTests {
  static let pool = WorkerPool.shared(threads: 1)

  static func config(bits: Int, rounding: WeightRounding) -> QuantizationConfig {
    var config = IntegerAgreementTests.config(.ptq, bits: bits)
    config.rounding = rounding
    return config
  }

  /// Both roundings of the separable network (conv, depthwise, pointwise, dense) at `bits`.
  static func both(bits: Int = 4) throws -> (nearest: QuantizedNetwork, adaRound: QuantizedNetwork, LabeledImages) {
    let (net, data) = try QuantizedNetworkTests.trained(DataFreeQuantizationTests.separable)
    let nearest = try net.quantized(Self.config(bits: bits, rounding: .nearest), training: data, pool: Self.pool) {
      _ in
    }
    let rounded = try net.quantized(Self.config(bits: bits, rounding: .adaround), training: data, pool: Self.pool) {
      _ in
    }
    return (nearest, rounded, data)
  }

  /// Every conv/dense layer's weight levels q = round(w/s) (its stored weights are on the grid).
  static func levels(_ network: Network) -> [[Int32]] {
    network.ops.compactMap { $0 as? WeightedOperation }.map { op in
      guard let quantizer = op.weightQuantizer else { return [] }
      var levels = [Int32](repeating: 0, count: op.layout.count)
      op.layout.forEach { k, ch in levels[k] = quantizer.params[ch].quantize(op.weight.value[k]) }
      return levels
    }
  }

  @Test func rectifiedSigmoidAndSchedule() {
    for fraction: Float in [0, 0.1, 0.5, 0.73, 0.999] {
      #expect(abs(AdaRound.rectified(AdaRound.initialV(fraction: fraction)) - fraction) < 1e-5)
    }
    // ζ = 1.1, γ = −0.1: h is exactly 0 and 1 beyond σ(V) = 1/12 and 11/12.
    #expect(AdaRound.rectified(-3) == 0 && AdaRound.rectified(3) == 1)
    #expect(AdaRound.rectifiedDerivative(-3) == 0 && AdaRound.rectifiedDerivative(0) > 0)
    let settings = AdaRound.Settings()
    #expect(settings.beta(at: 0) == nil && settings.beta(at: 199) == nil)
    #expect(settings.beta(at: 200) == 20)
    #expect(abs((settings.beta(at: 999) ?? 0) - 2) < 0.03)
    // The regularizer is 1 at h = ½ and 0 at 0 and 1; its derivative matches a central difference.
    #expect(AdaRound.regularizer(0.5, beta: 2).value == 1 && AdaRound.regularizer(1, beta: 20).value == 0)
    for (h, beta) in [(0.3, 2.0), (0.8, 7.5), (0.55, 20.0)] {
      let e = 1e-4
      let numeric =
        (AdaRound.regularizer(Float(h + e), beta: beta).value - AdaRound.regularizer(Float(h - e), beta: beta).value)
        / (2 * e)
      let analytic = AdaRound.regularizer(Float(h), beta: beta).derivative
      #expect(abs(numeric - analytic) < 1e-2 * max(1, abs(analytic)), "h \(h) β \(beta): \(numeric) vs \(analytic)")
    }
  }

  /// The worked example of docs/quantization.md §13: one output, two weights 0.45 and 0.35 on a grid
  /// of step 1, both inputs always 1. Nearest rounds both down and the output loses 0.8 (error
  /// 0.64); AdaRound rounds the larger one up and the output is 0.2 high (error 0.04).
  @Test func workedExample() throws {
    let gram = FloatBuffer([1, 1, 1, 1]), target = FloatBuffer([0.8, 0.8])
    let problem = AdaRoundProblem(
      rows: 2, columns: 1, weights: [0.45, 0.35], scales: [1], inverseScales: [1], qmin: -8, qmax: 7, gram: gram,
      target: target, constant: 0.64)
    #expect(problem.nearestLevels() == [0, 0])
    #expect(abs(problem.reconstructionError(levels: [0, 0]) - 0.64) < 1e-6)
    let levels = try #require(problem.solve(settings: AdaRound.Settings()) { _, _ in false })
    #expect(levels == [1, 0])
    #expect(abs(problem.reconstructionError(levels: levels) - 0.04) < 1e-6)
  }

  /// Each weight's level is ⌊w/s⌋ or ⌊w/s⌋ + 1: at most one step from nearest; some weights do
  /// round the other way, and every layer's output error is no higher than with nearest (lower in all).
  @Test(arguments: [4, 3]) func oneStepFromNearestAndALowerError(bits: Int) throws {
    let (nearest, rounded, _) = try Self.both(bits: bits)
    let a = Self.levels(nearest.simulation), b = Self.levels(rounded.simulation)
    #expect(a.count == 4 && b.count == 4)
    var flipped = 0
    for (x, y) in zip(a, b) {
      #expect(zip(x, y).allSatisfy { abs($0 - $1) <= 1 })
      flipped += zip(x, y).filter { $0 != $1 }.count
    }
    #expect(flipped > 0)
    #expect(rounded.rounding.count == 4 && nearest.rounding.isEmpty)
    #expect(rounded.rounding.map(\.flipped).reduce(0, +) == flipped)
    for report in rounded.rounding {
      #expect(report.adaRoundError <= report.nearestError * 1.0001, "\(report)")
    }
    let before = rounded.rounding.map(\.nearestError).reduce(0, +)
    let after = rounded.rounding.map(\.adaRoundError).reduce(0, +)
    #expect(after < 0.95 * before, "\(after) vs \(before)")
  }

  /// The Gram-matrix error E(W̃) is the layer's output error measured directly: the mean over
  /// images and positions of Σ_c (ŷ_c − y_c)², ŷ the quantized network's conv output, y the fp32's.
  @Test func reconstructionErrorIsTheMeasuredOutputError() throws {
    let (net, data) = try QuantizedNetworkTests.trained(DataFreeQuantizationTests.separable)
    let config = Self.config(bits: 4, rounding: .adaround)
    let rounded = try net.quantized(config, training: data, pool: Self.pool) { _ in }.simulation
    let reference = try #require(try net.quantizationSource(config)).0
    let images = data.subset(Array(0..<Network.chunkSize))
    let quantizedValues = rounded.activationValues(images), fp32Values = reference.activationValues(images)
    for (i, r) in zip(BiasCorrection.weightedIndices(rounded), BiasCorrection.weightedIndices(reference)) {
      let op = try #require(rounded.ops[i] as? WeightedOperation), quantizer = try #require(op.weightQuantizer)
      let blocks = AdaRound.problems(
        op, quantizer: quantizer, inputs: (rounded, i), fp32: (reference, r), calibration: images, pool: Self.pool)
      var levels = Self.levels(rounded)[BiasCorrection.weightedIndices(rounded).firstIndex(of: i) ?? 0][...]
      var gram = 0.0
      for block in blocks {
        let mine = levels.prefix(block.rows * block.columns).map(Float.init)
        levels = levels.dropFirst(block.rows * block.columns)
        gram += block.reconstructionError(levels: mine)
      }
      let y = fp32Values[r + 1], ŷ = quantizedValues[i + 1]
      let rows = Double(y.count / op.output.channels)
      let direct = zip(y, ŷ).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) } / rows
      #expect(abs(gram - direct) <= 1e-3 * max(direct, 1e-3), "operation \(i): \(gram) vs \(direct)")
    }
  }

  @Test func deterministic() throws {
    let (_, first, _) = try Self.both()
    let (_, second, _) = try Self.both()
    #expect(Self.levels(first.simulation) == Self.levels(second.simulation))
    #expect(first.rounding == second.rounding)
  }

  /// The integer program computes the simulation's integers (as for nearest rounding), its weights
  /// are AdaRound's levels, and a model file keeps both the program and the fact.
  @Test func integerProgramAndModelFiles() throws {
    let (_, rounded, data) = try Self.both()
    let program = try #require(rounded.program)
    #expect(program.info.adaRounded)
    let (error, step) = IntegerAgreementTests.worstStepError(program, simulation: rounded.simulation, data: data)
    #expect(error <= Tolerance.integerStepLSB, "step \(step) is \(error) LSB from the simulation")
    let agreement = program.agreement(with: rounded.simulation, on: data, pool: Self.pool)
    #expect(agreement.samePredictions == data.count)
    let channels = program.inputShape.channels
    let file = ModelFile.integer(
      program, specs: [], mean: Array(repeating: 0, count: channels), std: Array(repeating: 1, count: channels),
      classNames: [])
    let decoded = try ModelFile.decode(try file.encoded())
    #expect(try ModelFileMetadata(reading: decoded).program?.info.adaRounded == true)
    let back = try IntegerNetwork.fromFileLayers(decoded.layers, info: program.info, output: program.outputIndex).get()
    #expect(back.activationIntegers(data, limit: 16) == program.activationIntegers(data, limit: 16))
  }

  /// A layer with more inputs per output than `maxInputs` keeps nearest rounding (its Gram matrices
  /// would be too large); the others are rounded.
  @Test func wideLayersKeepNearestRounding() throws {
    let (net, data) = try QuantizedNetworkTests.trained(DataFreeQuantizationTests.separable)
    let config = Self.config(bits: 4, rounding: .nearest)
    let simulation = try net.quantized(config, training: data, pool: Self.pool) { _ in }.simulation
    let before = Self.levels(simulation)
    let reference = try #require(try net.quantizationSource(Self.config(bits: 4, rounding: .adaround))).0
    var settings = AdaRound.Settings()
    settings.iterations = 200
    settings.maxInputs = 10
    let reports = try AdaRound.round(
      simulation, reference: reference, calibration: data, pool: Self.pool, settings: settings)
    let after = Self.levels(simulation)
    #expect(reports.map(\.inputs) == [18, 9, 4, 45] && reports.map(\.keptNearest) == [true, false, false, true])
    #expect(before[0] == after[0] && before[3] == after[3] && before[1...2] != after[1...2])
  }

  /// Stopping (Ctrl-C) throws with the layer under way.
  @Test func stopping() throws {
    let (net, data) = try QuantizedNetworkTests.trained(DataFreeQuantizationTests.separable)
    var calls = 0
    #expect(throws: AdaRoundInterrupted.self) {
      _ = try net.quantized(
        Self.config(bits: 4, rounding: .adaround), training: data, pool: Self.pool, fineTune: { _ in },
        rounding: { _ in
          calls += 1
          return calls > 3
        })
    }
  }
}
