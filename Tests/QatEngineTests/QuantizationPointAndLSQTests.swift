import Testing

@testable import QatEngine
import QatSupport

/// Where the quantization points go in less common networks.
@Suite struct QuantizationPointTests {
  static func points(_ specs: [LayerSpec], method: QuantMethod = .ptq) throws -> [String] {
    var random = SeededRandom(seed: 2)
    let input = ActivationShape(channels: 4, height: 6, width: 6)
    let net = try Network.build(specs, input: input, random: &random)
    let data = GradientCheckTests.images(8, shape: input, classes: 3, seed: 1)
    let prepared = try net.prepareQuantization(
      QuantizationConfig(method: method), calibration: data, pool: WorkerPool.shared(threads: 1))
    return prepared.quantization?.activations.map { $0.follows == nil ? $0.name : "(\($0.name) on its input's grid)" }
      ?? []
  }

  /// A residual block: the skip path reads the block's (quantized) input, the add is quantized with
  /// its ReLU; a lone ReLU6 is re-quantized, average pooling reuses its input's grid, a lone batch
  /// norm is a unit of its own.
  @Test func residualReluSixPoolingAndLoneBatchNorm() throws {
    let conv = LayerSpec(.conv(out: 4, kernel: 3, stride: 1, pad: 1, groups: 1))
    let specs = [
      conv, LayerSpec(.batchNorm), LayerSpec(.relu),
      LayerSpec(.residual([conv, LayerSpec(.batchNorm), LayerSpec(.relu), conv, LayerSpec(.batchNorm)])),
      LayerSpec(.relu),
      LayerSpec(.maxpool(kernel: 2, stride: 2)), LayerSpec(.relu6), LayerSpec(.batchNorm),
      LayerSpec(.globalAvgPool), LayerSpec(.flatten), LayerSpec(.dense(out: 3)),
    ]
    let name = "conv(4, kernel: 3, pad: 1)"
    let expected = [
      "input", name, name, name, "residual add", "relu6()", "batchnorm()", "(globalavgpool() on its input's grid)",
      "dense(3)",
    ]
    #expect(try Self.points(specs) == expected)
    #expect(try Self.points(specs, method: .qat) == expected)
  }

  /// Regression: a model ending in a grid-preserving layer (dropout, flatten) got a second logits
  /// quantizer, rounding the logits twice and defeating `keep: ["last"]`.
  @Test func trailingDropoutAddsNoSecondLogitsQuantizer() throws {
    let specs = [LayerSpec(.flatten), LayerSpec(.dense(out: 3)), LayerSpec(.dropout(p: 0.2))]
    #expect(try Self.points(specs) == ["input", "dense(3)"])
    #expect(
      try Self.points([LayerSpec(.flatten), LayerSpec(.dense(out: 3)), LayerSpec(.relu6)]) == ["input", "dense(3)"])
    #expect(
      try Self.points([LayerSpec(.globalAvgPool), LayerSpec(.flatten)]) == [
        "input", "(globalavgpool() on its input's grid)",
      ])
  }

  /// The residual block's output equals the fp32 one in evaluation with fake quantization off, in
  /// both folding styles (the skip reads the right activation after the operations are renumbered).
  @Test(arguments: [QuantMethod.ptq, .qat]) func residualNetworkKeepsItsFunction(method: QuantMethod) throws {
    let conv = LayerSpec(.conv(out: 4, kernel: 3, stride: 1, pad: 1, groups: 1))
    let specs = [
      conv, LayerSpec(.batchNorm), LayerSpec(.relu),
      LayerSpec(.residual([conv, LayerSpec(.batchNorm), LayerSpec(.relu), conv, LayerSpec(.batchNorm)])),
      LayerSpec(.relu), LayerSpec(.flatten), LayerSpec(.dense(out: 3)),
    ]
    let (net, data) = try QuantizedNetworkTests.trained(specs, epochs: 2)
    let before = QuantizedNetworkTests.logits(net, data)
    let prepared = try net.prepareQuantization(
      QuantizationConfig(method: method), calibration: data, pool: QuantizedNetworkTests.pool)
    QuantizedNetworkTests.withoutFakeQuantization(prepared)
    #expect(
      QuantizedNetworkTests.worstDifference(before, QuantizedNetworkTests.logits(prepared, data))
        < Tolerance.foldedBatchNorm)
    // With fake quantization on at 8 bits, the logits stay close.
    for q in prepared.quantization?.activations ?? [] { q.fakeQuantizing = true }
    for w in prepared.quantization?.weights ?? [] { w.fakeQuantizing = true }
    #expect(
      QuantizedNetworkTests.worstDifference(before, QuantizedNetworkTests.logits(prepared, data))
        < Tolerance.eightBitFakeQuantization)
  }
}

/// Learned step size (LSQ): the scale's gradient, and training that moves the scales.
@Suite struct LearnedStepSizeTests {
  /// ∂x̂/∂s by hand on a 2-bit grid with scale 0.5, zero point 1 (levels −0.5, 0, 0.5, 1):
  /// inside, round(x/s) − x/s; clipped, the clipped level minus the zero point.
  @Test func scaleDerivativeByHand() {
    let p = QuantParams(scale: 0.5, zeroPoint: 1, range: QuantRange(bits: 2, signed: false))
    let cases: [(Float, Float)] = [
      (0.3, 1 - 0.6),  // x/s = 0.6 rounds to 1
      (-0.2, 0 - -0.4),  // −0.4 rounds to 0
      (0.74, 1 - 1.48),  // 1.48 rounds to 1
      (-2.0, -1),  // clipped low: qmin − zp = 0 − 1
      (3.0, 2),  // clipped high: qmax − zp = 3 − 1
    ]
    for (x, expected) in cases {
      #expect(abs(LearnedStepSize.derivative(x, params: p) - expected) < Tolerance.float32Rounding, "x = \(x)")
    }
    #expect(LearnedStepSize.gradientScale(elements: 4, range: p.range) == 1 / Float(12).squareRoot())
  }

  /// The operation's scale gradient is Σ dy·∂x̂/∂s·g over the chunk, and the input gradient is the STE's.
  @Test func fakeQuantOpLearnsItsScale() {
    let quantizer = ActivationQuantizer(
      name: "t", range: QuantRange(bits: 2, signed: false), symmetric: false,
      observer: .minmax, averagingConstant: nil)
    quantizer.params = QuantParams(scale: 0.5, zeroPoint: 1, range: quantizer.range)
    quantizer.fakeQuantizing = true
    quantizer.learnScale()
    let op = FakeQuantOp(shape: ActivationShape(features: 5), quantizer: quantizer)
    #expect(op.parameters.count == 1 && op.parameters[0].value[0] == 0.5)
    let scratch = op.makeScratch(capacity: 1)
    let x = FloatBuffer([0.3, -0.2, 0.74, -2.0, 3.0]), y = FloatBuffer(count: 5)
    let dy = FloatBuffer([1, 2, 3, 4, 5]), dx = FloatBuffer(count: 5)
    let io = ChunkIO(
      count: 1, chunk: 0, x: x.pointer, y: y.pointer, dy: dy.pointer, dx: dx.pointer, scratch: scratch, stepSeed: 0)
    op.forward(phase: 0, io, training: true)
    op.backward(phase: 0, io)
    let expected = (1 * 0.4 + 2 * 0.4 + 3 * -0.48 + 4 * -1 + 5 * 2) / Float(15).squareRoot()
    #expect(abs(scratch.gradients[0][0] - expected) < Tolerance.float32OfOrderTen)
    #expect(dx.array == [1, 2, 3, 0, 0])
  }

  /// QAT with learned scales at 2 bits: the scales move away from their calibrated values, stay
  /// positive, and the model still learns.
  @Test func qatWithLearnedScalesTrains() throws {
    let (net, data) = try QuantizedNetworkTests.trained(epochs: 6)
    var config = QuantizationConfig(method: .qat)
    config.weightBits = 2
    config.activationBits = 2
    config.learnedScales = true
    let prepared = try net.prepareQuantization(config, calibration: data, pool: QuantizedNetworkTests.pool)
    guard let state = prepared.quantization else { Issue.record("not prepared"); return }
    let before = state.activations.map(\.params.scale)
    let weightScalesBefore = state.weights.compactMap { $0.learnedScales?.value.array }
    #expect(weightScalesBefore.count == 3)
    #expect(prepared.parameters.count == net.parameters.count + 4 + 3)
    var random = SeededRandom(seed: 4)
    struct Quiet: TrainingMonitor {
      func batchFinished(_ progress: TrainingProgress) {}
      func epochFinished(_ record: EpochRecord, number: Int, of epochs: Int) {}
      func shouldStop() -> Bool { false }
    }
    let outcome = prepared.train(
      on: data, options: TrainingOptions(epochs: 3, learningRate: 0.01, batchSize: 16), random: &random,
      monitor: Quiet())
    #expect(outcome == .finished)
    let after = state.activations.map(\.params.scale)
    #expect(zip(before, after).contains { $0 != $1 })
    #expect(after.allSatisfy { $0 > 0 })
    #expect(state.weights.compactMap { $0.learnedScales?.value.array } != weightScalesBefore)
    var predictions: [Int32] = []
    #expect(
      prepared.evaluate(data, pool: QuantizedNetworkTests.pool, predictions: &predictions).correct > data.count / 3)
  }
}

/// Quantization keeps the engine's promise: the same numbers for any thread count.
@Suite struct QuantizationDeterminismTests {
  @Test(arguments: [false, true]) func qatIsTheSameOnOneAndTwoThreads(learnedScales: Bool) throws {
    let (net, data) = try QuantizedNetworkTests.trained(epochs: 2)
    var results: [[[Float]]] = []
    for threads in [1, 2] {
      var config = QuantizationConfig(method: .qat)
      config.weightBits = 3
      config.activationBits = 3
      config.learnedScales = learnedScales
      let pool = WorkerPool.shared(threads: threads)
      let prepared = try net.prepareQuantization(config, calibration: data.subset(Array(0..<40)), pool: pool)
      struct Quiet: TrainingMonitor {
        func batchFinished(_ progress: TrainingProgress) {}
        func epochFinished(_ record: EpochRecord, number: Int, of epochs: Int) {}
        func shouldStop() -> Bool { false }
      }
      var random = SeededRandom(seed: 8)
      _ = prepared.train(
        on: data, options: TrainingOptions(epochs: 3, learningRate: 0.01, batchSize: 48, threads: threads),
        random: &random, monitor: Quiet())
      let scales = prepared.quantization?.activations.map(\.params.scale) ?? []
      results.append(prepared.parameters.map(\.value.array) + [scales])
    }
    #expect(results[0] == results[1])
  }
}

/// Training a fake-quantized network that diverges: detected although the grid hides it from the
/// loss, and rolled back — weights and quantizers alike.
@Suite struct QuantizedDivergenceTests {
  @Test func nonFiniteActivationsStopTrainingAndEverythingIsRestored() throws {
    let (net, data) = try QuantizedNetworkTests.trained(epochs: 2)
    var config = QuantizationConfig(method: .qat)
    config.freezeObserversAfter = 5
    let prepared = try net.prepareQuantization(config, calibration: data, pool: QuantizedNetworkTests.pool)
    guard let state = prepared.quantization else { Issue.record("not prepared"); return }
    struct Quiet: TrainingMonitor {
      func batchFinished(_ progress: TrainingProgress) {}
      func epochFinished(_ record: EpochRecord, number: Int, of epochs: Int) {}
      func shouldStop() -> Bool { false }
    }
    /// Records the state after every finished batch: what a divergence must return to.
    final class Recorder: TrainingMonitor {
      let network: Network
      let state: QuantizationState
      var last: ([QuantParams], [[Float]], [[QuantParams]])
      init(_ network: Network, _ state: QuantizationState) {
        self.network = network
        self.state = state
        last = (state.activations.map(\.params), network.parameters.map(\.value.array), state.weights.map(\.params))
      }
      func batchFinished(_ progress: TrainingProgress) {
        last = (state.activations.map(\.params), network.parameters.map(\.value.array), state.weights.map(\.params))
      }
      func epochFinished(_ record: EpochRecord, number: Int, of epochs: Int) {}
      func shouldStop() -> Bool { false }
    }
    var random = SeededRandom(seed: 3)
    let recorder = Recorder(prepared, state)
    let outcome = prepared.train(
      on: data, options: TrainingOptions(epochs: 3, learningRate: 1e25, batchSize: 24), random: &random,
      monitor: recorder)
    guard case let .diverged(_, _, what) = outcome else { Issue.record("not stopped: \(outcome)"); return }
    // lr 1e25 makes the weights huge but finite; the next batch's activations overflow, and only
    // fake quantization's observers see it.
    #expect(what == "an activation became NaN or infinite")
    #expect(state.activations.map(\.params) == recorder.last.0)
    #expect(state.weights.map(\.params) == recorder.last.2, "the weight observers' ranges are put back too")
    let restored = prepared.parameters.map(\.value.array) == recorder.last.1
    #expect(restored)
    #expect(
      state.activations.allSatisfy { $0.params.scale.isFinite && $0.tracker.min.isFinite && $0.tracker.max.isFinite })
  }

  /// The detection itself: a chunk with NaN or infinity is flagged in a training pass.
  @Test func fakeQuantOpFlagsNonFiniteValues() {
    let quantizer = ActivationQuantizer(
      name: "t", range: QuantRange(bits: 8, signed: false), symmetric: false,
      observer: .minmax, averagingConstant: nil)
    quantizer.params = QuantParams.fromRange(min: 0, max: 1, range: quantizer.range, symmetric: false)
    quantizer.fakeQuantizing = true
    let op = FakeQuantOp(shape: ActivationShape(features: 20), quantizer: quantizer)
    for bad in [Float.nan, .infinity, -.infinity] {
      guard let scratch = op.makeScratch(capacity: 1) as? FakeQuantOp.QuantScratch else { return }
      var values = [Float](repeating: 0.5, count: 20)
      let y = FloatBuffer(count: 20)
      let x = FloatBuffer(values)
      let clean = ChunkIO(
        count: 1, chunk: 0, x: x.pointer, y: y.pointer, dy: nil, dx: nil, scratch: scratch, stepSeed: 0)
      op.forward(phase: 0, clean, training: true)
      #expect(!scratch.nonFinite)
      values[17] = bad
      let dirty = FloatBuffer(values)
      op.forward(
        phase: 0,
        ChunkIO(count: 1, chunk: 0, x: dirty.pointer, y: y.pointer, dy: nil, dx: nil, scratch: scratch, stepSeed: 0),
        training: true)
      #expect(scratch.nonFinite, "\(bad)")
    }
  }
}
