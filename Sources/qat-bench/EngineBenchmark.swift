import Foundation
import QatEngine
import QatImages
import QatSupport

/// Training and fp32 inference speed for Net A (on samples/digits) and Net B (28×28, synthetic
/// pixels), next to SPEC §8's targets: training rate over epochs 2..E (evaluation excluded),
/// batch-1 latency on one thread, batch-256 throughput on the benchmark's threads.
enum EngineBenchmark {
  static let block: [LayerSpec] = [
    LayerSpec(.conv(out: 16, kernel: 3, stride: 1, pad: 1, groups: 1)), LayerSpec(.batchNorm), LayerSpec(.relu),
    LayerSpec(.maxpool(kernel: 2, stride: 2)),
    LayerSpec(.conv(out: 32, kernel: 3, stride: 1, pad: 1, groups: 1)), LayerSpec(.batchNorm), LayerSpec(.relu),
    LayerSpec(.maxpool(kernel: 2, stride: 2)), LayerSpec(.flatten),
  ]
  static let netA = block + [LayerSpec(.dense(out: 10))]
  static let netB = block + [LayerSpec(.dense(out: 64)), LayerSpec(.relu), LayerSpec(.dense(out: 10))]

  struct Subject {
    let name: String
    let specs: [LayerSpec]
    let data: LabeledImages
    let epochs: Int
    let trainingTarget: Double
    let throughputTarget: Double
  }

  /// Ignores progress; never stops.
  final class Quiet: TrainingMonitor {
    func batchFinished(_ progress: TrainingProgress) {}
    func epochFinished(_ record: EpochRecord, number: Int, of epochs: Int) {}
    func shouldStop() -> Bool { false }
  }

  static func synthetic(count: Int, side: Int, classes: Int) -> LabeledImages {
    var random = SeededRandom(seed: 42)
    let pixels = (0..<(count * side * side)).map { _ in Float(random.nextUnit() * 2 - 1) }
    let labels = (0..<count).map { $0 % classes }
    return LabeledImages(nchw: pixels, labels: labels, shape: ActivationShape(channels: 1, height: side, width: side))
  }

  /// The training split of samples/digits (Net A's data) as engine images.
  static func digitsTraining(threads: Int) throws -> LabeledImages {
    let digits = try ImageFolderLoader.load(
      "samples/digits", options: ImageFolderOptions(threads: threads), cache: nil, isInterrupted: { false })
    let train = digits.train
    return LabeledImages(
      nchw: train.pixels, labels: train.labels,
      shape: ActivationShape(channels: train.channels, height: train.height, width: train.width))
  }

  static func run(threads: Int) throws {
    let a = try digitsTraining(threads: threads)
    let subjects = [
      Subject(
        name: "Net A (8x8 digits)", specs: netA, data: a, epochs: 6, trainingTarget: 48_000, throughputTarget: 480_000),
      Subject(
        name: "Net B (28x28)", specs: netB, data: synthetic(count: 4_000, side: 28, classes: 10), epochs: 4,
        trainingTarget: 14_000, throughputTarget: 45_000),
    ]
    print("fp32 engine: training (SGD momentum 0.9, batch 32) and inference; \(threads) threads unless noted")
    var table = ReportTable()
    table.add("", "training", "target", "batch 1 (1 thread)", "batch 256", "target")
    for s in subjects {
      var random = SeededRandom(seed: 0)
      // Training: the median over 3 runs of the rate over epochs 2..E.
      var rates: [Double] = []
      for _ in 0..<3 {
        let net = try Network.build(s.specs, input: s.data.shape, random: &random)
        _ = net.train(
          on: s.data, options: TrainingOptions(epochs: s.epochs, threads: threads), random: &random, monitor: Quiet())
        let later = net.history.dropFirst()
        rates.append(Double(later.count * s.data.count) / later.map(\.seconds).reduce(0, +))
      }
      rates.sort()
      let trained = try Network.build(s.specs, input: s.data.shape, random: &random)
      // fp32 inference runs its inference program (batch norm folded, fused epilogues), as
      // evaluate, predict and compare do.
      guard let net = FloatProgram(trained) else { throw IntegerConversionError(message: "no fp32 program") }
      let one = LabeledImages(
        nchw: Array(repeating: 0.5, count: s.data.shape.elements), labels: [0], shape: s.data.shape)
      let single = WorkerPool.shared(threads: 1), pool = WorkerPool.shared(threads: threads)
      var predictions: [Int32] = []
      let latency = Timing.median(runs: 2_000, warmup: 200) {
        _ = net.evaluate(one, pool: single, batch: 1, predictions: &predictions, logits: nil)
      }
      let passes = 8
      let wide = Timing.median(runs: 7, warmup: 2) {
        for _ in 0..<passes { _ = net.evaluate(s.data, pool: pool, batch: 256, predictions: &predictions, logits: nil) }
      }
      let throughput = Double(passes * s.data.count) / wide
      table.add(
        s.name, Units.imageRate(rates[1]), Units.imageRate(s.trainingTarget), String(format: "%.1f µs", latency * 1e6),
        Units.imageRate(throughput), Units.imageRate(s.throughputTarget))
    }
    print(table.render())
  }
}
