import CKernels
import Foundation
import QatEngine
import QatSupport

/// Networks of the size people teach with on CIFAR-10, on generated 32×32 RGB images: training rate,
/// fp32 and integer inference at batch 256 and batch 1, and peak memory of each phase. The PyTorch and
/// ONNX Runtime counterparts are scripts/pytorch/bench-scale (run them in the same window).
enum ScaleBenchmark {
  static func conv(_ out: Int, stride: Int = 1) -> [LayerSpec] {
    [
      LayerSpec(.conv(out: out, kernel: 3, stride: stride, pad: 1, groups: 1)), LayerSpec(.batchNorm),
      LayerSpec(.relu),
    ]
  }

  /// Two 3×3 convolutions with batch norm, added to the block's input, then ReLU.
  static func residual(_ channels: Int) -> [LayerSpec] {
    let inner =
      conv(channels) + [
        LayerSpec(.conv(out: channels, kernel: 3, stride: 1, pad: 1, groups: 1)), LayerSpec(.batchNorm),
      ]
    return [LayerSpec(.residual(inner)), LayerSpec(.relu)]
  }

  static let pool = LayerSpec(.maxpool(kernel: 2, stride: 2))

  /// VGG-style, 160,554 parameters.
  static let netC: [LayerSpec] =
    conv(32) + conv(32) + [pool] + conv(64) + conv(64) + [pool] + conv(128) + [pool]
    + [LayerSpec(.flatten), LayerSpec(.dense(out: 10))]

  /// ResNet-8-style, 483,402 parameters.
  static let netD: [LayerSpec] =
    conv(32) + residual(32) + conv(64, stride: 2) + residual(64) + conv(128, stride: 2) + residual(128)
    + [LayerSpec(.avgpool(kernel: 8, stride: 8)), LayerSpec(.flatten), LayerSpec(.dense(out: 10))]

  static let shape = ActivationShape(channels: 3, height: 32, width: 32)

  /// `count` images of uniform noise in [−1, 1], labels cycling over 10 classes (seeded).
  static func synthetic(count: Int, seed: UInt64) -> LabeledImages {
    var random = SeededRandom(seed: seed)
    let pixels = (0..<(count * shape.elements)).map { _ in Float(random.nextUnit() * 2 - 1) }
    return LabeledImages(nchw: pixels, labels: (0..<count).map { $0 % 10 }, shape: shape)
  }

  static func run(threads: Int, only: String?) throws {
    let cpu = CPUName.current
    print("scale: Nets C and D on generated 32x32 RGB images, \(threads) threads unless noted · \(cpu)")
    let fp32Peak = probedFP32Peak()
    let int8Peak = Int8GemmBenchmark.probedPeak()
    print(
      String(
        format: "one-core register-only peaks on this host: fp32 FMA %.0f GFLOP/s, int8 vpdpbusd %.0f GOP/s",
        fp32Peak, int8Peak))
    let nets = [("Net C", netC), ("Net D", netD)].filter { only == nil || $0.0.lowercased().hasSuffix(only ?? "") }
    let train = synthetic(count: 1_280, seed: 1), test = synthetic(count: 1_024, seed: 2)
    let workers = WorkerPool.shared(threads: threads), single = WorkerPool.shared(threads: 1)
    var speed = ReportTable()
    speed.add(
      "", "params", "training", "fp32 b256 (engine)", "fp32 b256", "int8 b256", "int/fp32", "fp32 b1 (1 thr)",
      "int8 b1 (1 thr)")
    var memory = ReportTable()
    memory.add("", "training (batch 64)", "evaluate 10,240 images", "quantize (PTQ 8-bit)")
    var gemms: [(String, ConvShape)] = []
    for (name, specs) in nets {
      var random = SeededRandom(seed: 0)
      let net = try Network.build(specs, input: shape, random: &random)
      var rates: [Double] = []
      let trainingMemory = MemoryProbe.peakGrowth {
        _ = net.train(
          on: train, options: TrainingOptions(epochs: 3, batchSize: 64, threads: threads), random: &random,
          monitor: EngineBenchmark.Quiet())
        rates = net.history.dropFirst().map(\.imagesPerSecond).sorted()
      }
      var predictions: [Int32] = []
      guard let inference = FloatProgram(net) else { throw IntegerConversionError(message: "no fp32 program") }
      let big = synthetic(count: 10_240, seed: 3)
      let evaluateMemory = MemoryProbe.peakGrowth {
        _ = FloatProgram(net)?.evaluate(big, pool: workers, batch: 256, predictions: &predictions, logits: nil)
      }
      var program: IntegerNetwork?
      let quantizeMemory = try MemoryProbe.peakGrowth {
        program = try net.quantized(QuantizationConfig(method: .ptq), training: train, pool: workers) { _ in }.program
      }
      guard let program else { throw IntegerConversionError(message: "\(name) has no integer program") }
      let one = LabeledImages(nchw: Array(repeating: 0.5, count: shape.elements), labels: [0], shape: shape)
      func throughput(_ p: InferenceProgram) -> Double {
        let time = Timing.median(runs: 5, warmup: 1) {
          _ = p.evaluate(test, pool: workers, batch: 256, predictions: &predictions, logits: nil)
        }
        return Double(test.count) / time
      }
      func latency(_ p: InferenceProgram) -> Double {
        Timing.median(runs: 200, warmup: 20) {
          _ = p.evaluate(one, pool: single, batch: 1, predictions: &predictions, logits: nil)
        }
      }
      let engine = throughput(net), fp32 = throughput(inference), int8 = throughput(program)
      speed.add(
        name, Units.grouped(net.parameterCount), Units.imageRate(rates.last ?? 0), Units.imageRate(engine),
        Units.imageRate(fp32), Units.imageRate(int8), String(format: "%.2f×", int8 / fp32),
        String(format: "%.0f µs", latency(inference) * 1e6),
        String(format: "%.0f µs", latency(program) * 1e6))
      memory.add(
        name, trainingMemory.map(Units.bytes) ?? "n/a", evaluateMemory.map(Units.bytes) ?? "n/a",
        quantizeMemory.map(Units.bytes) ?? "n/a")
      gemms += ConvShape.of(specs, input: shape).map { (name, $0) }
    }
    print(speed.render())
    print("")
    print("peak memory above the resident size before each phase (VmHWM, Linux):")
    print(memory.render())
    print("")
    printGemmEfficiency(gemms, fp32Peak: fp32Peak, int8Peak: int8Peak)
  }

  /// Only inference at batch 256 — fp32, or the 8-bit PTQ integer program — for about 10 s, for a
  /// profiler to watch (`perf record -g .build/release/qat-bench profile-fp32 --net c`): the weights
  /// are untrained, the work the same.
  static func profileInference(threads: Int, only: String?, integer: Bool) throws {
    let (specs, test) = profiled(only)
    var random = SeededRandom(seed: 0)
    let net = try Network.build(specs, input: test.shape, random: &random)
    let pool = WorkerPool.shared(threads: threads)
    let program: InferenceProgram? =
      integer
      ? try net.quantized(QuantizationConfig(method: .ptq), training: test, pool: pool) { _ in }.program
      : FloatProgram(net)
    guard let program else { return }
    var predictions: [Int32] = []
    printRateOverTenSeconds {
      _ = program.evaluate(test, pool: pool, batch: 256, predictions: &predictions, logits: nil)
      return test.count
    }
  }

  /// The network a profile runs (C unless `only` names A, B or D) and 1,024 images for it (Nets A
  /// and B: 8×8 and 28×28 gray, as `qat-bench engine` has them).
  static func profiled(_ only: String?) -> ([LayerSpec], LabeledImages) {
    switch only {
    case "a": (EngineBenchmark.netA, EngineBenchmark.synthetic(count: 1_024, side: 8, classes: 10))
    case "b": (EngineBenchmark.netB, EngineBenchmark.synthetic(count: 1_024, side: 28, classes: 10))
    case "d": (netD, synthetic(count: 1_024, seed: 2))
    default: (netC, synthetic(count: 1_024, seed: 2))
    }
  }

  /// Only training (batch 64) for about 10 s, for a profiler to watch.
  static func profileTraining(threads: Int, only: String?) throws {
    var random = SeededRandom(seed: 0)
    let (specs, images) = profiled(only)
    let net = try Network.build(specs, input: images.shape, random: &random)
    let train = images.subset(Array(0..<640))
    printRateOverTenSeconds {
      _ = net.train(
        on: train, options: TrainingOptions(epochs: 1, batchSize: 64, threads: threads), random: &random,
        monitor: EngineBenchmark.Quiet())
      return train.count
    }
  }

  /// Runs `body` (which returns the images it processed) again and again for about 10 s and prints
  /// the rate.
  static func printRateOverTenSeconds(_ body: () -> Int) {
    let start = MonotonicClock.seconds()
    var images = 0
    while MonotonicClock.seconds() - start < 10 { images += body() }
    print(Units.imageRate(Double(images) / (MonotonicClock.seconds() - start)))
  }

  /// This host's register-only fp32 FMA rate for one core (the best of 5: a shared host only ever
  /// slows a probe down), 0 without AVX-512.
  static func probedFP32Peak() -> Double { (0..<5).map { _ in qk_fp32_peak_probe(20_000_000) }.max() ?? 0 }

  /// Each convolution's GEMM as the engine runs it — one pass of as many images as keep the lowered
  /// columns near 1 MB (at least one, at most a chunk of 16) — single thread, fp32 and int8, against
  /// this host's one-core peaks (probed again here, the best of both probes: load only lowers them).
  static func printGemmEfficiency(_ gemms: [(String, ConvShape)], fp32Peak: Double, int8Peak: Double) {
    let fp32Peak = max(fp32Peak, probedFP32Peak())
    let int8Peak = max(int8Peak, Int8GemmBenchmark.probedPeak())
    print(
      String(
        format: "convolution GEMMs, one pass as the engine runs it, 1 thread (peaks %.0f GFLOP/s, %.0f GOP/s):",
        fp32Peak, int8Peak))
    var table = ReportTable()
    table.add(
      "", "layer", "images", "m×n×k", "fp32 GFLOP/s", "% of peak", "int8 GOP/s", "% of peak", "fp32 inference",
      "GFLOP/s eq.")
    var seen = Set<String>()
    for (net, conv) in gemms {
      let images = min(16, max(1, 262_144 / max(1, conv.positions * conv.depth)))
      let m = images * conv.positions, n = conv.out, k = conv.depth
      let key = "\(m)x\(n)x\(k)"
      guard !seen.contains(key) else { continue }
      seen.insert(key)
      let fp32 = GemmBenchmark.gflops(QK_AVX512, GemmBenchmark.Shape(label: "", m: m, n: n, k: k))
      let int8 = Int8GemmBenchmark.gops(QK_AVX512, Int8GemmBenchmark.Shape(label: "", m: m, n: n, k: k))
      let (path, rate) = inferenceRate(conv) ?? ("GEMM", fp32)
      table.add(
        net, conv.label, "\(images)", "\(m)×\(n)×\(k)", String(format: "%.0f", fp32),
        fp32Peak > 0 ? String(format: "%.0f %%", 100 * fp32 / fp32Peak) : "–", String(format: "%.0f", int8),
        int8Peak > 0 ? String(format: "%.0f %%", 100 * int8 / int8Peak) : "–", path, String(format: "%.0f", rate))
    }
    print(table.render())
    print(
      "fp32 inference: the path FloatProgram takes for the layer, over 16 images, 1 thread, in GFLOP/s of the direct "
        + "convolution's 2·m·n·k (Winograd does 2.25× fewer multiplications, so it can pass the peak)")
  }

  /// The rate of the fp32 inference path's own kernel for `conv` when it is not the lowered GEMM:
  /// Winograd F(2×2, 3×3) for 3×3 stride-1 layers with ≥ 8 input channels, the direct narrow kernel
  /// for ≤ 4 input channels.
  static func inferenceRate(_ conv: ConvShape) -> (String, Double)? {
    let winograd = conv.kernel == 3 && conv.stride == 1 && conv.inChannels >= 8
    guard winograd || conv.inChannels <= 4 else { return nil }
    let n = 16, side = conv.inSide, cin = conv.inChannels, out = conv.out
    var random = SeededRandom(seed: 6)
    let x = (0..<(n * side * side * cin)).map { _ in Float(random.nextUnit() - 0.5) }
    let w = (0..<(conv.depth * out)).map { _ in Float(random.nextUnit() - 0.5) }
    let bias = [Float](repeating: 0.1, count: out)
    var y = [Float](repeating: 0, count: n * conv.positions * out)
    var shape = qk_conv_shape(
      n: Int32(n), h: Int32(side), w: Int32(side), c_in: Int32(cin), c_out: Int32(out), kernel: Int32(conv.kernel),
      stride: Int32(conv.stride), pad: Int32(conv.kernel / 2), groups: 1,
      out_h: Int32(conv.outSide), out_w: Int32(conv.outSide))
    let seconds: Double
    if winograd {
      var u = [Float](repeating: 0, count: 16 * cin * out)
      var work = [Float](repeating: 0, count: Int(qk_winograd_work_floats(Int32(cin), Int32(out))))
      qk_winograd_weights(w, Int32(cin), Int32(out), &u)
      seconds = Timing.median(runs: 15, warmup: 2) {
        qk_winograd_conv3x3(
          QK_AVX512, Int32(n), Int32(side), Int32(side), Int32(cin), Int32(out), x, u, bias, 0, &y, &work)
      }
    } else {
      var work = [Float](repeating: 0, count: Int(qk_conv_narrow_work_floats(&shape)))
      seconds = Timing.median(runs: 15, warmup: 2) { qk_conv_narrow(QK_AVX512, &shape, x, w, bias, 0, &y, &work) }
    }
    let flops = 2.0 * Double(n * conv.positions * out * conv.depth)
    return (winograd ? "Winograd" : "direct", flops / seconds / 1e9)
  }
}

/// One 3×3 convolution's GEMM shape per image, walked from a network's specs.
struct ConvShape {
  let label: String
  let positions: Int
  let out: Int
  let depth: Int
  /// The input's and the output's side, the input channels, the kernel and the stride (padding is
  /// kernel / 2).
  let inSide: Int
  let outSide: Int
  let inChannels: Int
  let kernel: Int
  let stride: Int

  static func of(_ specs: [LayerSpec], input: ActivationShape) -> [ConvShape] {
    var side = input.height, channels = input.channels, result: [ConvShape] = []
    func walk(_ specs: [LayerSpec]) {
      for spec in specs {
        switch spec.kind {
        case let .conv(out, kernel, stride, pad, _):
          let inSide = side
          side = (side + 2 * pad - kernel) / stride + 1
          result.append(
            ConvShape(
              label: "conv \(channels)→\(out) at \(side)×\(side)", positions: side * side, out: out,
              depth: kernel * kernel * channels, inSide: inSide, outSide: side, inChannels: channels, kernel: kernel,
              stride: stride))
          channels = out
        case let .maxpool(kernel, stride), let .avgpool(kernel, stride): side = (side - kernel) / stride + 1
        case .residual(let inner): walk(inner)
        default: break
        }
      }
    }
    walk(specs)
    return result
  }
}

/// The CPU's model name from /proc/cpuinfo, for every figure's caption.
enum CPUName {
  static let current: String = {
    guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return "unknown CPU" }
    for line in info.split(separator: "\n") where line.hasPrefix("model name") {
      return line.split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
    }
    return "unknown CPU"
  }()
}
