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
