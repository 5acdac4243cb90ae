import OnnxProto
import QatEngine

/// Accumulates a graph's nodes and initializers in order, naming nodes uniquely.
struct OnnxGraphWriter {
  var nodes: [Onnx_NodeProto] = []
  var initializers: [Onnx_TensorProto] = []
  private var counts: [String: Int] = [:]

  /// Adds a node and returns its first output's name.
  @discardableResult
  mutating func add(
    _ opType: String, _ inputs: [String], _ outputs: [String], attributes: [Onnx_AttributeProto] = [],
    doc: String = ""
  ) -> String {
    var node = Onnx_NodeProto()
    node.opType = opType
    let n = counts[opType, default: 0]
    counts[opType] = n + 1
    node.name = "\(opType)_\(n)"
    node.input = inputs
    node.output = outputs
    node.attribute = attributes
    if !doc.isEmpty { node.docString = doc }
    nodes.append(node)
    return outputs.first ?? ""
  }

  /// Adds an initializer and returns its name.
  @discardableResult
  mutating func constant(_ tensor: Onnx_TensorProto) -> String {
    initializers.append(tensor)
    return tensor.name
  }
}

extension OnnxGraphWriter {
  /// `input` normalized as the dataset was: (x − mean[c])·(1/std[c]) in float32, exactly as qat-repl
  /// normalizes its images (a multiplication by the reciprocal, not a division). Returns the tensor.
  mutating func normalizedInput(channels: Int, mean: [Double], std: [Double]) -> String {
    guard mean.count == channels, std.count == channels,
      mean.contains(where: { $0 != 0 }) || std.contains(where: { $0 != 1 })
    else { return "input" }
    let m = constant(OnnxTensor.float("mean", mean.map { Float($0) }, dims: [1, channels, 1, 1]))
    let r = constant(OnnxTensor.float("inverse_std", std.map { Float(1 / $0) }, dims: [1, channels, 1, 1]))
    add("Sub", ["input", m], ["centered"], doc: "normalization: x - mean")
    return add("Mul", ["centered", r], ["normalized"], doc: "normalization: (x - mean) * (1 / std)")
  }

  /// Names `logits` the final tensor (flattening a feature map) and adds `probabilities` (softmax).
  mutating func outputs(from tensor: String, flat: Bool) {
    if flat {
      add("Identity", [tensor], ["logits"], doc: "the logits")
    } else {
      add("Flatten", [tensor], ["logits"], attributes: [OnnxAttribute.int("axis", 1)], doc: "the logits")
    }
    add("Softmax", ["logits"], ["probabilities"], attributes: [OnnxAttribute.int("axis", 1)], doc: "probabilities")
  }

  /// A conv node's attributes.
  static func convAttributes(kernel: Int, stride: Int, pad: Int, groups: Int) -> [Onnx_AttributeProto] {
    [
      OnnxAttribute.ints("kernel_shape", [kernel, kernel]), OnnxAttribute.ints("strides", [stride, stride]),
      OnnxAttribute.ints("pads", [pad, pad, pad, pad]), OnnxAttribute.ints("dilations", [1, 1]),
      OnnxAttribute.int("group", groups),
    ]
  }

  /// A pooling node's attributes.
  static func poolAttributes(kernel: Int, stride: Int) -> [Onnx_AttributeProto] {
    [OnnxAttribute.ints("kernel_shape", [kernel, kernel]), OnnxAttribute.ints("strides", [stride, stride])]
  }

  /// The dims of a per-channel constant that broadcasts over `shape` ([1, C, 1, 1] or [1, C]).
  static func channelDims(_ shape: ActivationShape) -> [Int] {
    shape.isFlat ? [1, shape.channels] : [1, shape.channels, 1, 1]
  }
}
