/// One chunk's working memory: the activations and gradients of every layer boundary, and each
/// operation's scratch. Chunks are fixed slices of the batch (`Network.chunkSize` images), so the
/// way a batch is cut — and therefore every sum — never depends on how many threads run it.
final class Slot {
  let capacity: Int
  /// activations[i] is the input of op i; activations[ops.count] the logits.
  let activations: [FloatBuffer]
  /// gradients[b]: the gradient at activation b. Boundaries whose gradients are never alive at once
  /// share a buffer (`GradientBufferPlan`); the input's is an empty buffer (nothing reads it).
  let gradients: [FloatBuffer]
  let scratches: [Scratch]
  /// Loss and correct predictions of the chunk's images in the last pass.
  var lossSum = 0.0
  var correct = 0
  var count = 0
  /// The chunk's labels and predicted classes.
  let labels: AlignedBuffer<Int32>
  let predictions: AlignedBuffer<Int32>

  init(network: Network, capacity: Int) {
    self.capacity = capacity
    let shapes = [network.inputShape] + network.ops.map(\.output)
    activations = shapes.map { FloatBuffer(count: capacity * $0.elements) }
    let plan = GradientBufferPlan(network: network)
    let buffers = plan.bufferElements.map { FloatBuffer(count: capacity * $0) }
    let none = FloatBuffer(count: 0)
    gradients = plan.bufferOf.map { $0 >= 0 ? buffers[$0] : none }
    scratches = network.ops.map { $0.makeScratch(capacity: capacity) }
    // One buffer for the columns' gradient of every convolution (each uses it only inside its own
    // backward call, and a slot runs one call at a time), and one for the columns of those that lower
    // a chunk in several passes (their backward lowers again, so nothing needs them kept).
    var convolutions: [(ConvOp, ConvOp.ConvScratch)] = []
    for (op, scratch) in zip(network.ops, scratches) {
      if let conv = op as? ConvOp, conv.lowers, let s = scratch as? ConvOp.ConvScratch {
        convolutions.append((conv, s))
      }
    }
    let gradient = FloatBuffer(count: convolutions.map { $0.0.gradientScratch(capacity: capacity) }.max() ?? 0)
    let sharedSizes = convolutions.filter { !$0.0.keepsColumns(capacity: capacity) }.map {
      $0.0.backwardColumns(capacity: capacity)
    }
    let columns = FloatBuffer(count: sharedSizes.max() ?? 0)
    for (conv, scratch) in convolutions {
      scratch.dcol = gradient
      if !conv.keepsColumns(capacity: capacity) {
        scratch.col = columns
        scratch.sharesColumns = true
      }
    }
    labels = AlignedBuffer<Int32>(count: capacity)
    predictions = AlignedBuffer<Int32>(count: capacity)
  }
}

extension Network {
  /// Images per chunk: small enough that two chunks of a 32-image batch keep both cores busy, and
  /// fixed, so that results are the same for every thread count.
  public static let chunkSize = 16

  func ensureSlots(_ count: Int) {
    while slots.count < count { slots.append(Slot(network: self, capacity: Self.chunkSize)) }
  }

  /// One unit of per-chunk work in a pass.
  enum Step {
    case forward(op: Int, phase: Int)
    case backward(op: Int, phase: Int)
    /// Loss, accuracy and (in training) the logits' gradient.
    case loss
  }

  /// Runs `steps` over `chunks` chunks, one parallel region per stretch of steps that needs no
  /// batch-wide combination in between; the combinations run serially in chunk order.
  func run(
    _ steps: [Step], chunks: Int, total: Int, training: Bool, stepSeed: UInt64, pool: WorkerPool,
    perChunk: (Int, Slot) -> Void, loss: (Int, Slot) -> Void
  ) {
    var regionStart = 0
    var first = true
    for (index, step) in steps.enumerated() {
      let combineAfter: Bool
      switch step {
      case let .forward(op, phase): combineAfter = phase + 1 < ops[op].forwardPhases(training: training)
      case let .backward(op, phase): combineAfter = phase + 1 < ops[op].backwardPhases()
      case .loss: combineAfter = false
      }
      guard combineAfter || index == steps.count - 1 else { continue }
      let region = steps[regionStart...index]
      let isFirst = first
      pool.run(tasks: chunks) { c in
        let slot = slots[c]
        if isFirst { perChunk(c, slot) }
        for s in region { execute(s, chunk: c, slot: slot, training: training, stepSeed: stepSeed, loss: loss) }
      }
      first = false
      if combineAfter {
        let scratches = slots[0..<chunks]
        switch step {
        case let .forward(op, phase):
          ops[op].combineForward(
            phase: phase, scratches: ArraySlice(scratches.map { $0.scratches[op] }), total: total, training: training)
        case let .backward(op, phase):
          ops[op].combineBackward(phase: phase, scratches: ArraySlice(scratches.map { $0.scratches[op] }), total: total)
        case .loss: break
        }
      }
      regionStart = index + 1
    }
  }

  func execute(_ step: Step, chunk: Int, slot: Slot, training: Bool, stepSeed: UInt64, loss: (Int, Slot) -> Void) {
    switch step {
    case let .forward(i, phase):
      var io = chunkIO(op: i, slot: slot, chunk: chunk, stepSeed: stepSeed, backward: false)
      if let bn = ops[i] as? BatchNormOp, bn.fusedReLUCap != nil {
        io = io.writing(to: slot.activations[i + 2].pointer)
      }
      if let add = ops[i] as? ResidualAddOp {
        add.add(io, skip: slot.activations[add.source].pointer)
      } else {
        ops[i].forward(phase: phase, io, training: training)
      }
    case let .backward(i, phase):
      let io = chunkIO(op: i, slot: slot, chunk: chunk, stepSeed: stepSeed, backward: true)
      ops[i].backward(phase: phase, io)
      // Once op i's input gradient is complete, add what the residual adds reading that input sent back.
      if phase + 1 == ops[i].backwardPhases(), i > 0, let readers = skipReaders[i] {
        let g = slot.gradients[i].pointer, n = slot.count * ops[i].input.elements
        for j in readers {
          let skip = slot.gradients[j + 1].pointer
          for e in 0..<n { g[e] += skip[e] }
        }
      }
    case .loss:
      loss(chunk, slot)
    }
  }

  func chunkIO(op i: Int, slot: Slot, chunk: Int, stepSeed: UInt64, backward: Bool) -> ChunkIO {
    ChunkIO(
      count: slot.count, chunk: chunk, x: slot.activations[i].pointer, y: slot.activations[i + 1].pointer,
      dy: backward ? slot.gradients[i + 1].pointer : nil, dx: backward && i > 0 ? slot.gradients[i].pointer : nil,
      scratch: slot.scratches[i], stepSeed: stepSeed)
  }

  /// Steps of a forward pass (training or evaluation), ending with the loss.
  func forwardSteps(training: Bool) -> [Step] {
    var steps: [Step] = []
    for (i, op) in ops.enumerated() {
      for p in 0..<op.forwardPhases(training: training) { steps.append(.forward(op: i, phase: p)) }
    }
    steps.append(.loss)
    return steps
  }

  /// Steps of a training pass: forward, loss, backward.
  func trainingSteps() -> [Step] {
    var steps = forwardSteps(training: true)
    for i in ops.indices.reversed() {
      for p in 0..<ops[i].backwardPhases() { steps.append(.backward(op: i, phase: p)) }
    }
    return steps
  }

  /// Adds the chunks' parameter gradients into each parameter's `gradient`, in chunk order. A
  /// parameter without per-chunk buffers (a learned weight scale) gets its gradient in `finishBackward`.
  func reduceGradients(chunks: Int) {
    for (i, op) in ops.enumerated() {
      for (k, parameter) in op.parameters.enumerated() where k < slots[0].scratches[i].gradients.count {
        let target = parameter.gradient.pointer, n = parameter.count
        target.update(from: slots[0].scratches[i].gradients[k].pointer, count: n)
        for c in 1..<max(1, chunks) {
          let source = slots[c].scratches[i].gradients[k].pointer
          for e in 0..<n { target[e] += source[e] }
        }
      }
    }
  }
}
