import Foundation
import QatSupport

/// One layer as the user wrote it, with the shapes and parameters it got when the network was built.
/// A `residual` layer has the block's layers as children.
public final class NetworkLayer {
  public let spec: LayerSpec
  public let inputShape: ActivationShape
  public let outputShape: ActivationShape
  public let children: [NetworkLayer]
  /// The compiled operations this layer owns (a residual block: its children's and the final add).
  let opRange: Range<Int>
  unowned let network: Network

  init(
    spec: LayerSpec, inputShape: ActivationShape, outputShape: ActivationShape, children: [NetworkLayer],
    opRange: Range<Int>, network: Network
  ) {
    self.spec = spec
    self.inputShape = inputShape
    self.outputShape = outputShape
    self.children = children
    self.opRange = opRange
    self.network = network
  }

  /// The layer's own learnable tensors (for a residual block, every tensor inside it).
  public var parameters: [LearnableTensor] { network.ops[opRange].flatMap(\.parameters) }
  public var parameterCount: Int { parameters.reduce(0) { $0 + $1.count } }

  /// The layer's weights in PyTorch order ([out, in/groups, k, k] for conv, [out, in] for dense), or nil.
  public var userWeights: [Float]? {
    guard opRange.count == 1 else { return nil }
    switch network.ops[opRange.lowerBound] {
    case let conv as ConvOp: return conv.userWeights()
    case let dense as DenseOp: return dense.userWeights()
    default: return nil
    }
  }

  /// The engine operation of a single-operation layer (conv, dense, …), or nil.
  public var operationIndex: Int? { opRange.count == 1 ? opRange.lowerBound : nil }

  /// Running mean and variance of a batch-norm layer.
  public var runningStatistics: (mean: [Float], variance: [Float])? {
    guard opRange.count == 1, let bn = network.ops[opRange.lowerBound] as? BatchNormOp else { return nil }
    return (bn.runningMean.array, bn.runningVar.array)
  }
}

/// One finished epoch of training.
public struct EpochRecord: Sendable, Equatable {
  public let epoch: Int
  /// Mean training loss over the epoch's batches (weighted by images).
  public let loss: Double
  /// Training accuracy over the epoch, measured on the fly (training mode).
  public let accuracy: Double
  public let learningRate: Double
  public let seconds: Double
  /// Images per second over the epoch.
  public let imagesPerSecond: Double
}

/// A built network: its layers, compiled operations and per-chunk working memory.
public final class Network {
  public let inputShape: ActivationShape
  public internal(set) var layers: [NetworkLayer] = []
  let ops: [Operation]
  /// The training curve, one record per finished epoch, across every `train` call.
  public var history: [EpochRecord] = []
  /// While set, training adds knowledge distillation from a teacher's logits to the loss (QAT with
  /// `teacher:`); nil trains on the labels alone.
  public var distillation: DistillationTargets?
  /// Set on a fake-quantized network (see `Network.prepareQuantization`).
  public internal(set) var quantization: QuantizationState?
  /// For each activation index, the residual adds that read it as their skip input.
  let skipReaders: [Int: [Int]]
  /// Per-chunk buffers, created on demand (see Network+Execution).
  var slots: [Slot] = []

  init(inputShape: ActivationShape, ops: [Operation]) {
    self.inputShape = inputShape
    self.ops = ops
    var readers: [Int: [Int]] = [:]
    for (j, op) in ops.enumerated() {
      if let add = op as? ResidualAddOp { readers[add.source, default: []].append(j) }
    }
    skipReaders = readers
    // Batch norm followed by ReLU runs as one pass (the batch norm's own output is never stored),
    // unless a residual block reads that output. Operations reused from another network (a
    // quantized copy drops folded batch norms) are first unfused.
    for op in ops {
      (op as? BatchNormOp)?.fusedReLUCap = nil
      (op as? ReLUOp)?.fusedIntoPrevious = false
    }
    for i in ops.indices.dropLast() {
      guard let bn = ops[i] as? BatchNormOp, let relu = ops[i + 1] as? ReLUOp, readers[i + 1] == nil else { continue }
      bn.fusedReLUCap = relu.cap
      relu.fusedIntoPrevious = true
    }
  }

  public var outputShape: ActivationShape { ops.last?.output ?? inputShape }
  public var parameters: [LearnableTensor] { ops.flatMap(\.parameters) }
  public var parameterCount: Int { parameters.reduce(0) { $0 + $1.count } }
  /// Bytes of the parameters as fp32.
  public var fp32Bytes: Int { parameterCount * 4 }

  /// Layers counted as the user wrote them, residual blocks' inner layers included.
  public var layerCount: Int {
    func count(_ ls: [NetworkLayer]) -> Int { ls.reduce(0) { $0 + 1 + count($1.children) } }
    return count(layers)
  }

  /// Builds the network for `input`, checking every layer's shape. Weights and biases get
  /// PyTorch's default Kaiming-uniform initialization from `random` — weights U(−b, b) with
  /// b = √(6/((1 + a²)·fan-in)), a = √5, i.e. b = 1/√fan-in; biases U(−1/√fan-in, 1/√fan-in) — so
  /// that results compare with PyTorch's; batch norm starts at γ = 1, β = 0.
  ///
  /// A network whose weights and evaluation memory (see `NetworkMemory`) exceed `budget` bytes is
  /// refused with a `ShapeError` at the layer that crosses it, before its buffers are allocated.
  public static func build(
    _ specs: [LayerSpec], input: ActivationShape, random: inout SeededRandom, budget: Int = MemoryBudget.bytes
  ) throws(ShapeError) -> Network {
    let network = try compiled(specs, input: input, budget: budget)
    network.initialize(random: &random)
    return network
  }

  /// Values per image any activation may hold, the input's included (16 Mi).
  public static var maxActivationElements: Int { NetworkBuilder.maxElements }
  /// The largest kernel, stride or padding a layer may have.
  public static var maxLayerSide: Int { NetworkBuilder.maxSide }

  /// The network for `specs` and `input`, with zero weights.
  static func compiled(
    _ specs: [LayerSpec], input: ActivationShape, budget: Int = MemoryBudget.bytes
  ) throws(ShapeError) -> Network {
    var builder = NetworkBuilder(budget: budget)
    let (tree, _) = try builder.compile(specs, input: input)
    let network = Network(inputShape: input, ops: builder.ops)
    network.layers = tree.map { $0.materialize(in: network) }
    return network
  }

  func initialize(random: inout SeededRandom) {
    for op in ops {
      switch op {
      case let conv as ConvOp:
        let fanIn = conv.weight.shape.dropFirst().reduce(1, *)
        conv.setUserWeights(Self.kaimingUniform(count: conv.weight.count, fanIn: fanIn, random: &random))
        Self.fill(conv.bias.value, Self.kaimingUniform(count: conv.bias.count, fanIn: fanIn, random: &random))
      case let dense as DenseOp:
        dense.setUserWeights(
          Self.kaimingUniform(count: dense.weight.count, fanIn: dense.input.elements, random: &random))
        Self.fill(
          dense.bias.value, Self.kaimingUniform(count: dense.bias.count, fanIn: dense.input.elements, random: &random))
      default: break
      }
    }
  }

  /// Samples of U(−1/√fanIn, 1/√fanIn), in order.
  static func kaimingUniform(count: Int, fanIn: Int, random: inout SeededRandom) -> [Float] {
    let bound = 1 / Double(max(1, fanIn)).squareRoot()
    return (0..<count).map { _ in Float((random.nextUnit() * 2 - 1) * bound) }
  }

  static func fill(_ buffer: FloatBuffer, _ values: [Float]) {
    for (i, v) in values.enumerated() where i < buffer.count { buffer[i] = v }
  }

  /// An independent copy: same weights, statistics and history; its own buffers. It is compiled
  /// again from this network's own specs and input, which compiled once already, so the
  /// `ShapeError` cannot happen in practice.
  public func copy() throws(ShapeError) -> Network {
    let network = try Self.compiled(layers.map(\.spec), input: inputShape)
    for (target, source) in zip(network.trainedState, trainedState) { target.copy(from: source) }
    network.history = history
    return network
  }

  /// Every value that training changes: parameters, then running statistics.
  var trainedState: [FloatBuffer] { parameters.map(\.value) + ops.flatMap(\.buffers) }

  /// A copy of the trained state, for restoring after a step that produced NaN or infinity.
  public func snapshot() -> [FloatBuffer] { trainedState.map { $0.clone() } }

  public func restore(_ saved: [FloatBuffer]) {
    for (target, source) in zip(trainedState, saved) { target.copy(from: source) }
  }

  /// True when every parameter and running statistic is finite.
  public var isFinite: Bool { trainedState.allSatisfy(\.allFinite) }
}
