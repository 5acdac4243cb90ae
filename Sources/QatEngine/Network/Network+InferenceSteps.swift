/// One step of an fp32 network as an inference graph needs it (the ONNX exporter): batch norms that
/// follow a conv or dense layer are folded into it, dropout is gone. Activation 0 is the normalized
/// input; step outputs are numbered as the engine numbers its activations.
public struct FloatStep: Sendable {
  public enum Kind: Sendable, Equatable {
    case conv(kernel: Int, stride: Int, pad: Int, groups: Int)
    /// A fully connected layer; its input may be a feature map, flattened in PyTorch's (c, h, w) order.
    case dense
    case relu
    case relu6
    case maxPool(kernel: Int, stride: Int)
    case avgPool(kernel: Int, stride: Int)
    case globalAvgPool
    /// y = scales[c]·x + offsets[c] per channel: a batch norm that could not be folded.
    case affine(scales: [Float], offsets: [Float])
    /// The residual add of `inputs[0]` (the block's output) and `inputs[1]` (its input).
    case add
  }

  public let kind: Kind
  /// The shape the step reads (a dense layer's may be a feature map it flattens).
  public let inputShape: ActivationShape
  public let inputs: [Int]
  public let output: Int
  /// The row of `summary` the step comes from (a folded batch norm's conv's row).
  public let layer: Int
  /// [out, in/groups, k, k] or [out, in] weights in PyTorch order, and the bias.
  public let weightShape: [Int]
  public let weights: [Float]
  public let bias: [Float]
}

extension Network {
  /// The network as inference steps (see `FloatStep`), or nil for a quantized network (its integer
  /// program is what is exported).
  public func inferenceSteps() -> [FloatStep]? {
    guard quantization == nil else { return nil }
    let rows = summaryRows()
    var steps: [FloatStep] = []
    // Engine activation → the activation that holds its value (dropout and flatten alias their input).
    var alias = Array(0...ops.count)
    var i = 0
    while i < ops.count {
      let op = ops[i], input = alias[i]
      func step(_ kind: FloatStep.Kind, inputs: [Int]? = nil, w: [Int] = [], weights: [Float] = [], bias: [Float] = [])
      {
        steps.append(
          FloatStep(
            kind: kind, inputShape: (op as? DenseOp)?.flattenedFrom ?? op.input, inputs: inputs ?? [input],
            output: i + 1, layer: rows[i], weightShape: w, weights: weights,
            bias: bias))
      }
      switch op {
      case let weighted as WeightedOperation:
        var weights = (weighted as? ConvOp)?.userWeights() ?? (weighted as? DenseOp)?.userWeights() ?? []
        var bias = weighted.bias.value.array
        let kind: FloatStep.Kind
        if let conv = weighted as? ConvOp {
          kind = .conv(kernel: conv.kernel, stride: conv.stride, pad: conv.pad, groups: conv.groups)
        } else {
          kind = .dense
        }
        // A batch norm right after, whose input no residual block reads, folds into the weights.
        if i + 1 < ops.count, let bn = ops[i + 1] as? BatchNormOp, skipReaders[i + 1] == nil,
          bn.channels == bias.count
        {
          let perChannel = weights.count / max(1, bias.count)
          for c in 0..<bn.channels {
            let r = 1 / BatchNormFolding.deviation(bn, c), factor = bn.gamma.value[c] * r
            for k in 0..<perChannel { weights[c * perChannel + k] *= factor }
            bias[c] = (bias[c] - bn.runningMean[c]) * r * bn.gamma.value[c] + bn.beta.value[c]
          }
          steps.append(
            FloatStep(
              kind: kind, inputShape: (op as? DenseOp)?.flattenedFrom ?? op.input, inputs: [input], output: i + 2,
              layer: rows[i], weightShape: weighted.weight.shape,
              weights: weights, bias: bias))
          i += 2
          continue
        }
        step(kind, w: weighted.weight.shape, weights: weights, bias: bias)
      case let bn as BatchNormOp:
        let r = (0..<bn.channels).map { 1 / BatchNormFolding.deviation(bn, $0) }
        let scales = (0..<bn.channels).map { bn.gamma.value[$0] * r[$0] }
        let offsets = (0..<bn.channels).map { bn.beta.value[$0] - bn.runningMean[$0] * scales[$0] }
        step(.affine(scales: scales, offsets: offsets))
      case let relu as ReLUOp: step(relu.cap > 0 ? .relu6 : .relu)
      case let pool as MaxPoolOp: step(.maxPool(kernel: pool.kernel, stride: pool.stride))
      case let pool as AvgPoolOp: step(.avgPool(kernel: pool.kernel, stride: pool.stride))
      case is GlobalAvgPoolOp: step(.globalAvgPool)
      case let add as ResidualAddOp: step(.add, inputs: [input, alias[add.source]])
      default:
        // Flatten (the dense layer after it flattens in PyTorch's order) and dropout (the identity).
        alias[i + 1] = input
      }
      i += 1
    }
    return steps
  }

  /// For each operation, the row of `summary` it belongs to (residual blocks count as a row, and
  /// their inner layers follow).
  func summaryRows() -> [Int] {
    var rows = [Int](repeating: 0, count: ops.count)
    var number = 0
    func walk(_ layers: [NetworkLayer]) {
      for layer in layers {
        for op in layer.opRange where op < rows.count { rows[op] = number }
        number += 1
        walk(layer.children)
      }
    }
    walk(layers)
    return rows
  }
}
