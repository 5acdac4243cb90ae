import CKernels

/// A 3×3 convolution's weights transformed for Winograd F(2×2, 3×3) (`qk_winograd_conv3x3`): they serve
/// the forward pass and, read the other way round, the input gradient (`qk_winograd_conv3x3_adjoint`).
final class WinogradWeights {
  let transformed: FloatBuffer

  /// `conv`'s current weights (fake-quantized when quantized), transformed.
  init(_ conv: ConvOp) {
    transformed = FloatBuffer(count: 16 * conv.input.channels * conv.outChannels)
    update(from: conv)
  }

  /// Transforms `conv`'s current weights again (training changes them between passes).
  func update(from conv: ConvOp) {
    qk_winograd_weights(conv.weights, Int32(conv.input.channels), Int32(conv.outChannels), transformed.pointer)
  }
}

extension ConvOp {
  /// Whether this convolution can run as Winograd F(2×2, 3×3): 3×3, stride 1, padding 1, one group,
  /// and at least 8 input channels (with fewer, the transforms outweigh the multiplications saved).
  /// On Zen 5, one core, 16 images, each such layer of Nets B–D runs 1.9–2.3× faster than lowering
  /// and one GEMM. The sums differ from the lowered path's in the last bits.
  var winogradShaped: Bool {
    kernel == 3 && stride == 1 && pad == 1 && groups == 1 && !depthwise && input.channels >= 8
      && output.height == input.height && output.width == input.width
  }

  /// Output positions per image from which training uses Winograd. Smaller layers (Net A's 4×4 one)
  /// gain too, but they are a sliver of a small network's training time, which is already far above
  /// its target; keeping them lowered keeps the digits samples' training, and every figure the docs
  /// quote from it, bit for bit as it was.
  static let winogradTrainingPositions = 64

  /// Whether training can run this layer as Winograd: shaped for it and large enough (a fake-quantized
  /// layer still lowers, see `prepareWinogradTraining`).
  var trainsWithWinograd: Bool { winogradShaped && positions >= Self.winogradTrainingPositions }

  /// Floats of work training's Winograd kernels need for this layer (the weight gradient needs the
  /// most), 0 when it never trains with them.
  var winogradWork: Int {
    trainsWithWinograd ? Int(qk_winograd_weight_gradient_work_floats(Int32(input.channels), Int32(outChannels))) : 0
  }

  /// Training runs the forward pass, the weight gradient and the input gradient as Winograd on an fp32
  /// layer shaped for it (the simulated quantized layers keep the lowered path, whose sums the integer
  /// program is checked against). Called once per training pass, after the weights were last changed.
  func prepareWinogradTraining() {
    guard trainsWithWinograd, weightQuantizer == nil else {
      winograd = nil
      return
    }
    if let u = winograd { u.update(from: self) } else { winograd = WinogradWeights(self) }
  }

  /// y = conv(x) + bias for a chunk, as Winograd (`work` holds `winogradWork` floats).
  func winogradForward(_ io: ChunkIO, _ u: WinogradWeights, work: FloatBuffer) {
    qk_winograd_conv3x3(
      qk_best_variant(), Int32(io.count), Int32(input.height), Int32(input.width), Int32(input.channels),
      Int32(outChannels), io.x, u.transformed.pointer, bias.value.pointer, -1, io.y, work.pointer)
  }

  /// The weight gradient and dx from dy for a chunk, as Winograd: no lowering at all.
  func winogradBackward(
    _ io: ChunkIO, dy: UnsafeMutablePointer<Float>, _ u: WinogradWeights, dWeight: FloatBuffer, work: FloatBuffer
  ) {
    let n = Int32(io.count), h = Int32(input.height), w = Int32(input.width)
    let cin = Int32(input.channels), cout = Int32(outChannels)
    qk_winograd_conv3x3_weight_gradient(qk_best_variant(), n, h, w, cin, cout, io.x, dy, dWeight.pointer, work.pointer)
    if let dx = io.dx {
      qk_winograd_conv3x3_adjoint(qk_best_variant(), n, h, w, cin, cout, dy, u.transformed.pointer, dx, work.pointer)
    }
  }
}
