import CKernels

/// One step of an integer program as another runtime needs it (the ONNX exporter): what it computes,
/// which activations it reads and writes, and its integer weights in PyTorch's order. The program's
/// activations (`IntegerNetwork.activations`) give every grid.
public struct IntegerStep: Sendable {
  public enum Kind: Sendable, Equatable {
    /// A convolution; `groups` equal to the channels is a depthwise one.
    case conv(kernel: Int, stride: Int, pad: Int, groups: Int)
    /// A fully connected layer; its input may be a feature map, flattened in PyTorch's (c, h, w) order.
    case dense
    case maxPool(kernel: Int, stride: Int)
    case avgPool(kernel: Int, stride: Int)
    case globalAvgPool
    /// The residual add of `inputs[0]` (the block's output) and `inputs[1]` (its input).
    case add
    /// y = scales[c]·x + offsets[c] per channel (a batch norm on its own; the identity for a ReLU,
    /// ReLU6 or requantization, whose work is the clamp).
    case affine(scales: [Double], offsets: [Double])
  }

  /// Integer weights (symmetric, zero point 0) with one scale per output channel, and the bias at
  /// scale s_x·s_w[c].
  public struct Weights: Sendable {
    /// [out, in/groups, k, k] for a conv, [out, in] for a dense layer.
    public let shape: [Int]
    /// In the order of `shape` (PyTorch's).
    public let values: [Int8]
    public let scales: [Float]
    public let bits: Int
    public let bias: [Int32]
  }

  public let kind: Kind
  /// "conv 3×3 → 16", "maxpool 2", …
  public let name: String
  public let inputs: [Int]
  public let output: Int
  /// The clamp on the output grid ([qmin, qmax] of its bits, narrowed by a ReLU or ReLU6); nil when
  /// the step cannot leave its input's values (pooling).
  public let clamp: ClosedRange<Int32>?
  public let weights: Weights?
}

extension IntegerNetwork {
  /// The program's steps, in order, for exporters.
  public var steps: [IntegerStep] { ops.map(\.step) }
}

extension IntegerOp {
  var step: IntegerStep {
    switch self {
    case let op as IntegerMatMulOp: return op.describe()
    case let op as IntegerDepthwiseOp: return op.describe()
    case let op as IntegerMaxPoolOp:
      return IntegerStep(
        kind: .maxPool(kernel: op.kernel, stride: op.stride), name: name, inputs: inputs, output: output, clamp: nil,
        weights: nil)
    case let op as IntegerAvgPoolOp:
      let kind: IntegerStep.Kind = op.kernel.map { .avgPool(kernel: $0, stride: op.stride) } ?? .globalAvgPool
      return IntegerStep(kind: kind, name: name, inputs: inputs, output: output, clamp: nil, weights: nil)
    case let op as IntegerAddOp:
      return IntegerStep(kind: .add, name: name, inputs: inputs, output: output, clamp: op.low...op.high, weights: nil)
    case let op as IntegerAffineOp:
      return IntegerStep(
        kind: .affine(scales: op.realScales, offsets: op.realOffsets), name: name, inputs: inputs, output: output,
        clamp: op.low...op.high, weights: nil)
    default:
      return IntegerStep(kind: .add, name: name, inputs: inputs, output: output, clamp: nil, weights: nil)
    }
  }
}

extension IntegerMatMulOp {
  func describe() -> IntegerStep {
    let l = weights.layout
    var values = [Int8](repeating: 0, count: weights.values.count)
    let shape: [Int]
    let kind: IntegerStep.Kind
    switch form {
    case .conv(let s, _):
      // The engine's layout: per group, rows (ky, kx, i) × columns (output channel in the group).
      let k = Int(s.kernel), cin = Int(s.c_in) / max(1, l.blocks)
      shape = [l.channels, cin, k, k]
      kind = .conv(kernel: k, stride: Int(s.stride), pad: Int(s.pad), groups: l.blocks)
      var at = 0
      for o in 0..<l.channels {
        let g = o / l.columns, oo = o % l.columns
        for i in 0..<cin {
          for ky in 0..<k {
            for kx in 0..<k {
              values[at] = weights.values[g * l.rows * l.columns + ((ky * k + kx) * cin + i) * l.columns + oo]
              at += 1
            }
          }
        }
      }
    case .dense:
      // Rows are input features in the engine's NHWC flatten order (h, w, c) when the input is a feature map.
      shape = [l.channels, l.rows]
      kind = .dense
      let s = inputShape, plane = s.height * s.width
      for o in 0..<l.channels {
        for f in 0..<l.rows {
          let row = s.isFlat || plane == 0 ? f : (f % plane) * s.channels + f / plane
          values[o * l.rows + f] = weights.values[row * l.columns + o]
        }
      }
    }
    return IntegerStep(
      kind: kind, name: name, inputs: inputs, output: output, clamp: requant.low...requant.high,
      weights: IntegerStep.Weights(
        shape: shape, values: values, scales: weights.scales, bits: weights.bits, bias: weights.bias))
  }
}

extension IntegerDepthwiseOp {
  func describe() -> IntegerStep {
    // The float engine keeps a depthwise conv's weights per channel, [c][kh][kw]: PyTorch's [c, 1, k, k].
    let k = Int(shape.kernel), c = Int(shape.c_out)
    return IntegerStep(
      kind: .conv(kernel: k, stride: Int(shape.stride), pad: Int(shape.pad), groups: c), name: name, inputs: inputs,
      output: output, clamp: requant.low...requant.high,
      weights: IntegerStep.Weights(
        shape: [c, 1, k, k], values: weights.values, scales: weights.scales, bits: weights.bits, bias: weights.bias))
  }
}
