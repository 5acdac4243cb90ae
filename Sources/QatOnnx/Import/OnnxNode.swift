import OnnxProto

/// One node of the graph being imported, with the wording every error about it uses:
/// `node 7 'Conv_3' (Conv): …`, where 7 is its index in `graph.node` (as Python's `onnx` numbers it).
struct OnnxNode {
  let index: Int
  let proto: Onnx_NodeProto

  var op: String { proto.opType }

  /// "node 7 'Conv_3' (Conv)", the name cut short so that a hostile name cannot flood a message.
  var label: String {
    let name = proto.name.count > 80 ? String(proto.name.prefix(80)) + "…" : proto.name
    let op = proto.opType.count > 40 ? String(proto.opType.prefix(40)) + "…" : proto.opType
    return name.isEmpty ? "node \(index) (\(op))" : "node \(index) '\(name)' (\(op))"
  }

  /// The prefix of a message about this node.
  var context: String { "\(label): " }

  func error(_ what: String, hint: String? = nil) -> OnnxImportError {
    OnnxImportError("\(label): \(what)", hint: hint)
  }

  /// Input `i`, or nil when it is absent or empty (ONNX's way of leaving out an optional input).
  func input(_ i: Int) -> String? {
    i < proto.input.count && !proto.input[i].isEmpty ? proto.input[i] : nil
  }

  /// The outputs that are named (optional outputs may be left empty).
  var namedOutputs: [String] { proto.output.filter { !$0.isEmpty } }

  func attribute(_ name: String) -> Onnx_AttributeProto? { proto.attribute.first { $0.name == name } }

  /// An INTS attribute, or `fallback` when it is absent.
  func ints(_ name: String, _ fallback: [Int]) throws(OnnxImportError) -> [Int] {
    guard let a = attribute(name) else { return fallback }
    guard a.type == .ints || (a.type == .undefined && !a.ints.isEmpty) else {
      throw error("its attribute '\(name)' is not a list of integers")
    }
    return a.ints.map { Int($0) }
  }

  /// An INT attribute, or `fallback` when it is absent.
  func int(_ name: String, _ fallback: Int) throws(OnnxImportError) -> Int {
    guard let a = attribute(name) else { return fallback }
    guard a.type == .int || a.type == .undefined else { throw error("its attribute '\(name)' is not an integer") }
    return Int(a.i)
  }

  /// A FLOAT attribute, or `fallback` when it is absent.
  func float(_ name: String, _ fallback: Float) throws(OnnxImportError) -> Float {
    guard let a = attribute(name) else { return fallback }
    guard a.type == .float || a.type == .undefined else { throw error("its attribute '\(name)' is not a number") }
    return a.f
  }

  /// A STRING attribute (UTF-8), or `fallback` when it is absent.
  func string(_ name: String, _ fallback: String) throws(OnnxImportError) -> String {
    guard let a = attribute(name) else { return fallback }
    guard a.type == .string || a.type == .undefined, let s = String(bytes: a.s, encoding: .utf8) else {
      throw error("its attribute '\(name)' is not a string")
    }
    return s
  }
}

/// What the importer reads, for the message that refuses anything else.
enum OnnxSupported {
  static let operators = """
    Conv, BatchNormalization, Relu, Clip (as ReLU or ReLU6), MaxPool, AveragePool, GlobalAveragePool, Flatten, \
    Reshape (to flat), Gemm, MatMul (+ Add of a bias), Add (residual), Dropout, Identity, Constant
    """
}
