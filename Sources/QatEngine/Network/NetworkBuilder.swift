import QatSupport

/// Turns layer specs into compiled operations, checking that each layer fits the shape reaching it.
struct NetworkBuilder {
  /// Values per image in any activation (16 Mi floats, 64 MB): beyond this a chunk of images would
  /// not fit the kernels' 32-bit indices, nor memory.
  static let maxElements = 1 << 24
  /// Parameters in one layer (64 Mi floats, 256 MB).
  static let maxParameters = 1 << 26
  /// The largest kernel, stride, padding or input side a layer may have (the kernels index with
  /// 32-bit integers; anything near this is far beyond a useful size anyway).
  static let maxSide = 1 << 24
  var ops: [Operation] = []
  /// Bytes the network may take (`MemoryBudget.bytes`, or a session's smaller budget), and what it
  /// takes so far: checked after every layer, before the next one allocates its weights.
  let budget: Int
  var memory: NetworkMemory?

  init(budget: Int = MemoryBudget.bytes) {
    self.budget = budget
  }
  /// The spatial shape most recently flattened, while only shape-preserving layers follow it.
  var flattenedFrom: ActivationShape?

  /// A layer before the network object exists: materialized once the network is created.
  struct Pending {
    let spec: LayerSpec
    let input: ActivationShape
    let output: ActivationShape
    let children: [Pending]
    let opRange: Range<Int>

    func materialize(in network: Network) -> NetworkLayer {
      NetworkLayer(
        spec: spec, inputShape: input, outputShape: output, children: children.map { $0.materialize(in: network) },
        opRange: opRange, network: network)
    }
  }

  mutating func compile(_ specs: [LayerSpec], input: ActivationShape) throws(ShapeError) -> ([Pending], ActivationShape)
  {
    if input.elements > Self.maxElements {
      let count = MemoryBudget.product(input.dimensions).map(String.init) ?? "more than 2^63"
      throw ShapeError(
        tag: 0,
        message:
          """
          an input of \(input) = \(count) values per image is more than this tool handles \
          (\(Self.maxElements))
          """,
        hint: "use smaller images")
    }
    if memory == nil { memory = NetworkMemory(input: input) }
    var shape = input
    var layers: [Pending] = []
    for spec in specs {
      let start = ops.count
      var children: [Pending] = []
      let output: ActivationShape
      if case .residual(let inner) = spec.kind {
        let source = ops.count
        let saved = flattenedFrom
        let (innerLayers, innerOut) = try compile(inner, input: shape)
        guard innerOut == shape else {
          throw ShapeError(
            tag: spec.tag,
            message: "a residual block must keep its input's shape, but this one turns \(shape) into \(innerOut)",
            hint: "the block's output is added to its input, so both need the same shape")
        }
        flattenedFrom = saved
        children = innerLayers
        output = shape
        ops.append(ResidualAddOp(shape: shape, source: source))
      } else {
        output = try append(spec, input: shape)
      }
      if output.elements == 0 {
        throw ShapeError(
          tag: spec.tag, message: "`\(spec.description)` leaves nothing: its output shape would be \(output)", hint: nil
        )
      }
      if output.elements > Self.maxElements {
        throw ShapeError(
          tag: spec.tag,
          message:
            """
            `\(spec.description)` would produce \(output) = \(output.elements) values per image, more than this \
            tool handles (\(Self.maxElements))
            """,
          hint: "use smaller images (images(…, size:)) or fewer channels")
      }

      try checkMemory(ops[start...], spec: spec)
      layers.append(Pending(spec: spec, input: shape, output: output, children: children, opRange: start..<ops.count))
      shape = output
    }
    return (layers, shape)
  }

  /// Adds the operations of the layer just compiled to the memory so far and refuses the layer if an
  /// evaluation pass (`NetworkMemory.evaluationImages` images) would no longer fit the budget. The
  /// operations of a residual block's own layers were counted when they were compiled.
  mutating func checkMemory(_ added: ArraySlice<Operation>, spec: LayerSpec) throws(ShapeError) {
    guard var memory else { return }
    if case .residual = spec.kind {
      if let last = added.last { memory.add(last) }
    } else {
      for op in added { memory.add(op) }
    }
    self.memory = memory
    let bytes = memory.bytes(images: NetworkMemory.evaluationImages)
    if !MemoryBudget.fits(bytes, budget: budget) {
      throw ShapeError(
        tag: spec.tag,
        message:
          """
          with `\(spec.description)` the model \(MemoryBudget.excess(bytes, budget: budget)): its weights and the \
          working memory of \(NetworkMemory.evaluationImages) images at once
          """,
        hint: "use fewer or narrower layers, smaller images (images(…, size:)), or pool earlier", overBudget: true)
    }
  }

  /// Appends the operation for one non-residual layer and returns its output shape.
  mutating func append(_ spec: LayerSpec, input: ActivationShape) throws(ShapeError) -> ActivationShape {
    func fail(_ message: String, _ hint: String? = nil) -> ShapeError {
      ShapeError(tag: spec.tag, message: message, hint: hint)
    }
    // Checked before the weights are allocated.
    func limitParameters(_ count: Int) throws(ShapeError) {
      if count > Self.maxParameters {
        throw fail(
          "`\(spec.description)` would have \(count) parameters, more than this tool handles (\(Self.maxParameters))",
          "use fewer channels or units, or pool before dense layers")
      }
    }
    // Checked before an operation sized by it is made.
    func limitOutput(_ output: ActivationShape) throws(ShapeError) {
      if output.elements > Self.maxElements {
        throw fail(
          """
          `\(spec.description)` would produce \(output) = \(output.elements) values per image, more than this \
          tool handles (\(Self.maxElements))
          """,
          "use a smaller padding, or smaller images (images(…, size:)) or fewer channels")
      }
    }
    func needsFeatureMap() throws(ShapeError) {
      if input.isFlat {
        throw fail(
          "`\(spec.name)` needs a feature map [C, H, W] but gets the flat vector \(input)",
          "\(spec.name) layers belong before flatten()")
      }
    }
    switch spec.kind {
    case let .conv(out, kernel, stride, pad, groups):
      try needsFeatureMap()
      guard out > 0, kernel > 0, stride > 0, pad >= 0, groups > 0 else {
        throw fail("`\(spec.description)` needs a positive size, kernel, stride and groups and a non-negative pad")
      }
      guard kernel <= Self.maxSide, stride <= Self.maxSide, pad <= Self.maxSide else {
        throw fail("`\(spec.description)`: kernel, stride and pad must each be at most \(Self.maxSide)")
      }
      guard input.channels % groups == 0, out % groups == 0 else {
        throw fail(
          "`groups: \(groups)` must divide both the input channels (\(input.channels)) and the output channels (\(out))"
        )
      }
      // Every side is at most `maxSide` (2^24) here, so these sums cannot overflow.
      let paddedHeight = input.height + 2 * pad, paddedWidth = input.width + 2 * pad
      guard kernel <= paddedHeight, kernel <= paddedWidth else {
        throw fail(
          "a \(kernel)×\(kernel) kernel does not fit the input \(input) with pad \(pad)",
          "use a smaller kernel, more padding, or fewer pooling layers before it")
      }
      let output = ActivationShape(
        channels: out, height: (paddedHeight - kernel) / stride + 1, width: (paddedWidth - kernel) / stride + 1)
      try limitOutput(output)
      try limitParameters(MemoryBudget.product([out, kernel, kernel, input.channels / groups]) ?? Int.max)
      // The lowered columns of one image (output positions × k·k·c_in) are the working memory.
      let lowered = MemoryBudget.product([output.height, output.width, kernel, kernel, input.channels])
      if lowered.map({ $0 > Self.maxParameters }) ?? true {
        throw fail(
          """
          `\(spec.description)` on \(input) would need more working memory than this tool allows \
          (\(Self.maxParameters) values per image)
          """,
          "use a smaller kernel or input, or a stride")
      }
      ops.append(
        ConvOp(input: input, output: output, out: out, kernel: kernel, stride: stride, pad: pad, groups: groups))
      flattenedFrom = nil
      return output
    case .dense(let out):
      guard input.isFlat else {
        throw fail("`dense` needs a flat input but gets the feature map \(input)", "add flatten() before it")
      }
      guard out > 0 else { throw fail("`dense` needs at least one output") }
      let (weights, overflow) = out.multipliedReportingOverflow(by: input.elements)
      try limitParameters(overflow ? Int.max : weights)
      ops.append(DenseOp(input: input, out: out, flattenedFrom: flattenedFrom))
      flattenedFrom = nil
      return ops[ops.count - 1].output
    case .relu, .relu6:
      ops.append(ReLUOp(shape: input, cap: spec.kind == .relu6 ? 6 : 0))
      return input
    case let .maxpool(kernel, stride), let .avgpool(kernel, stride):
      try needsFeatureMap()
      guard kernel > 0, stride > 0 else { throw fail("`\(spec.description)` needs a positive kernel and stride") }
      guard stride <= Self.maxSide else {
        throw fail("`\(spec.description)`: the stride must be at most \(Self.maxSide)")
      }
      guard kernel <= input.height, kernel <= input.width else {
        throw fail("`\(spec.description)` is larger than its input \(input)", "remove a pooling layer or pool by less")
      }
      let output = ActivationShape(
        channels: input.channels, height: (input.height - kernel) / stride + 1,
        width: (input.width - kernel) / stride + 1)
      if case .maxpool = spec.kind {
        ops.append(MaxPoolOp(input: input, output: output, kernel: kernel, stride: stride))
      } else {
        ops.append(AvgPoolOp(input: input, output: output, kernel: kernel, stride: stride))
      }
      flattenedFrom = nil
      return output
    case .globalAvgPool:
      try needsFeatureMap()
      ops.append(GlobalAvgPoolOp(input: input))
      flattenedFrom = nil
      return ops[ops.count - 1].output
    case .batchNorm:
      ops.append(BatchNormOp(shape: input))
      return input
    case .flatten:
      if !input.isFlat { flattenedFrom = input }
      ops.append(FlattenOp(input: input))
      return ops[ops.count - 1].output
    case .dropout(let p):
      guard p >= 0, p < 1 else { throw fail("`dropout` needs a probability in [0, 1), got \(p)") }
      ops.append(DropoutOp(shape: input, p: p))
      return input
    case .residual:
      return input  // handled by compile
    }
  }
}
