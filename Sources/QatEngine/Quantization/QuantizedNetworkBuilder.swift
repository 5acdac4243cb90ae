/// Turns a copy of an fp32 network into its fake-quantized form: batch norm folded into the
/// conv/dense before it (PTQ: into the weights; QAT: PyTorch's ConvBn way, see WeightQuantizer),
/// weight quantizers on every conv and dense, and an activation quantizer at the input and after
/// every quantized unit — conv/dense (+ batch norm) (+ ReLU), a lone batch norm (+ ReLU), a residual
/// add (+ ReLU), a lone ReLU6 — the logits included. Max pooling, flatten, dropout and a lone ReLU
/// keep their input's grid and need none; average pooling re-quantizes with its input's parameters.
struct QuantizedNetworkBuilder {
  let config: QuantizationConfig
  let base: Network
  var ops: [Operation] = []
  /// Old operation index → new one (nil: folded away).
  var opMap: [Int: Int] = [:]
  /// Old activation index → new one.
  var activationMap: [Int: Int] = [:]
  var quantizers: [ActivationQuantizer] = []
  var weightQuantizers: [WeightQuantizer] = []
  var batchNorms: [BatchNormOp] = []
  /// The quantization point that closes the open unit, inserted when the unit ends.
  var pending: ActivationQuantizer?
  /// The quantizer whose grid the current activation is on.
  var current: ActivationQuantizer?
  var stage = Stage.closed
  var foldedAway: Set<Int> = []
  /// True while the current activation is still on the last quantizer's grid (only max pooling,
  /// flatten, dropout or a plain ReLU since).
  var onGrid = false

  enum Stage { case closed, afterWeights, afterBatchNorm, afterAdd }

  init(config: QuantizationConfig, base: Network) {
    self.config = config
    self.base = base
  }

  var observer: ObserverKind { config.activationObserver }
  /// QAT follows its ranges with a moving average once training starts (PyTorch's default).
  var averaging: Float? { config.method == .qat ? 0.01 : nil }

  func names(_ layers: [NetworkLayer], into table: inout [Int: String]) {
    for layer in layers {
      if layer.children.isEmpty { for i in layer.opRange { table[i] = layer.spec.description } }
      names(layer.children, into: &table)
      if layer.spec.name == "residual", let last = layer.opRange.last { table[last] = "residual add" }
    }
  }

  mutating func build() -> Network {
    var layerNames: [Int: String] = [:]
    names(base.layers, into: &layerNames)
    let firstWeighted = base.ops.firstIndex { $0 is WeightedOperation }
    // The input is quantized at the first layer's width (what that layer's integer kernel reads).
    let inputBits = firstWeighted.map { config.activationBits(ofOperation: $0) } ?? config.activationBits
    let input = ActivationQuantizer(
      name: "input", range: QuantRange(bits: inputBits, signed: false), symmetric: config.symmetric,
      observer: observer, averagingConstant: averaging)
    if config.only?.input ?? true { emitQuantPoint(input, shape: base.inputShape) }
    for (i, op) in base.ops.enumerated() {
      if foldedAway.contains(i) { continue }
      let continuing = continuesUnit(op, at: i)
      if !continuing {
        flush(shape: op.input)
        activationMap[i] = ops.count
      }
      let name = layerNames[i] ?? "layer"
      switch op {
      case let weighted as WeightedOperation where config.only.map { !$0.operations.contains(i) } ?? false:
        // Restricted (`QuantizationConfig.only`) and not chosen: stays fp32, as does what follows it.
        emit(weighted, old: i)
        stage = .closed
        current = nil
      case let weighted as WeightedOperation:
        let q = WeightQuantizer(
          bits: config.weightBits(ofOperation: i), perChannel: config.perChannel,
          layout: weighted.layout, averagingConstant: averaging)
        weighted.weightQuantizer = q
        openWeightedUnit(weighted, index: i, quantizer: q, name: name)
      case let bn as BatchNormOp:
        emit(bn, old: i)
        batchNorms.append(bn)
        if stage == .afterWeights {
          stage = .afterBatchNorm
        } else {
          open(name: name, bits: config.activationBits)
          stage = .afterBatchNorm
        }
      case let add as ResidualAddOp:
        emit(ResidualAddOp(shape: add.output, source: activationMap[add.source] ?? 0), old: i)
        open(name: "residual add", bits: config.activationBits)
        stage = .afterAdd
      case let relu as ReLUOp:
        emit(op, old: i)
        stage = .closed
        // A lone ReLU keeps its input's grid (zero is on it); a lone ReLU6's cap is not, so its output
        // is quantized again.
        if !continuing && relu.cap > 0 { open(name: name, bits: config.activationBits) }
      case is AvgPoolOp, is GlobalAvgPoolOp:
        emit(op, old: i)
        if let source = current {
          let follower = ActivationQuantizer(
            name: name, range: source.range, symmetric: source.symmetric, observer: source.observer,
            averagingConstant: nil, follows: source)
          emitQuantPoint(follower, shape: op.output)
        }
      default:
        emit(op, old: i)
      }
    }
    flush(shape: base.outputShape)
    if !onGrid && config.only == nil {
      let logits = ActivationQuantizer(
        name: "logits", range: QuantRange(bits: config.activationBits, signed: false),
        symmetric: config.symmetric, observer: observer, averagingConstant: averaging)
      emitQuantPoint(logits, shape: base.outputShape)
    }
    let network = Network(inputShape: base.inputShape, ops: ops)
    network.layers = base.layers.map { $0.remapped(opMap, in: network) }
    network.history = base.history
    network.quantization = QuantizationState(
      config: config, activations: quantizers, weights: weightQuantizers,
      batchNorms: batchNorms, startEpoch: base.history.last?.epoch ?? 0)
    return network
  }

  /// True when `op` extends the open unit: a batch norm right after its conv/dense, or a ReLU —
  /// unless a residual block reads the activation in between (it must exist on its own).
  func continuesUnit(_ op: Operation, at i: Int) -> Bool {
    guard pending != nil, base.skipReaders[i] == nil else { return false }
    if op is BatchNormOp { return stage == .afterWeights }
    if op is ReLUOp { return stage != .closed }
    return false
  }

  mutating func openWeightedUnit(_ op: WeightedOperation, index i: Int, quantizer: WeightQuantizer, name: String) {
    weightQuantizers.append(quantizer)
    emit(op, old: i)
    stage = .afterWeights
    // A batch norm right after: PTQ folds it into the weights now; QAT keeps it and folds the QAT way.
    if i + 1 < base.ops.count, let bn = base.ops[i + 1] as? BatchNormOp, base.skipReaders[i + 1] == nil {
      if config.method == .ptq {
        BatchNormFolding.fold(bn, into: op)
        foldedAway.insert(i + 1)
        stage = .afterBatchNorm
      } else {
        quantizer.foldedBatchNorm = bn
      }
    }
    open(name: name, bits: config.activationBits(ofOperation: i), weighted: true)
  }

  /// Opens a unit whose output gets a quantization point when it ends; under a restriction
  /// (`QuantizationConfig.only`) only the chosen conv/dense layers' units do, the rest stay fp32.
  mutating func open(name: String, bits: Int, weighted: Bool = false) {
    if config.only != nil && !weighted {
      current = nil
      return
    }
    pending = ActivationQuantizer(
      name: name, range: QuantRange(bits: bits, signed: false), symmetric: config.symmetric,
      observer: observer, averagingConstant: averaging)
  }

  mutating func flush(shape: ActivationShape) {
    guard let q = pending else { return }
    pending = nil
    stage = .closed
    emitQuantPoint(q, shape: ops.last?.output ?? shape)
  }

  mutating func emitQuantPoint(_ q: ActivationQuantizer, shape: ActivationShape) {
    q.percentile = config.percentile
    ops.append(FakeQuantOp(shape: shape, quantizer: q))
    quantizers.append(q)
    current = q
    onGrid = true
  }

  mutating func emit(_ op: Operation, old: Int) {
    opMap[old] = ops.count
    ops.append(op)
    let keepsGrid = op is MaxPoolOp || op is FlattenOp || op is DropoutOp || (op as? ReLUOp)?.cap == 0
    onGrid = onGrid && keepsGrid
  }
}

extension NetworkLayer {
  /// The same layer over another network's operations, `opMap` taking old operation indices to
  /// new ones (a layer whose operations were all folded away gets an empty range after the layer
  /// it was folded into).
  func remapped(_ opMap: [Int: Int], in network: Network) -> NetworkLayer {
    let mapped = opRange.compactMap { opMap[$0] }
    let range: Range<Int>
    if let low = mapped.min(), let high = mapped.max() {
      range = low..<(high + 1)
    } else {
      let before = (opRange.lowerBound > 0 ? opMap[opRange.lowerBound - 1] : nil) ?? 0
      range = (before + 1)..<(before + 1)
    }
    return NetworkLayer(
      spec: spec, inputShape: inputShape, outputShape: outputShape,
      children: children.map { $0.remapped(opMap, in: network) }, opRange: range, network: network)
  }
}
