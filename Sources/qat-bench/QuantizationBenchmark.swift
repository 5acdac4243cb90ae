import Foundation
import QatEngine
import QatImages
import QatSupport

/// The cost of quantization in simulation, Net A and Net B: PTQ (fold, two calibration passes over
/// 256 images, histogram search), QAT training with fake quantization against fp32 training (rate
/// over epochs 2..E), and fake-quantized inference at batch 256. The integer engine (next) is what
/// makes quantized models fast; these figures show what the simulation costs on top of fp32.
enum QuantizationBenchmark {
  static func run(threads: Int) throws {
    let a = try EngineBenchmark.digitsTraining(threads: threads)
    let subjects: [(String, [LayerSpec], LabeledImages, Int)] = [
      ("Net A (8x8 digits)", EngineBenchmark.netA, a, 6),
      ("Net B (28x28)", EngineBenchmark.netB, EngineBenchmark.synthetic(count: 4_000, side: 28, classes: 10), 4),
    ]
    print("quantization in simulation (fake quantization, 8 bits; \(threads) threads)")
    var table = ReportTable()
    table.add("", "PTQ (256 images)", "fp32 training", "QAT training", "fake-quant batch 256", "fp32 batch 256")
    let pool = WorkerPool.shared(threads: threads)
    for (name, specs, data, epochs) in subjects {
      var random = SeededRandom(seed: 0)
      let net = try Network.build(specs, input: data.shape, random: &random)
      _ = net.train(
        on: data, options: TrainingOptions(epochs: 1, threads: threads), random: &random,
        monitor: EngineBenchmark.Quiet())
      let ptq = try Timing.median(runs: 7, warmup: 1) {
        _ = try net.preparedForQuantization(QuantizationConfig(method: .ptq), training: data, pool: pool)
      }
      func trainingRate(_ network: Network) -> Double {
        let before = network.history.count
        _ = network.train(
          on: data, options: TrainingOptions(epochs: epochs, learningRate: 0.01, threads: threads), random: &random,
          monitor: EngineBenchmark.Quiet())
        let later = network.history[(before + 1)...]
        return Double(later.count * data.count) / later.map(\.seconds).reduce(0, +)
      }
      let fp32Rate = trainingRate(try net.copy())
      let prepared = try net.preparedForQuantization(QuantizationConfig(method: .qat), training: data, pool: pool)
      let qatRate = trainingRate(prepared)
      var predictions: [Int32] = []
      func throughput(_ network: Network) -> Double {
        let time = Timing.median(runs: 5, warmup: 1) {
          _ = network.evaluate(data, pool: pool, batch: 256, predictions: &predictions)
        }
        return Double(data.count) / time
      }
      table.add(
        name, String(format: "%.1f ms", ptq * 1e3), Units.imageRate(fp32Rate), Units.imageRate(qatRate),
        Units.imageRate(throughput(prepared)), Units.imageRate(throughput(net)))
    }
    print(table.render())
  }
}
