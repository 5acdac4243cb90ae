/// What a user asked for, layer by layer, before any shape is known: the engine builds a
/// `Network` from a list of these once the input shape is fixed.
public struct LayerSpec: Sendable, Equatable {
  public indirect enum Kind: Sendable, Equatable {
    case conv(out: Int, kernel: Int, stride: Int, pad: Int, groups: Int)
    case dense(out: Int)
    case relu
    case relu6
    case maxpool(kernel: Int, stride: Int)
    case avgpool(kernel: Int, stride: Int)
    case globalAvgPool
    case batchNorm
    case flatten
    case dropout(p: Double)
    /// A block whose output is added to its input.
    case residual([LayerSpec])
  }

  public let kind: Kind
  /// An opaque number the caller uses to find where the layer was written (shape errors carry it).
  public let tag: Int

  public init(_ kind: Kind, tag: Int = 0) {
    self.kind = kind
    self.tag = tag
  }

  /// The layer as it would be written in a script: `conv(16, kernel: 3, pad: 1)`.
  public var description: String {
    switch kind {
    case let .conv(out, kernel, stride, pad, groups):
      var parts = ["\(out)", "kernel: \(kernel)"]
      if stride != 1 { parts.append("stride: \(stride)") }
      if pad != 0 { parts.append("pad: \(pad)") }
      if groups != 1 { parts.append("groups: \(groups)") }
      return "conv(\(parts.joined(separator: ", ")))"
    case .dense(let out): return "dense(\(out))"
    case .relu: return "relu()"
    case .relu6: return "relu6()"
    case let .maxpool(k, s): return s == k ? "maxpool(\(k))" : "maxpool(\(k), stride: \(s))"
    case let .avgpool(k, s): return s == k ? "avgpool(\(k))" : "avgpool(\(k), stride: \(s))"
    case .globalAvgPool: return "globalavgpool()"
    case .batchNorm: return "batchnorm()"
    case .flatten: return "flatten()"
    case .dropout(let p): return "dropout(\(p))"
    case .residual: return "residual"
    }
  }

  /// The built-in's name: "conv", "dense", …
  public var name: String {
    switch kind {
    case .conv: return "conv"
    case .dense: return "dense"
    case .relu: return "relu"
    case .relu6: return "relu6"
    case .maxpool: return "maxpool"
    case .avgpool: return "avgpool"
    case .globalAvgPool: return "globalavgpool"
    case .batchNorm: return "batchnorm"
    case .flatten: return "flatten"
    case .dropout: return "dropout"
    case .residual: return "residual"
    }
  }
}

/// A layer that does not fit the shape reaching it, found when the network is built.
public struct ShapeError: Error, Sendable {
  /// The `LayerSpec.tag` of the layer at fault.
  public let tag: Int
  public let message: String
  public let hint: String?
  /// True when the layer is refused because the model would not fit the memory budget.
  public var overBudget = false
}

extension LayerSpec {
  /// The ε of every batch norm, (x − mean)/√(var + ε): PyTorch's default, 1e-5.
  public static var batchNormEpsilon: Float { BatchNormOp.epsilon }
}
