import QatSupport

/// What a network's memory comes to, known from its layers before any working buffer exists, so
/// that a model too big for the machine is refused when it is built (or before a batch is run)
/// instead of aborting the process. Counts are in floats; `bytes(images:)` gives bytes.
public struct NetworkMemory: Sendable, Equatable {
  /// Learnable values: weights, biases, batch-norm scales and shifts.
  public private(set) var parameters = 0
  /// Floats each image of a pass needs: every layer boundary's activations and gradients, and the
  /// layers' per-image scratch (batch norm's normalized input, dropout's mask, max pooling's indices).
  public private(set) var perImage = 0
  /// Floats each chunk of `Network.chunkSize` images needs whatever its images: the convolutions'
  /// lowered columns and their gradient (or their Winograd work), and the parameters' gradients.
  public private(set) var perChunk = 0
  /// Floats kept once besides the parameters: the Winograd-transformed weights of the 3×3 layers
  /// (16 per input–output channel pair, against 9 weights).
  public private(set) var transformedWeights = 0

  /// Images an evaluation pass runs at once (the fake-quantized simulation, calibration): each image
  /// is computed on its own, so the round's size changes no result, only the memory — every layer
  /// boundary's activations and gradients for each image of the round (`Network.evaluate`).
  public static let evaluationImages = 64

  /// The memory of a network that so far only has its input.
  init(input: ActivationShape) {
    perImage = MemoryBudget.product([2, input.elements]) ?? Int.max
  }

  /// The memory of a built network's operations.
  init(input: ActivationShape, ops: [Operation]) {
    self.init(input: input)
    for op in ops { add(op) }
  }

  /// Adds one operation: its parameters, its output's activations and gradients, its scratch.
  mutating func add(_ op: Operation) {
    let count = op.parameters.reduce(0) { Self.adding($0, $1.count) }
    parameters = Self.adding(parameters, count)
    perChunk = Self.adding(perChunk, count)
    perImage = Self.adding(perImage, MemoryBudget.product([2, op.output.elements]) ?? Int.max)
    switch op {
    case is BatchNormOp, is DropoutOp: perImage = Self.adding(perImage, op.input.elements)
    case is MaxPoolOp: perImage = Self.adding(perImage, op.output.elements)
    case is FakeQuantOp: perImage = Self.adding(perImage, op.input.elements / 4 + 1)  // a byte mask
    default: break
    }
    if let conv = op as? ConvOp, conv.lowers {
      // Columns for as many images as fit about 1 MB, and at least one image's (see ConvOp).
      let columns = MemoryBudget.product([conv.positions, conv.columns]) ?? Int.max
      perChunk = Self.adding(perChunk, MemoryBudget.product([2, max(columns, 262_144)]) ?? Int.max)
      if conv.trainsWithWinograd {
        // Training's Winograd layers: their work (the weight gradient's 16·c_in·c_out among it) in
        // each chunk, and the transformed weights once.
        let pairs = MemoryBudget.product([16, conv.input.channels, conv.outChannels]) ?? Int.max
        let tiles = MemoryBudget.product([16 * 256, Self.adding(conv.input.channels, conv.outChannels)]) ?? Int.max
        perChunk = Self.adding(perChunk, Self.adding(pairs, tiles))
        transformedWeights = Self.adding(transformedWeights, pairs)
      }
    }
  }

  /// Bytes a pass over `images` images at once needs (nil: more than `Int` counts): the parameters
  /// five times over (values, gradients, two for the optimizer's state, the copy kept to undo a
  /// diverging step), the transformed weights, and one set of working buffers per chunk of
  /// `Network.chunkSize` images.
  public func bytes(images: Int) -> Int? {
    let chunkSize = Network.chunkSize
    let chunks = max(1, images) / chunkSize + (max(1, images) % chunkSize == 0 ? 0 : 1)
    guard let perChunkImages = MemoryBudget.product([chunkSize, perImage]),
      let chunk = MemoryBudget.sum([perChunkImages, perChunk]),
      let working = MemoryBudget.product([chunks, chunk]),
      let kept = MemoryBudget.product([5, parameters]),
      let floats = MemoryBudget.sum([kept, transformedWeights, working])
    else { return nil }
    return MemoryBudget.product([floats, MemoryLayout<Float>.size])
  }

  /// `a + b`, or `Int.max` when it overflows.
  static func adding(_ a: Int, _ b: Int) -> Int {
    let (sum, overflow) = a.addingReportingOverflow(b)
    return overflow ? Int.max : sum
  }
}

extension Network {
  /// The network's memory, from its operations.
  public var memory: NetworkMemory { NetworkMemory(input: inputShape, ops: ops) }
}
