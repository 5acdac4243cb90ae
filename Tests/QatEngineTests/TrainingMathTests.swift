import Foundation
import Testing

@testable import QatEngine
import QatSupport

/// Optimizers, schedules, the loss and batch-norm statistics against hand-computed values, and a
/// small training run whose loss falls.
@Suite struct TrainingMathTests {
  static func tensor(_ values: [Float], gradient: [Float]) -> LearnableTensor {
    let t = LearnableTensor(name: "w", shape: [values.count])
    for i in values.indices {
      t.value[i] = values[i]
      t.gradient[i] = gradient[i]
    }
    return t
  }

  @Test func sgdWithMomentumAndWeightDecayFollowsPyTorch() {
    let w = Self.tensor([1, -2], gradient: [0.5, 0.25])
    let sgd = Optimizer(kind: .sgd(momentum: 0.9), weightDecay: 0.1, parameters: [w])
    sgd.step(lr: 0.1)
    // g' = g + 0.1·w = [0.6, 0.05]; v = g'; w = w − 0.1·v
    #expect(abs(w.value[0] - 0.94) < Tolerance.float32Rounding && abs(w.value[1] - -2.005) < Tolerance.float32Rounding)
    sgd.step(lr: 0.1)
    // g' = [0.5 + 0.094, 0.25 − 0.2005] = [0.594, 0.0495]; v = 0.9·v + g' = [1.134, 0.0945]
    #expect(abs(w.value[0] - (0.94 - 0.1134)) < Tolerance.float32Rounding)
    #expect(abs(w.value[1] - (-2.005 - 0.00945)) < Tolerance.float32Rounding)
  }

  @Test func adamTakesBiasCorrectedSteps() {
    let w = Self.tensor([1], gradient: [0.2])
    let adam = Optimizer(kind: .adam, weightDecay: 0, parameters: [w])
    adam.step(lr: 0.01)
    // First step: m̂ = g, v̂ = g², so the step is lr·g/(|g| + ε) ≈ lr.
    #expect(abs(w.value[0] - (1 - 0.01 * 0.2 / (0.2 + 1e-8))) < Tolerance.float32Rounding)
    w.gradient[0] = -0.4
    adam.step(lr: 0.01)
    let m = 0.9 * 0.02 + 0.1 * -0.4, v = 0.999 * 0.00004 + 0.001 * 0.16
    let expected = Float(0.99) - Float(0.01 * (m / (1 - 0.81)) / ((v / (1 - 0.998001)).squareRoot() + 1e-8))
    #expect(abs(w.value[0] - expected) < Tolerance.float32Rounding)
  }

  @Test func schedulesGiveTheDocumentedRates() {
    #expect(Schedule.constant.rate(base: 0.05, epoch: 7, epochs: 10) == 0.05)
    // step: ×0.1 after each ⌈10/3⌉ = 4 epochs
    #expect(
      [0, 3, 4, 7, 8, 9].map { Schedule.step.rate(base: 1, epoch: $0, epochs: 10) }.map { ($0 * 1000).rounded() / 1000 }
        == [1, 1, 0.1, 0.1, 0.01, 0.01])
    #expect(Schedule.cosine.rate(base: 0.1, epoch: 0, epochs: 4) == 0.1)
    #expect(abs(Schedule.cosine.rate(base: 0.1, epoch: 2, epochs: 4) - 0.05) < Tolerance.float64Formula)
    #expect(
      abs(Schedule.cosine.rate(base: 0.1, epoch: 1, epochs: 4) - 0.1 * (1 + cos(Double.pi / 4)) / 2)
        < Tolerance.float64Formula)
  }

  @Test func softmaxCrossEntropyMatchesTheFormula() {
    let logits: [Float] = [1, 2, 3, 1000, 1000, -5]
    let labels: [Int32] = [2, 0]
    var predictions: [Int32] = [0, 0]
    var gradient = [Float](repeating: 0, count: 6)
    let (loss, correct) = SoftmaxCrossEntropy.apply(
      logits: logits, rows: 2, classes: 3, labels: labels,
      predictions: &predictions, gradient: &gradient, scale: 0.5)
    let first = log(exp(1.0) + exp(2.0) + exp(3.0)) - 3
    let second = log(2.0)  // two equal large logits: no overflow, ties go to the lowest class
    #expect(abs(loss - (first + second)) < Tolerance.crossEntropy)
    #expect(predictions == [2, 0] && correct == 2)
    #expect(abs(Double(gradient[0]) - 0.5 * exp(1.0) / (exp(1.0) + exp(2.0) + exp(3.0))) < Tolerance.float32InFloat64)
    #expect(
      abs(gradient[3] - 0.5 * (0.5 - 1)) < Tolerance.float32Rounding
        && abs(gradient[4] - 0.25) < Tolerance.float32Rounding)
  }

  /// Batch norm in training: batch statistics normalize; running statistics move by momentum 0.1
  /// towards the batch mean and the unbiased variance.
  @Test func batchNormUpdatesRunningStatisticsLikePyTorch() throws {
    var random = SeededRandom(seed: 1)
    let shape = ActivationShape(features: 2)
    let net = try Network.build([LayerSpec(.batchNorm), LayerSpec(.dense(out: 2))], input: shape, random: &random)
    let data = LabeledImages(nchw: [1, 10, 2, 20, 3, 30, 6, 40], labels: [0, 1, 0, 1], shape: shape)
    _ = net.trainBatch(Array(0..<4)[...], of: data, pool: WorkerPool.shared(threads: 1), stepSeed: 0)
    let stats = try #require(net.layers[0].runningStatistics)
    // Feature 0: mean 3, biased variance 3.5, unbiased 14/3.
    #expect(abs(stats.mean[0] - 0.3) < Tolerance.float32Rounding)
    #expect(abs(stats.variance[0] - (0.9 + 0.1 * 14.0 / 3)) < Tolerance.float32OfOrderTen)
    #expect(abs(stats.mean[1] - 2.5) < Tolerance.float32OfOrderTen)
  }

  @Test func dropoutScalesInTrainingAndIsTheIdentityInEvaluation() throws {
    var random = SeededRandom(seed: 2)
    let shape = ActivationShape(features: 1000)
    let net = try Network.build(
      [LayerSpec(.dropout(p: 0.25)), LayerSpec(.dense(out: 2))], input: shape, random: &random)
    let data = LabeledImages(nchw: [Float](repeating: 1, count: 1000), labels: [0], shape: shape)
    _ = net.trainBatch([0][...], of: data, pool: WorkerPool.shared(threads: 1), stepSeed: 99)
    let out = Array(net.slots[0].activations[1].array.prefix(1000))
    let kept = out.filter { $0 != 0 }
    #expect(kept.allSatisfy { abs($0 - 1 / 0.75) < Tolerance.float32Rounding })
    #expect(abs(Double(kept.count) / 1000 - 0.75) < Tolerance.dropoutKeptShare)
    var predictions: [Int32] = []
    _ = net.evaluate(data, pool: WorkerPool.shared(threads: 1), predictions: &predictions)
    let evaluated = net.slots[0].activations[1].array.prefix(1000)
    #expect(evaluated.allSatisfy { $0 == 1 }, "dropout is the identity in evaluation")
  }

  /// Ignores progress; stops never.
  final class Silent: TrainingMonitor {
    func batchFinished(_ progress: TrainingProgress) {}
    func epochFinished(_ record: EpochRecord, number: Int, of epochs: Int) {}
    func shouldStop() -> Bool { false }
  }

  /// A tiny separable problem: the loss falls by more than half and the training accuracy ends high.
  @Test func aTinyTrainingRunLowersTheLoss() throws {
    var random = SeededRandom(seed: 3)
    let shape = ActivationShape(channels: 1, height: 4, width: 4)
    var pixels: [Float] = [], labels: [Int] = []
    for i in 0..<64 {
      let label = i % 2
      labels.append(label)
      for p in 0..<16 {
        pixels.append(Float(label == 0 ? (p < 8 ? 1 : -1) : (p < 8 ? -1 : 1)) + Float(random.nextUnit() - 0.5))
      }
    }
    let data = LabeledImages(nchw: pixels, labels: labels, shape: shape)
    let net = try Network.build(
      [
        LayerSpec(.conv(out: 2, kernel: 3, stride: 1, pad: 1, groups: 1)), LayerSpec(.relu),
        LayerSpec(.flatten), LayerSpec(.dense(out: 2)),
      ], input: shape, random: &random)
    let outcome = net.train(
      on: data, options: TrainingOptions(epochs: 5, learningRate: 0.05, batchSize: 8), random: &random,
      monitor: Silent())
    #expect(outcome == .finished)
    #expect(net.history.count == 5)
    #expect(net.history[4].loss < net.history[0].loss / 2)
    #expect(net.history[4].accuracy > 0.95)
  }
}
