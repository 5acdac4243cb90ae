import Foundation
import QatEngine
import QatImages
import QatModelFile
import QatSupport

/// The integer engine against fp32 (SPEC §8): batch-1 latency on one thread (median µs), batch-256
/// throughput on the benchmark's threads, and the model file's size at 8, 4 and 2 bits against the
/// fp32 file — Net A on samples/digits, Net B on synthetic 28×28 images.
enum IntegerBenchmark {
  struct Subject {
    let name: String
    let specs: [LayerSpec]
    let data: LabeledImages
    let throughputTarget: Double
    let latencyTarget: Double?
  }

  static func run(threads: Int) throws {
    let a = try EngineBenchmark.digitsTraining(threads: threads)
    let subjects = [
      Subject(name: "Net A", specs: EngineBenchmark.netA, data: a, throughputTarget: 970_000, latencyTarget: 6),
      Subject(
        name: "Net B", specs: EngineBenchmark.netB,
        data: EngineBenchmark.synthetic(count: 4_000, side: 28, classes: 10),
        throughputTarget: 90_000, latencyTarget: nil),
    ]
    print(
      "integer engine vs fp32: batch 1 on 1 thread (median µs), batch 256 on \(threads) threads (images/s), PTQ 8-bit")
    var speed = ReportTable()
    speed.add("", "fp32 batch 1", "int batch 1", "target", "fp32 batch 256", "int batch 256", "speed-up", "target")
    var sizes = ReportTable()
    sizes.add("", "fp32 file", "int8", "× fp32", "4-bit", "× fp32", "2-bit", "× fp32")
    let pool = WorkerPool.shared(threads: threads), single = WorkerPool.shared(threads: 1)
    for s in subjects {
      var random = SeededRandom(seed: 0)
      let net = try Network.build(s.specs, input: s.data.shape, random: &random)
      _ = net.train(
        on: s.data, options: TrainingOptions(epochs: 1, threads: threads), random: &random,
        monitor: EngineBenchmark.Quiet())
      func program(bits: Int) throws -> IntegerNetwork {
        var config = QuantizationConfig(method: .ptq)
        config.weightBits = bits
        config.activationBits = bits
        guard let program = try net.quantized(config, training: s.data, pool: pool, fineTune: { _ in }).program else {
          throw IntegerConversionError(message: "no integer program")
        }
        return program
      }
      let int8 = try program(bits: 8)
      let one = LabeledImages(
        nchw: Array(repeating: 0.5, count: s.data.shape.elements), labels: [0], shape: s.data.shape)
      var predictions: [Int32] = []
      func latency(_ p: InferenceProgram) -> Double {
        Timing.median(runs: 3_000, warmup: 300) {
          _ = p.evaluate(one, pool: single, batch: 1, predictions: &predictions, logits: nil)
        }
      }
      func throughput(_ p: InferenceProgram) -> Double {
        let passes = 8
        let time = Timing.median(runs: 7, warmup: 2) {
          for _ in 0..<passes { _ = p.evaluate(s.data, pool: pool, batch: 256, predictions: &predictions, logits: nil) }
        }
        return Double(passes * s.data.count) / time
      }
      // The fp32 baseline is fp32's best: its inference program, as compare measures it.
      guard let fp32 = FloatProgram(net) else { throw IntegerConversionError(message: "no fp32 program") }
      let fp32Latency = latency(fp32), intLatency = latency(int8)
      let fp32Rate = throughput(fp32), intRate = throughput(int8)
      speed.add(
        s.name, String(format: "%.1f µs", fp32Latency * 1e6), String(format: "%.1f µs", intLatency * 1e6),
        s.latencyTarget.map { String(format: "≤ %.0f µs", $0) } ?? "–", Units.imageRate(fp32Rate),
        Units.imageRate(intRate),
        String(format: "%.2f×", intRate / fp32Rate), "≥ 2.5×, ≥ " + Units.imageRate(s.throughputTarget))
      let names = (0..<10).map(String.init), mean = [0.0], std = [1.0]
      let fp32Size = try ModelFile.fp32(net, mean: mean, std: std, classNames: names).encoded().count
      var row = [s.name, Units.bytes(fp32Size)]
      for bits in [8, 4, 2] {
        let p = bits == 8 ? int8 : try program(bits: bits)
        let size = try ModelFile.integer(p, specs: s.specs, mean: mean, std: std, classNames: names).encoded().count
        row += [Units.bytes(size), String(format: "%.3f", Double(size) / Double(fp32Size))]
      }
      sizes.rows.append(row)
    }
    print(speed.render())
    print("")
    print("model file sizes (targets: int8 ≤ 0.3×, 4-bit ≤ 0.17×, 2-bit ≤ 0.12× the fp32 file)")
    print(sizes.render())
  }
}
