import CKernels

/// Why a network cannot become an integer program.
public struct IntegerConversionError: Error, Sendable {
  public let message: String

  public init(message: String) { self.message = message }
}

/// Compiles a converted fake-quantized network (its batch norms folded, observers frozen) into the
/// integer program that computes the same thing: each unit of the simulation — the operations
/// between two quantization points — becomes one integer step whose output lands on the next
/// quantization point's grid.
struct IntegerCompiler {
  let network: Network
  let state: QuantizationState
  var activations: [IntegerActivation] = []
  var ops: [IntegerOp] = []
  /// Simulation activation index → program activation index (where one exists).
  var map: [Int: Int] = [:]
  /// The program activation the walk is at.
  var current = 0
  /// The operations of the open unit (since the last quantization point), with a ReLU's cap.
  var unit: [Operation] = []
  var reluCap: Float?

  init(network: Network, state: QuantizationState) {
    self.network = network
    self.state = state
  }

  mutating func compile() throws(IntegerConversionError) -> IntegerNetwork {
    let ops = network.ops
    guard let first = ops.first as? FakeQuantOp else {
      throw IntegerConversionError(message: "the network has no input quantizer")
    }
    activations.append(
      IntegerActivation(
        shape: network.inputShape, params: first.quantizer.params, name: first.quantizer.name,
        simulationIndex: 1))
    map[1] = 0
    for i in 1..<ops.count {
      let op = ops[i]
      switch op {
      case let fq as FakeQuantOp:
        try closeUnit(into: fq, at: i)
      case let bn as BatchNormOp where (unit.first as? WeightedOperation)?.weightQuantizer?.foldedBatchNorm === bn:
        // Folded the QAT way in a prepared model: emitWeighted folds it into the weights as conversion would.
        break
      case is WeightedOperation, is BatchNormOp, is ResidualAddOp, is AvgPoolOp, is GlobalAvgPoolOp:
        guard unit.isEmpty else { throw unsupported(op, after: unit) }
        unit = [op]
      case let relu as ReLUOp:
        if unit.isEmpty {
          if relu.cap > 0 {
            unit = [op]
          } else {
            // A lone ReLU keeps its input's grid (zero is on it): a clamp at the zero point.
            let params = activations[current].params
            emitAffine(
              identityOn: params, shape: op.output, low: max(params.zeroPoint, params.range.qmin),
              high: params.range.qmax,
              name: "relu", simulation: i + 1)
          }
        } else {
          reluCap = relu.cap
        }
      case let pool as MaxPoolOp:
        guard unit.isEmpty else { throw unsupported(op, after: unit) }
        let next = addActivation(op.output, params: activations[current].params, simulation: i + 1)
        self.ops.append(
          IntegerMaxPoolOp(
            input: current, inputShape: op.input, output: next, outputShape: op.output,
            kernel: pool.kernel, stride: pool.stride))
        current = next
      case is FlattenOp, is DropoutOp:
        // The same integers: flatten keeps NHWC order, dropout is the identity in inference.
        guard unit.isEmpty else { throw unsupported(op, after: unit) }
      default:
        throw unsupported(op, after: unit)
      }
      if unit.isEmpty { map[i + 1] = current }
    }
    guard unit.isEmpty else { throw IntegerConversionError(message: "the network ends inside an unquantized layer") }
    let config = state.config
    var info = IntegerProgramInfo(
      method: config.method, weightBits: config.weightBits, activationBits: config.activationBits,
      layerBits: config.layerWidths)
    (info.equalized, info.biasCorrected) = (config.equalize, config.biasCorrection)
    info.adaRounded = config.rounding == .adaround
    return IntegerNetwork(activations: activations, ops: self.ops, output: current, info: info)
  }

  func unsupported(_ op: Operation, after unit: [Operation]) -> IntegerConversionError {
    IntegerConversionError(message: "no integer form for \(type(of: op)) after \(unit.map { "\(type(of: $0))" })")
  }

  mutating func addActivation(_ shape: ActivationShape, params: QuantParams, name: String? = nil, simulation: Int)
    -> Int
  {
    activations.append(IntegerActivation(shape: shape, params: params, name: name, simulationIndex: simulation))
    return activations.count - 1
  }

  /// The clamp a ReLU (cap 0) or ReLU6 (cap 6) after the unit puts on the output grid, within its range.
  func clamp(_ params: QuantParams, cap: Float?) -> (Int32, Int32) {
    var low = params.range.qmin, high = params.range.qmax
    if let cap {
      low = max(low, params.quantize(0))
      if cap > 0 { high = min(high, params.quantize(cap)) }
    }
    return (low, high)
  }

  /// Ends the open unit at quantization point `fq` (operation `i`): one integer step onto its grid.
  mutating func closeUnit(into fq: FakeQuantOp, at i: Int) throws(IntegerConversionError) {
    let out = fq.quantizer.params
    let input = current, inParams = activations[current].params
    let (low, high) = clamp(out, cap: reluCap)
    defer {
      unit = []
      reluCap = nil
    }
    guard let head = unit.first else {
      // A quantization point right after another one: a requantization between the two grids.
      let next = addActivation(fq.output, params: out, name: fq.quantizer.name, simulation: i + 1)
      ops.append(
        IntegerAffineOp(
          identityFrom: input, inParams, to: next, out, shape: fq.output, low: low, high: high, name: "requantize"))
      current = next
      return
    }
    let next = addActivation(fq.output, params: out, name: fq.quantizer.name, simulation: i + 1)
    switch head {
    case let weighted as WeightedOperation:
      try emitWeighted(
        weighted, input: input, inParams: inParams, output: next, outParams: out, low: low, high: high,
        name: fq.quantizer.name)
    case let bn as BatchNormOp:
      var scales: [Double] = [], offsets: [Double] = []
      for c in 0..<bn.channels {
        let invstd = 1 / (Double(bn.runningVar[c]) + Double(BatchNormOp.epsilon)).squareRoot()
        let a = Double(bn.gamma.value[c]) * invstd
        scales.append(a)
        offsets.append(Double(bn.beta.value[c]) - Double(bn.runningMean[c]) * a)
      }
      ops.append(
        IntegerAffineOp(
          input: input, inputParams: inParams, output: next, outputParams: out, shape: bn.output,
          scales: scales, offsets: offsets, low: low, high: high, name: "batchnorm"))
    case let add as ResidualAddOp:
      guard let skip = map[add.source] else {
        throw IntegerConversionError(message: "a residual block's input is not on a grid")
      }
      ops.append(
        IntegerAddOp(
          inputs: input, skip, grids: (inParams, activations[skip].params), output: next, params: out,
          elements: add.output.elements, low: low, high: high))
    case let relu as ReLUOp:
      ops.append(
        IntegerAffineOp(
          identityFrom: input, inParams, to: next, out, shape: relu.output,
          low: max(low, clamp(out, cap: 0).0), high: min(high, clamp(out, cap: relu.cap).1), name: "relu6"))
    case let pool as AvgPoolOp:
      ops.append(
        IntegerAvgPoolOp(
          input: input, inputShape: pool.input, output: next, outputShape: pool.output, kernel: pool.kernel,
          stride: pool.stride, zeroPoint: inParams.zeroPoint))
    case let pool as GlobalAvgPoolOp:
      ops.append(
        IntegerAvgPoolOp(
          input: input, inputShape: pool.input, output: next, outputShape: pool.output, kernel: nil,
          stride: 1, zeroPoint: inParams.zeroPoint))
    default:
      throw unsupported(head, after: [])
    }
    current = next
  }

  mutating func emitAffine(
    identityOn params: QuantParams, shape: ActivationShape, low: Int32, high: Int32, name: String,
    simulation: Int
  ) {
    let next = addActivation(shape, params: params, simulation: simulation)
    ops.append(
      IntegerAffineOp(identityFrom: current, params, to: next, params, shape: shape, low: low, high: high, name: name))
    current = next
  }

  /// A conv or dense: its fake-quantized weights as integers, its bias at scale s_x·s_w.
  mutating func emitWeighted(
    _ op: WeightedOperation, input: Int, inParams: QuantParams, output: Int, outParams: QuantParams,
    low: Int32, high: Int32, name: String
  ) throws(IntegerConversionError) {
    guard let quantizer = op.weightQuantizer else {
      throw IntegerConversionError(message: "\(name): the weights are not quantized")
    }
    let weights = Self.quantizedWeights(op, quantizer: quantizer, inputScale: inParams.scale)
    let requant = Requantization(weights: weights, input: inParams, output: outParams, low: low, high: high)
    switch op {
    case let conv as ConvOp where conv.depthwise:
      ops.append(
        IntegerDepthwiseOp(
          shape: conv.shape(images: 1), weights: weights, requant: requant, input: input,
          inputZeroPoint: inParams.zeroPoint, output: output, name: name))
    case let conv as ConvOp:
      ops.append(
        IntegerMatMulOp(
          form: .conv(conv.shape(images: 1), lowers: conv.lowers), weights: weights, requant: requant,
          input: input, inputActivation: activations[input], output: output, name: name))
    default:
      ops.append(
        IntegerMatMulOp(
          form: .dense, weights: weights, requant: requant, input: input,
          inputActivation: activations[input], output: output, name: name))
    }
  }

  /// q = clamp(nearbyint(w·(1/s_c)), qmin, qmax) — the integers the simulation's fake quantization
  /// produced — and the bias as round(b/(s_x·s_w)). A batch norm still folded the QAT way (a
  /// prepared model) is folded here exactly as `foldingQATBatchNorms` folds it on conversion.
  static func quantizedWeights(_ op: WeightedOperation, quantizer: WeightQuantizer, inputScale: Float)
    -> QuantizedWeights
  {
    // As an evaluation pass would: learned scales (LSQ) become the parameters in use.
    quantizer.prepare(from: op.weight.value, observe: false)
    let params = quantizer.params
    var weights = op.weight.value.array, biases = op.bias.value.array
    if let bn = quantizer.foldedBatchNorm {
      let s = (0..<op.layout.channels).map { c in BatchNormFolding.qatFactor(bn, c) }
      op.layout.forEach { k, ch in weights[k] *= s[ch] }
      for c in biases.indices { biases[c] = BatchNormFolding.qatBias(biases[c], bn, c, factor: s[c]) }
    }
    var values = [Int8](repeating: 0, count: op.layout.count)
    op.layout.forEach { k, ch in values[k] = Int8(clamping: params[ch].quantize(weights[k])) }
    let bias = (0..<op.layout.channels).map { c -> Int32 in
      let v = (Double(biases[c]) / (Double(inputScale) * Double(params[c].scale))).rounded(.toNearestOrAwayFromZero)
      return v.isFinite ? Int32(max(-2_147_483_647, min(2_147_483_647, v))) : 0
    }
    return QuantizedWeights(
      layout: op.layout, values: values, scales: params.map(\.scale), bits: quantizer.range.bits, bias: bias)
  }
}

extension Network {
  /// The integer program of this quantized network (see IntegerCompiler): a converted one, or a
  /// prepared one as it would be converted now (its ranges and batch-norm statistics as they are; the
  /// network itself is left unchanged).
  public func integerProgram() throws(IntegerConversionError) -> IntegerNetwork {
    guard let state = quantization else {
      throw IntegerConversionError(message: "only a quantized model has an integer form")
    }
    var compiler = IntegerCompiler(network: self, state: state)
    return try compiler.compile()
  }
}
