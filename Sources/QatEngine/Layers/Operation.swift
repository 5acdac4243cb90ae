/// A learnable tensor: its values, the gradient reduced over the batch, and the shape users see.
public final class LearnableTensor: @unchecked Sendable {
  /// "weight", "bias", "gamma", "beta".
  public let name: String
  /// The shape users see (PyTorch order: a conv weight is [out, in/groups, k, k]).
  public let shape: [Int]
  public let value: FloatBuffer
  public let gradient: FloatBuffer

  init(name: String, shape: [Int]) {
    self.name = name
    self.shape = shape
    let count = shape.reduce(1, *)
    value = FloatBuffer(count: count)
    gradient = FloatBuffer(count: count)
  }

  public var count: Int { value.count }
}

/// Per-chunk working memory of one operation (im2col columns, pooling indices, …) and the
/// chunk's share of the parameter gradients, which the network adds up in chunk order.
class Scratch {
  var gradients: [FloatBuffer]
  init(gradients: [FloatBuffer] = []) { self.gradients = gradients }
}

/// Where one chunk's data lives for one operation call.
struct ChunkIO {
  /// Images in this chunk.
  let count: Int
  /// The chunk's index within the batch (fixed by position, never by thread).
  let chunk: Int
  let x: UnsafeMutablePointer<Float>
  let y: UnsafeMutablePointer<Float>
  /// The gradient arriving at the output (backward only).
  let dy: UnsafeMutablePointer<Float>?
  /// Where the input gradient goes; nil when nobody needs it (the first layer).
  let dx: UnsafeMutablePointer<Float>?
  let scratch: Scratch
  /// Distinct per training step, for dropout masks.
  let stepSeed: UInt64

  /// The same call with the output going to `y` (a layer fused with the next one writes its output).
  func writing(to y: UnsafeMutablePointer<Float>) -> ChunkIO {
    ChunkIO(count: count, chunk: chunk, x: x, y: y, dy: dy, dx: dx, scratch: scratch, stepSeed: stepSeed)
  }
}

/// One step of a compiled network. Subclasses implement forward and backward side by side.
/// Steps that need statistics over the whole batch (batch norm) split their work into phases:
/// every chunk runs phase p, then `combine…(phase: p)` runs once, serially, in chunk order.
class Operation {
  let input: ActivationShape
  let output: ActivationShape

  init(input: ActivationShape, output: ActivationShape) {
    self.input = input
    self.output = output
  }

  var parameters: [LearnableTensor] { [] }
  /// State that is not learned but must be saved and restored with the weights (running statistics).
  var buffers: [FloatBuffer] { [] }

  func makeScratch(capacity: Int) -> Scratch { Scratch() }

  /// Runs once, serially, before a forward pass over a batch.
  func beginForward(training: Bool) {}
  func forwardPhases(training: Bool) -> Int { 1 }
  func forward(phase: Int, _ io: ChunkIO, training: Bool) {}
  func combineForward(phase: Int, scratches: ArraySlice<Scratch>, total: Int, training: Bool) {}

  func backwardPhases() -> Int { 1 }
  func backward(phase: Int, _ io: ChunkIO) {}
  func combineBackward(phase: Int, scratches: ArraySlice<Scratch>, total: Int) {}
  /// Runs once, serially, after the chunks' parameter gradients were added up.
  func finishBackward() {}
}
