import CKernels
import QatSupport

/// ReLU, or ReLU6 when `cap` is 6: the gradient is taken from the output (zero where clipped).
final class ReLUOp: Operation {
  let cap: Float
  /// True when the batch norm before it applies this ReLU and writes this layer's output itself.
  var fusedIntoPrevious = false

  init(shape: ActivationShape, cap: Float) {
    self.cap = cap
    super.init(input: shape, output: shape)
  }

  override func forward(phase: Int, _ io: ChunkIO, training: Bool) {
    if fusedIntoPrevious { return }
    qk_relu_forward(io.x, Int64(io.count * input.elements), cap, io.y)
  }

  override func backward(phase: Int, _ io: ChunkIO) {
    guard let dy = io.dy, let dx = io.dx else { return }
    qk_relu_backward(dy, io.y, Int64(io.count * input.elements), cap, dx)
  }
}

/// Flatten: the memory is already one image after another, so only the shape changes.
final class FlattenOp: Operation {
  init(input: ActivationShape) {
    super.init(input: input, output: ActivationShape(features: input.elements))
  }

  override func forward(phase: Int, _ io: ChunkIO, training: Bool) {
    io.y.update(from: io.x, count: io.count * input.elements)
  }

  override func backward(phase: Int, _ io: ChunkIO) {
    guard let dy = io.dy, let dx = io.dx else { return }
    dx.update(from: dy, count: io.count * input.elements)
  }
}

/// Inverted dropout: in training each value is kept with probability 1 − p and scaled by 1/(1 − p);
/// in evaluation it is the identity. Masks come from a generator seeded by the training step and
/// the chunk, so they do not depend on the thread count.
final class DropoutOp: Operation {
  let p: Double

  init(shape: ActivationShape, p: Double) {
    self.p = p
    super.init(input: shape, output: shape)
  }

  final class MaskScratch: Scratch {
    let mask: FloatBuffer
    init(mask: FloatBuffer) {
      self.mask = mask
      super.init()
    }
  }

  override func makeScratch(capacity: Int) -> Scratch {
    MaskScratch(mask: FloatBuffer(count: capacity * input.elements))
  }

  override func forward(phase: Int, _ io: ChunkIO, training: Bool) {
    let count = io.count * input.elements
    guard training, p > 0, let s = io.scratch as? MaskScratch else {
      io.y.update(from: io.x, count: count)
      return
    }
    var random = SeededRandom(seed: io.stepSeed &+ UInt64(io.chunk) &* 0x9E37_79B9_7F4A_7C15)
    let keep = Float(1 / (1 - p))
    for i in 0..<count {
      let m: Float = random.nextUnit() < p ? 0 : keep
      s.mask[i] = m
      io.y[i] = io.x[i] * m
    }
  }

  override func backward(phase: Int, _ io: ChunkIO) {
    guard let dy = io.dy, let dx = io.dx, let s = io.scratch as? MaskScratch else { return }
    for i in 0..<(io.count * input.elements) { dx[i] = dy[i] * s.mask[i] }
  }
}

/// The end of a `residual { … }` block: adds the block's input (an earlier activation) to its output.
/// The network routes the gradient back to that activation as well.
final class ResidualAddOp: Operation {
  /// Index of the activation that entered the block.
  let source: Int

  init(shape: ActivationShape, source: Int) {
    self.source = source
    super.init(input: shape, output: shape)
  }

  /// The block's input for the current chunk; set by the network before `forward`.
  override func forward(phase: Int, _ io: ChunkIO, training: Bool) {}

  func add(_ io: ChunkIO, skip: UnsafeMutablePointer<Float>) {
    let count = io.count * input.elements
    for i in 0..<count { io.y[i] = io.x[i] + skip[i] }
  }

  override func backward(phase: Int, _ io: ChunkIO) {
    guard let dy = io.dy, let dx = io.dx else { return }
    dx.update(from: dy, count: io.count * input.elements)
  }
}
