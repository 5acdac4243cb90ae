import Testing

@testable import QatEngine
import QatSupport

/// The fp32 inference path (`FloatProgram`) against the training engine's evaluation: exact where
/// the sums are the same (no batch norm to fold), within float rounding where folding reorders them.
@Suite struct FloatProgramTests {
  static let input = ActivationShape(channels: 3, height: 8, width: 8)

  static func logits(_ program: InferenceProgram, _ data: LabeledImages, threads: Int = 1, batch: Int = 256)
    -> (logits: [Float], predictions: [Int32], loss: Double)
  {
    let out = FloatBuffer(count: data.count * program.outputShape.elements)
    var predictions: [Int32] = []
    let result = program.evaluate(
      data, pool: WorkerPool.shared(threads: threads), batch: batch, predictions: &predictions, logits: out.pointer)
    return (out.array, predictions, result.lossSum)
  }

  static func trained(_ specs: [LayerSpec], epochs: Int = 2) throws -> Network {
    var random = SeededRandom(seed: 3)
    let net = try Network.build(specs, input: input, random: &random)
    let data = GradientCheckTests.images(64, shape: input, classes: 4, seed: 11)
    _ = net.train(
      on: data, options: TrainingOptions(epochs: epochs, learningRate: 0.05, batchSize: 16), random: &random,
      monitor: EngineQuiet())
    return net
  }

  /// A network on `input` images trained 2 epochs (batch 8) on `images` random ones, and those images.
  static func trained(_ specs: [LayerSpec], input: ActivationShape, images: Int, seed: UInt64) throws
    -> (Network, LabeledImages)
  {
    var random = SeededRandom(seed: seed)
    let net = try Network.build(specs, input: input, random: &random)
    let data = GradientCheckTests.images(images, shape: input, classes: 4, seed: seed + 8)
    _ = net.train(
      on: data, options: TrainingOptions(epochs: 2, learningRate: 0.05, batchSize: 8), random: &random,
      monitor: EngineQuiet())
    return (net, data)
  }

  /// Without batch norm nothing is folded: conv + bias + ReLU, pooling, dense are the same
  /// operations in the same order, so the logits are identical bit for bit.
  @Test func matchesTheEngineExactlyWithoutBatchNorm() throws {
    let specs: [LayerSpec] = [
      LayerSpec(.conv(out: 6, kernel: 3, stride: 1, pad: 1, groups: 1)), LayerSpec(.relu),
      LayerSpec(.maxpool(kernel: 2, stride: 2)),
      LayerSpec(.conv(out: 8, kernel: 3, stride: 2, pad: 1, groups: 1)), LayerSpec(.relu6),
      LayerSpec(.conv(out: 8, kernel: 1, stride: 1, pad: 0, groups: 1)), LayerSpec(.relu),
      LayerSpec(.flatten), LayerSpec(.dense(out: 12)), LayerSpec(.relu), LayerSpec(.dropout(p: 0.3)),
      LayerSpec(.dense(out: 4)),
    ]
    let net = try Self.trained(specs)
    let program = try #require(FloatProgram(net))
    let data = GradientCheckTests.images(37, shape: Self.input, classes: 4, seed: 12)
    let engine = Self.logits(net, data), fast = Self.logits(program, data)
    #expect(engine.logits == fast.logits)
    #expect(engine.predictions == fast.predictions)
    #expect(engine.loss == fast.loss)
  }

  /// Batch norm folded (conv–bn–relu, a residual block, depthwise, a batch norm after pooling that
  /// cannot be folded, average and global pooling): the same function within float rounding.
  @Test func matchesTheEngineWithFoldedBatchNorm() throws {
    let block: [LayerSpec] = [
      LayerSpec(.conv(out: 8, kernel: 3, stride: 1, pad: 1, groups: 1)), LayerSpec(.batchNorm), LayerSpec(.relu),
      LayerSpec(.conv(out: 8, kernel: 3, stride: 1, pad: 1, groups: 1)), LayerSpec(.batchNorm),
    ]
    let specs: [LayerSpec] = [
      LayerSpec(.conv(out: 8, kernel: 3, stride: 1, pad: 1, groups: 1)), LayerSpec(.batchNorm), LayerSpec(.relu),
      LayerSpec(.residual(block)), LayerSpec(.relu),
      LayerSpec(.conv(out: 8, kernel: 3, stride: 1, pad: 1, groups: 8)), LayerSpec(.batchNorm), LayerSpec(.relu6),
      LayerSpec(.avgpool(kernel: 2, stride: 2)), LayerSpec(.batchNorm), LayerSpec(.relu),
      LayerSpec(.globalAvgPool), LayerSpec(.flatten), LayerSpec(.dense(out: 4)),
    ]
    let net = try Self.trained(specs, epochs: 3)
    let program = try #require(FloatProgram(net))
    let data = GradientCheckTests.images(40, shape: Self.input, classes: 4, seed: 13)
    let engine = Self.logits(net, data), fast = Self.logits(program, data)
    let scale = max(1, engine.logits.map(abs).max() ?? 1)
    let worst = zip(engine.logits, fast.logits).map { abs($0 - $1) / scale }.max() ?? .infinity
    #expect(worst < Tolerance.equalizedFunction, "\(worst)")
    #expect(abs(engine.loss - fast.loss) / max(1, abs(engine.loss)) < 1e-5)
    // Only one batch norm (after pooling) stays, as an affine step; the others were folded.
    let affine = program.steps.filter { if case .affine = $0.kind { return true } else { return false } }
    #expect(affine.count == 1 && affine.first?.reluCap == 0)
  }

  /// A stride-1 convolution with wide output rows reads its padded input in place (one GEMM per kernel
  /// row) instead of lowering it: the same function within float rounding, with and without padding.
  @Test func inPlaceConvolutionsMatchTheEngine() throws {
    let wide = ActivationShape(channels: 3, height: 22, width: 24)
    let specs: [LayerSpec] = [
      LayerSpec(.conv(out: 8, kernel: 3, stride: 1, pad: 1, groups: 1)), LayerSpec(.relu),
      LayerSpec(.conv(out: 12, kernel: 3, stride: 1, pad: 1, groups: 1)), LayerSpec(.batchNorm), LayerSpec(.relu),
      LayerSpec(.conv(out: 8, kernel: 3, stride: 1, pad: 0, groups: 1)), LayerSpec(.relu6),
      LayerSpec(.globalAvgPool), LayerSpec(.flatten), LayerSpec(.dense(out: 4)),
    ]
    let (net, data) = try Self.trained(specs, input: wide, images: 24, seed: 8)
    let program = try #require(FloatProgram(net))
    let inPlace = program.steps.filter {
      if case .conv(let c) = $0.kind { FloatProgram.readsInPlace(c) } else { false }
    }
    // The third convolution (unpadded); the second is 3×3 pad 1 and runs as Winograd, the first has 3
    // input channels.
    #expect(inPlace.count == 1)
    #expect(program.steps.filter { if case .winograd = $0.kind { true } else { false } }.count == 1)
    let engine = Self.logits(net, data), fast = Self.logits(program, data, threads: 2, batch: 7)
    let scale = max(1, engine.logits.map(abs).max() ?? 1)
    let worst = zip(engine.logits, fast.logits).map { abs($0 - $1) / scale }.max() ?? .infinity
    #expect(worst < Tolerance.equalizedFunction, "\(worst)")
    #expect(engine.predictions == fast.predictions)
  }

  /// 3×3 pad-1 convolutions with 8 or more input channels run as Winograd F(2×2, 3×3): on odd image
  /// sizes (tiles half outside), in a residual block, the same function as the engine's within float
  /// rounding, whatever the threads and round size.
  @Test func winogradConvolutionsMatchTheEngine() throws {
    let odd = ActivationShape(channels: 3, height: 7, width: 9)
    let block: [LayerSpec] = [
      LayerSpec(.conv(out: 12, kernel: 3, stride: 1, pad: 1, groups: 1)), LayerSpec(.batchNorm), LayerSpec(.relu),
      LayerSpec(.conv(out: 12, kernel: 3, stride: 1, pad: 1, groups: 1)), LayerSpec(.batchNorm),
    ]
    let specs: [LayerSpec] = [
      LayerSpec(.conv(out: 8, kernel: 3, stride: 1, pad: 1, groups: 1)), LayerSpec(.relu),
      LayerSpec(.conv(out: 12, kernel: 3, stride: 1, pad: 1, groups: 1)), LayerSpec(.batchNorm), LayerSpec(.relu),
      LayerSpec(.residual(block)), LayerSpec(.relu),
      LayerSpec(.globalAvgPool), LayerSpec(.flatten), LayerSpec(.dense(out: 4)),
    ]
    let (net, data) = try Self.trained(specs, input: odd, images: 40, seed: 9)
    let program = try #require(FloatProgram(net))
    #expect(program.steps.filter { if case .winograd = $0.kind { true } else { false } }.count == 3)
    let engine = Self.logits(net, data)
    let scale = max(1, engine.logits.map(abs).max() ?? 1)
    let reference = Self.logits(program, data)
    for (threads, batch) in [(1, 256), (2, 7), (2, 33)] {
      let fast = Self.logits(program, data, threads: threads, batch: batch)
      let worst = zip(engine.logits, fast.logits).map { abs($0 - $1) / scale }.max() ?? .infinity
      #expect(worst < Tolerance.equalizedFunction, "\(worst)")
      #expect(engine.predictions == fast.predictions)
      // Tile blocks cross image boundaries, but every output is its own sum: bit for bit the same.
      #expect(fast.logits == reference.logits, "\(threads) \(batch)")
    }
  }

  /// Every image is computed on its own: the thread count and the round size change nothing.
  @Test func resultsDoNotDependOnThreadsOrBatch() throws {
    let net = try Self.trained(ScaleSpecs.small)
    let program = try #require(FloatProgram(net))
    let data = GradientCheckTests.images(50, shape: Self.input, classes: 4, seed: 14)
    let reference = Self.logits(program, data)
    for (threads, batch) in [(2, 256), (2, 32), (2, 1), (1, 7), (2, 33)] {
      let other = Self.logits(program, data, threads: threads, batch: batch)
      #expect(other.logits == reference.logits && other.predictions == reference.predictions, "\(threads) \(batch)")
      // The loss is summed per chunk of 16 images, then in chunk order: exact when the rounds cut the
      // images into the same chunks, within float64 rounding otherwise.
      if batch % FloatProgram.chunkSize == 0 {
        #expect(other.loss == reference.loss)
      } else {
        #expect(abs(other.loss - reference.loss) <= 1e-12 * max(1, abs(reference.loss)))
      }
    }
  }

  /// Buffers are reused once their last reader has run: a long chain needs two (the input's among them),
  /// a residual block one more for its skip input, and ReLUs fuse into the step before them.
  @Test func buffersAreReusedAndReLUsFused() throws {
    var chain: [LayerSpec] = []
    for _ in 0..<6 {
      chain += [
        LayerSpec(.conv(out: 4, kernel: 3, stride: 1, pad: 1, groups: 1)), LayerSpec(.batchNorm), LayerSpec(.relu),
      ]
    }
    chain += [LayerSpec(.flatten), LayerSpec(.dense(out: 4))]
    var random = SeededRandom(seed: 1)
    let plain = try #require(FloatProgram(try Network.build(chain, input: Self.input, random: &random)))
    #expect(plain.steps.count == 7)
    #expect(plain.bufferCount == 2)
    #expect(plain.steps.dropLast().allSatisfy { $0.reluCap == 0 })
    let residual = try #require(FloatProgram(try Network.build(ScaleSpecs.small, input: Self.input, random: &random)))
    #expect(residual.bufferCount == 3)
  }

  /// A fake-quantized network runs as it is: there is no fp32 program for it.
  @Test func fakeQuantizedNetworksHaveNone() throws {
    let net = try Self.trained(ScaleSpecs.small, epochs: 1)
    let data = GradientCheckTests.images(16, shape: Self.input, classes: 4, seed: 15)
    let prepared = try net.prepareQuantization(
      QuantizationConfig(method: .ptq), calibration: data, pool: WorkerPool.shared(threads: 1))
    #expect(FloatProgram(prepared) == nil)
  }
}

/// A small residual network: conv–bn–relu, a residual block, global pooling, dense.
enum ScaleSpecs {
  static var small: [LayerSpec] {
    [
      LayerSpec(.conv(out: 6, kernel: 3, stride: 1, pad: 1, groups: 1)), LayerSpec(.batchNorm), LayerSpec(.relu),
      LayerSpec(
        .residual([
          LayerSpec(.conv(out: 6, kernel: 3, stride: 1, pad: 1, groups: 1)), LayerSpec(.batchNorm), LayerSpec(.relu),
          LayerSpec(.conv(out: 6, kernel: 3, stride: 1, pad: 1, groups: 1)), LayerSpec(.batchNorm),
        ])), LayerSpec(.relu),
      LayerSpec(.globalAvgPool), LayerSpec(.flatten), LayerSpec(.dense(out: 4)),
    ]
  }
}

/// Ignores training progress.
struct EngineQuiet: TrainingMonitor {
  func batchFinished(_ progress: TrainingProgress) {}
  func epochFinished(_ record: EpochRecord, number: Int, of epochs: Int) {}
  func shouldStop() -> Bool { false }
}
