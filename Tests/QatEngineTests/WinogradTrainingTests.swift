import Testing

@testable import QatEngine
import QatSupport

/// Training's Winograd path for 3×3 stride-1 pad-1 convolutions (ConvOp+Winograd.swift) against the
/// lowered path it replaces: one chunk forward and backward through the same layer both ways.
@Suite struct WinogradTrainingTests {
  static func conv(_ input: ActivationShape, out: Int, pad: Int = 1) -> ConvOp {
    let output = ActivationShape(channels: out, height: input.height + 2 * pad - 2, width: input.width + 2 * pad - 2)
    let conv = ConvOp(input: input, output: output, out: out, kernel: 3, stride: 1, pad: pad, groups: 1)
    var random = SeededRandom(seed: 21)
    for i in 0..<conv.weight.count { conv.weight.value[i] = Float(random.nextUnit() - 0.5) }
    for i in 0..<conv.bias.count { conv.bias.value[i] = Float(random.nextUnit() - 0.5) }
    return conv
  }

  /// y, dx, dW and db of one chunk of `images`, with training's Winograd path or with it turned off.
  static func pass(_ conv: ConvOp, images n: Int, winograd: Bool) -> (y: [Float], dx: [Float], dw: [Float], db: [Float])
  {
    var random = SeededRandom(seed: 22)
    let x = FloatBuffer((0..<(n * conv.input.elements)).map { _ in Float(random.nextUnit() * 2 - 1) })
    let dy = FloatBuffer((0..<(n * conv.output.elements)).map { _ in Float(random.nextUnit() * 2 - 1) })
    let y = FloatBuffer(count: n * conv.output.elements), dx = FloatBuffer(count: n * conv.input.elements)
    conv.beginForward(training: true)
    if !winograd { conv.winograd = nil }
    let scratch = conv.makeScratch(capacity: n)
    let io = ChunkIO(
      count: n, chunk: 0, x: x.pointer, y: y.pointer, dy: dy.pointer, dx: dx.pointer, scratch: scratch, stepSeed: 0)
    conv.forward(phase: 0, io, training: true)
    conv.backward(phase: 0, io)
    return (y.array, dx.array, scratch.gradients[0].array, scratch.gradients[1].array)
  }

  static func worst(_ a: [Float], _ b: [Float]) -> Float {
    let scale = max(1, a.map(abs).max() ?? 1)
    return zip(a, b).map { abs($0 - $1) / scale }.max() ?? .infinity
  }

  /// The output, the input gradient and the weight gradient agree within float rounding (other
  /// sums); the bias gradient is computed the same way on both paths, so it is identical.
  @Test func matchesTheLoweredPath() {
    let conv = Self.conv(ActivationShape(channels: 12, height: 9, width: 11), out: 20)
    let fast = Self.pass(conv, images: 5, winograd: true)
    #expect(conv.winograd != nil)
    let lowered = Self.pass(conv, images: 5, winograd: false)
    let y = Self.worst(fast.y, lowered.y), dx = Self.worst(fast.dx, lowered.dx)
    #expect(y < Tolerance.equalizedFunction, "\(y)")
    #expect(dx < Tolerance.equalizedFunction, "\(dx)")
    let dw = Self.worst(fast.dw, lowered.dw)
    #expect(dw < Tolerance.equalizedFunction, "\(dw)")
    #expect(fast.db == lowered.db)
  }

  /// Training with Winograd layers gives the same weights on any thread count: each chunk's tiles,
  /// and the order of every sum, are fixed by the chunk, never by the thread that runs it.
  @Test func trainingIsTheSameOnAnyThreadCount() throws {
    func trained(threads: Int) throws -> [Float] {
      var random = SeededRandom(seed: 5)
      let input = ActivationShape(channels: 3, height: 9, width: 8)
      let specs = [
        LayerSpec(.conv(out: 8, kernel: 3, stride: 1, pad: 1, groups: 1)), LayerSpec(.batchNorm), LayerSpec(.relu),
        LayerSpec(.conv(out: 8, kernel: 3, stride: 1, pad: 1, groups: 1)), LayerSpec(.batchNorm), LayerSpec(.relu),
        LayerSpec(.globalAvgPool), LayerSpec(.flatten), LayerSpec(.dense(out: 3)),
      ]
      let net = try Network.build(specs, input: input, random: &random)
      let data = GradientCheckTests.images(50, shape: input, classes: 3, seed: 6)
      let options = TrainingOptions(epochs: 2, learningRate: 0.05, batchSize: 40, threads: threads)
      _ = net.train(on: data, options: options, random: &random, monitor: EngineQuiet())
      #expect(net.ops.compactMap { ($0 as? ConvOp)?.winograd }.count == 1)
      return net.parameters.flatMap(\.value.array)
    }
    let one = try trained(threads: 1)
    #expect(try trained(threads: 2) == one)
    #expect(try trained(threads: 3) == one)
  }

  /// Which layers train with it: shaped for it (3×3, stride 1, pad 1, ≥ 8 input channels), at least 64
  /// output positions, not fake-quantized — and never in evaluation.
  @Test func whichLayersTrainWithIt() {
    func prepared(_ conv: ConvOp, training: Bool = true) -> Bool {
      conv.beginForward(training: training)
      return conv.winograd != nil
    }
    #expect(prepared(Self.conv(ActivationShape(channels: 8, height: 8, width: 8), out: 4)))
    #expect(!prepared(Self.conv(ActivationShape(channels: 8, height: 8, width: 8), out: 4), training: false))
    #expect(!prepared(Self.conv(ActivationShape(channels: 7, height: 8, width: 8), out: 4)))  // too few inputs
    #expect(!prepared(Self.conv(ActivationShape(channels: 8, height: 4, width: 4), out: 4)))  // 16 positions
    #expect(!prepared(Self.conv(ActivationShape(channels: 8, height: 10, width: 10), out: 4, pad: 0)))
  }
}
