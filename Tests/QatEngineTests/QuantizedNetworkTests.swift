import Testing

@testable import QatEngine
import QatSupport

/// The fake-quantized network: folding, the straight-through estimator, calibration, PTQ and QAT.
@Suite struct QuantizedNetworkTests {
  static let input = ActivationShape(channels: 2, height: 6, width: 6)
  static let pool = WorkerPool.shared(threads: 1)

  /// conv–bn–relu–maxpool → conv–bn–relu → flatten → dense(3).
  static var specs: [LayerSpec] {
    [
      LayerSpec(.conv(out: 4, kernel: 3, stride: 1, pad: 1, groups: 1)), LayerSpec(.batchNorm), LayerSpec(.relu),
      LayerSpec(.maxpool(kernel: 2, stride: 2)),
      LayerSpec(.conv(out: 3, kernel: 3, stride: 1, pad: 1, groups: 1)), LayerSpec(.batchNorm), LayerSpec(.relu),
      LayerSpec(.flatten), LayerSpec(.dense(out: 3)),
    ]
  }

  /// A trained network (so batch norm's running statistics are not the identity) and its data.
  static func trained(_ specs: [LayerSpec] = specs, epochs: Int = 3) throws -> (Network, LabeledImages) {
    var random = SeededRandom(seed: 5)
    let net = try Network.build(specs, input: input, random: &random)
    let data = GradientCheckTests.images(48, shape: input, classes: 3, seed: 9)
    struct Quiet: TrainingMonitor {
      func batchFinished(_ progress: TrainingProgress) {}
      func epochFinished(_ record: EpochRecord, number: Int, of epochs: Int) {}
      func shouldStop() -> Bool { false }
    }
    _ = net.train(
      on: data, options: TrainingOptions(epochs: epochs, learningRate: 0.05, batchSize: 16), random: &random,
      monitor: Quiet())
    return (net, data)
  }

  static func logits(_ net: Network, _ data: LabeledImages) -> [Float] {
    let out = FloatBuffer(count: data.count * net.outputShape.elements)
    var predictions: [Int32] = []
    _ = net.evaluate(data, pool: pool, predictions: &predictions, logits: out.pointer)
    return out.array
  }

  static func worstDifference(_ a: [Float], _ b: [Float]) -> Float {
    zip(a, b).map { abs($0 - $1) / max(1, abs($0)) }.max() ?? .infinity
  }

  static func withoutFakeQuantization(_ net: Network) {
    for q in net.quantization?.activations ?? [] { q.fakeQuantizing = false }
    for w in net.quantization?.weights ?? [] { w.fakeQuantizing = false }
  }

  @Test func calibrationIndicesFollowTheFormula() {
    #expect(Network.calibrationIndices(count: 1437, samples: 256).prefix(4) == [0, 5, 11, 16])
    #expect(Network.calibrationIndices(count: 1437, samples: 256).last == 255 * 1437 / 256)
    #expect(Network.calibrationIndices(count: 10, samples: 256) == Array(0..<10))
  }

  /// PTQ folds batch norm into the weights: with fake quantization off, the folded network computes
  /// what the original computes in evaluation mode.
  @Test func ptqFoldingKeepsTheFunction() throws {
    let (net, data) = try Self.trained()
    let before = Self.logits(net, data)
    let prepared = try net.prepareQuantization(QuantizationConfig(method: .ptq), calibration: data, pool: Self.pool)
    #expect(!prepared.ops.contains { $0 is BatchNormOp })
    Self.withoutFakeQuantization(prepared)
    #expect(Self.worstDifference(before, Self.logits(prepared, data)) < Tolerance.foldedBatchNorm)
    // The fp32 network is untouched.
    #expect(Self.logits(net, data) == before)
  }

  /// QAT keeps batch norm and scales the weights by γ/σ before quantizing: in evaluation that is the
  /// folded layer again.
  @Test func qatFoldingKeepsTheFunction() throws {
    let (net, data) = try Self.trained()
    let before = Self.logits(net, data)
    let prepared = try net.prepareQuantization(QuantizationConfig(method: .qat), calibration: data, pool: Self.pool)
    #expect(prepared.ops.filter { $0 is BatchNormOp }.count == 2)
    Self.withoutFakeQuantization(prepared)
    #expect(Self.worstDifference(before, Self.logits(prepared, data)) < Tolerance.foldedBatchNorm)
  }

  /// Every fake-quantized activation lies on its grid: logits/scale + zero point is an integer in range.
  @Test func quantizedLogitsLieOnTheGrid() throws {
    let (net, data) = try Self.trained()
    var config = QuantizationConfig(method: .ptq)
    config.weightBits = 4
    config.activationBits = 4
    let prepared = try net.prepareQuantization(config, calibration: data, pool: Self.pool)
    guard let logitsQuantizer = prepared.quantization?.activations.last else { Issue.record("no quantizers"); return }
    let p = logitsQuantizer.params
    var levels: Set<Float> = []
    for v in Self.logits(prepared, data) {
      let q = v / p.scale + Float(p.zeroPoint)
      #expect(abs(q - q.rounded()) < Tolerance.logitGridLevel && q.rounded() >= 0 && q.rounded() <= 15)
      levels.insert(q.rounded())
    }
    #expect(levels.count > 2)
    // The quantization points: input, two conv units, the logits (max pooling and flatten need none).
    #expect(
      prepared.quantization?.activations.map(\.name) == [
        "input", "conv(4, kernel: 3, pad: 1)", "conv(3, kernel: 3, pad: 1)", "dense(3)",
      ])
  }

  /// Weights after quantization are integers times their channel's scale, within [−2^(b−1), 2^(b−1) − 1].
  @Test func weightsLieOnTheirChannelGrid() throws {
    let (net, data) = try Self.trained()
    var config = QuantizationConfig(method: .ptq)
    config.weightBits = 3
    let prepared = try net.prepareQuantization(config, calibration: data, pool: Self.pool)
    guard let conv = prepared.ops.first(where: { $0 is ConvOp }) as? ConvOp, let q = conv.weightQuantizer else {
      Issue.record("no quantized conv"); return
    }
    conv.beginForward(training: false)
    var distinct: Set<Float> = []
    for i in 0..<q.effective.count {
      let channel = i % conv.outChannels
      let level = q.effective[i] / q.params[channel].scale
      #expect(abs(level - level.rounded()) < Tolerance.weightGridLevel && level.rounded() >= -4 && level.rounded() <= 3)
      distinct.insert(level.rounded())
    }
    #expect(distinct.count >= 5)
  }

  /// The straight-through estimator at the operation: the gradient passes where x rounds into the
  /// range — where a finite difference of the clamp to [lowest − scale/2, highest + scale/2] is 1 —
  /// and is zero where x was clipped (the difference quotient is 0 there). PyTorch's mask tests the
  /// rounded value, so x half a step beyond the range still passes.
  @Test func straightThroughEstimatorMatchesTheClampsDerivative() {
    let shape = ActivationShape(features: 8)
    let quantizer = ActivationQuantizer(
      name: "t", range: QuantRange(bits: 4, signed: false), symmetric: false,
      observer: .minmax, averagingConstant: nil)
    quantizer.params = QuantParams.fromRange(min: -1, max: 2, range: quantizer.range, symmetric: false)
    quantizer.fakeQuantizing = true
    let op = FakeQuantOp(shape: shape, quantizer: quantizer)
    let scratch = op.makeScratch(capacity: 1)
    let xs: [Float] = [-3, -1.05, -0.5, 0, 0.37, 1.9, 2.15, 5]
    let x = FloatBuffer(xs), y = FloatBuffer(count: 8), dy = FloatBuffer((0..<8).map { Float($0) + 1 }),
      dx = FloatBuffer(count: 8)
    let io = ChunkIO(
      count: 1, chunk: 0, x: x.pointer, y: y.pointer, dy: dy.pointer, dx: dx.pointer, scratch: scratch, stepSeed: 0)
    op.forward(phase: 0, io, training: true)
    op.backward(phase: 0, io)
    let range = quantizer.params.representable
    for i in 0..<8 {
      let h = 1e-3
      let half = Double(quantizer.params.scale) / 2
      func clamp(_ v: Double) -> Double {
        min(max(v, Double(range.lowerBound) - half), Double(range.upperBound) + half)
      }
      let slope = (clamp(Double(xs[i]) + h) - clamp(Double(xs[i]) - h)) / (2 * h)
      #expect(abs(Double(dx[i]) - slope * Double(dy[i])) < Tolerance.float32InFloat64, "x = \(xs[i])")
      #expect(y[i] == quantizer.params.fakeQuantize(xs[i]))
    }
    #expect(dx.array.filter { $0 == 0 }.count == 3)
  }

  /// The whole QAT backward pass — fake-quantized weights with the QAT batch-norm fold, batch norm
  /// live or frozen — against central differences of the loss. The weights are fake-quantized at
  /// 16 bits with half their range, so many are clipped (flat: their gradient must be zero, and γ
  /// gains the term through s = γ/σ) and the rest lie on a grid far finer than the step h.
  /// Activations are left unquantized here: their STE is checked at the operation above.
  @Test(arguments: [false, true]) func qatGradientMatchesFiniteDifferences(batchNormFrozen: Bool) throws {
    let (net, data) = try Self.trained(epochs: 1)
    var config = QuantizationConfig(method: .qat)
    config.weightBits = 16
    config.freezeObserversAfter = 0
    config.freezeBatchNormAfter = batchNormFrozen ? 0 : 100
    let prepared = try net.prepareQuantization(config, calibration: data, pool: Self.pool)
    guard let state = prepared.quantization else { Issue.record("not prepared"); return }
    state.epochStarting(state.startEpoch + 1)
    #expect(!state.observersActive)
    #expect(state.batchNormFrozen == batchNormFrozen)
    for q in state.activations { q.fakeQuantizing = false }
    for w in state.weights {
      w.setParams(w.params.map { QuantParams(scale: $0.scale / 2, zeroPoint: 0, range: $0.range) })
    }
    let batch = data.subset(Array(0..<12))
    // Training passes move batch norm's running statistics, and with them the fold factor: every
    // evaluation of the loss starts from the same ones.
    let statistics = prepared.ops.flatMap(\.buffers).map { $0.clone() }
    func loss() -> Double {
      for (target, saved) in zip(prepared.ops.flatMap(\.buffers), statistics) { target.copy(from: saved) }
      return GradientCheckTests.loss(prepared, batch)
    }
    func shiftedLoss(_ parameter: LearnableTensor, _ i: Int, _ delta: Float) -> Double {
      let original = parameter.value[i]
      parameter.value[i] = original + delta
      defer { parameter.value[i] = original }
      return loss()
    }
    let base = loss()
    let analytic = prepared.parameters.map { $0.gradient.array }
    var worst = 0.0, smooth = 0, sampled = 0
    let h: Float = 1e-3
    for (p, parameter) in prepared.parameters.enumerated() {
      for k in 0..<min(8, parameter.count) {
        let i = (k * 7919) % parameter.count
        let up = shiftedLoss(parameter, i, h), down = shiftedLoss(parameter, i, -h)
        let forward = (up - base) / Double(h), backward = (base - down) / Double(h),
          central = (up - down) / Double(2 * h)
        sampled += 1
        // A kink within reach (ReLU, pooling, a weight at the clipping edge): the one-sided quotients differ.
        if abs(forward - backward) > 2e-4 + 2e-2 * abs(central) { continue }
        smooth += 1
        let a = Double(analytic[p][i])
        if abs(central - a) / max(abs(central) + abs(a), 1e-2) > 3e-2 {
          print("\(parameter.name)[\(i)]: numeric \(central), analytic \(a)")
        }
        worst = max(worst, abs(central - a) / max(abs(central) + abs(a), 1e-2))
      }
    }
    #expect(smooth * 2 >= sampled)
    #expect(worst < Tolerance.gradientCheck)
    // A good share of the weights is clipped, and their gradient is exactly zero.
    let clipped = state.weights.map { w in (0..<w.mask.count).filter { w.mask[$0] == 0 }.count }.reduce(0, +)
    #expect(clipped > 20)
  }

  /// QAT end to end on the tiny net: the schedule freezes batch norm after epoch 1 and the observers
  /// after epoch 2; the fp32 net is untouched; the result is at least as good as PTQ at 2 bits here.
  @Test func qatScheduleAndResult() throws {
    let (net, data) = try Self.trained(epochs: 6)
    let fp32Weights = net.parameters.map { $0.value.array }
    var config = QuantizationConfig(method: .qat)
    config.weightBits = 2
    config.activationBits = 2
    let prepared = try net.prepareQuantization(config, calibration: data, pool: Self.pool)
    guard let state = prepared.quantization else { Issue.record("not prepared"); return }
    final class Watch: TrainingMonitor {
      let state: QuantizationState
      var seen: [(Bool, Bool)] = []
      init(_ state: QuantizationState) { self.state = state }
      func batchFinished(_ progress: TrainingProgress) {
        if progress.batch == 1 { seen.append((state.batchNormFrozen, state.observersActive)) }
      }
      func epochFinished(_ record: EpochRecord, number: Int, of epochs: Int) {}
      func shouldStop() -> Bool { false }
    }
    let watch = Watch(state)
    var random = SeededRandom(seed: 1)
    let outcome = prepared.train(
      on: data, options: TrainingOptions(epochs: 3, learningRate: 0.01, batchSize: 16), random: &random, monitor: watch)
    #expect(outcome == .finished)
    #expect(watch.seen.map(\.0) == [false, true, true])
    #expect(watch.seen.map(\.1) == [true, true, false])
    #expect(prepared.history.count == net.history.count + 3)
    #expect(net.parameters.map { $0.value.array } == fp32Weights)
    state.convert()
    #expect(state.converted && state.batchNormFrozen && !state.observersActive)
    var predictions: [Int32] = []
    let qat = prepared.evaluate(data, pool: Self.pool, predictions: &predictions)
    let ptq = try net.prepareQuantization(
      {
        var c = QuantizationConfig(method: .ptq); c.weightBits = 2; c.activationBits = 2; return c
      }(),
      calibration: data, pool: Self.pool
    ).evaluate(data, pool: Self.pool, predictions: &predictions)
    #expect(qat.correct >= ptq.correct)
  }

  /// Histogram and percentile calibration choose ranges inside the min-max range.
  @Test(arguments: [ObserverKind.histogram, .percentile]) func histogramObserversNarrowTheRange(kind: ObserverKind)
    throws
  {
    let (net, data) = try Self.trained()
    var config = QuantizationConfig(method: .ptq)
    config.activationBits = 2
    let minmax = try net.prepareQuantization(
      {
        var c = config; c.observer = .minmax; return c
      }(), calibration: data, pool: Self.pool)
    config.observer = kind
    let searched = try net.prepareQuantization(config, calibration: data, pool: Self.pool)
    guard let a = minmax.quantization?.activations, let b = searched.quantization?.activations else { return }
    for (wide, narrow) in zip(a, b) where wide.follows == nil {
      #expect(narrow.params.representable.upperBound <= wide.params.representable.upperBound * 1.0001 + 1e-6)
    }
    #expect(zip(a, b).contains { $0.params.scale > $1.params.scale })
  }

  /// `keep` leaves a layer's weights and output at 8 bits.
  @Test func keptLayersStayAtEightBits() throws {
    let (net, data) = try Self.trained()
    var config = QuantizationConfig(method: .ptq)
    config.weightBits = 2
    config.activationBits = 2
    config.keep = [0]
    let prepared = try net.prepareQuantization(config, calibration: data, pool: Self.pool)
    #expect(prepared.quantization?.activations.map(\.range.bits) == [8, 8, 2, 2])
    #expect(prepared.quantization?.weights.map(\.range.bits) == [8, 2, 2])
  }
}

/// The deployed form of a QAT model: batch norm folded into the weights it scaled.
@Suite struct DeploymentFoldingTests {
  /// The weights QAT fake-quantized are, bit for bit, the deployed network's; its logits agree and
  /// it predicts the same classes.
  @Test(arguments: [false, true]) func foldedQATModelIsWhatWasTrained(learnedScales: Bool) throws {
    let conv = LayerSpec(.conv(out: 4, kernel: 3, stride: 1, pad: 1, groups: 1))
    let specs =
      QuantizedNetworkTests.specs.dropLast(2) + [
        LayerSpec(.residual([conv.with(out: 3), LayerSpec(.batchNorm), LayerSpec(.relu)])), LayerSpec(.flatten),
        LayerSpec(.dense(out: 3)),
      ]
    let (net, data) = try QuantizedNetworkTests.trained(Array(specs), epochs: 3)
    var config = QuantizationConfig(method: .qat)
    config.weightBits = 3
    config.activationBits = 4
    config.learnedScales = learnedScales
    let prepared = try net.prepareQuantization(config, calibration: data, pool: QuantizedNetworkTests.pool)
    struct Quiet: TrainingMonitor {
      func batchFinished(_ progress: TrainingProgress) {}
      func epochFinished(_ record: EpochRecord, number: Int, of epochs: Int) {}
      func shouldStop() -> Bool { false }
    }
    var random = SeededRandom(seed: 6)
    _ = prepared.train(
      on: data, options: TrainingOptions(epochs: 3, learningRate: 0.01, batchSize: 16), random: &random,
      monitor: Quiet())
    prepared.quantization?.convert()
    let before = QuantizedNetworkTests.logits(prepared, data)
    var p1: [Int32] = [], p2: [Int32] = []
    _ = prepared.evaluate(data, pool: QuantizedNetworkTests.pool, predictions: &p1)
    let trainedWeights = prepared.ops.compactMap { ($0 as? WeightedOperation)?.weightQuantizer?.effective.array }
    let deployed = prepared.foldingQATBatchNorms()
    #expect(prepared.ops.filter { $0 is BatchNormOp }.count == 3)
    #expect(deployed.ops.filter { $0 is BatchNormOp }.isEmpty)
    let after = QuantizedNetworkTests.logits(deployed, data)
    #expect(deployed.ops.compactMap { ($0 as? WeightedOperation)?.weightQuantizer?.effective.array } == trainedWeights)
    #expect(QuantizedNetworkTests.worstDifference(before, after) < Tolerance.foldedQATBatchNorm)
    _ = deployed.evaluate(data, pool: QuantizedNetworkTests.pool, predictions: &p2)
    #expect(zip(p1, p2).filter { $0 != $1 }.count <= Tolerance.foldedPredictionChanges)
    #expect(deployed.layers.map(\.spec) == net.layers.map(\.spec))
  }
}

extension LayerSpec {
  /// The same convolution with another number of outputs.
  func with(out: Int) -> LayerSpec {
    guard case let .conv(_, kernel, stride, pad, groups) = kind else { return self }
    return LayerSpec(.conv(out: out, kernel: kernel, stride: stride, pad: pad, groups: groups), tag: tag)
  }
}
