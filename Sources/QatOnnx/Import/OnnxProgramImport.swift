import Foundation
import OnnxProto
import QatEngine
import QatModelFile

/// Reads a QDQ file that qat-repl exported back into an integer program: the grids from its
/// QuantizeLinear scales and zero points, the integer weights, scales and biases from its initializers,
/// every clamp from its Clip bounds, the steps from its nodes — turned into the layer table a `.qnet` file
/// holds and checked by the same decoder. What `agree(q, data, onnx: path)` compares with the program the
/// file was written from. QDQ files from other tools are refused (their graphs have no such layout).
public enum OnnxProgramImport {
  /// The program in `data`, or why it cannot be read.
  public static func program(_ data: Data, budget: Int) throws(OnnxImportError) -> IntegerNetwork {
    let model: Onnx_ModelProto
    do {
      model = try Onnx_ModelProto(serializedBytes: data)
    } catch {
      throw OnnxImportError("it is not an ONNX model (its protocol buffer does not decode: \(error))")
    }
    let props = Dictionary(model.metadataProps.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
    guard props["qat_repl.kind"] == "qdq", let table = props["qat_repl.activations"].flatMap(json) as? [[Any]],
      let bitsList = props["qat_repl.weight_bits"].flatMap(json) as? [Any],
      let output = props["qat_repl.output"].flatMap(Int.init),
      let method = props["method"].flatMap(QuantMethod.init(rawValue:)),
      let weightBits = props["weight_bits"].flatMap(Int.init),
      let activationBits = props["activation_bits"].flatMap(Int.init)
    else {
      throw OnnxImportError(
        "it is not a quantized model exported by qat-repl",
        hint: "agree(…, onnx:) reads back the QDQ files export() writes")
    }
    var constants = OnnxConstants(budget: budget)
    for t in model.graph.initializer { constants.add(t.name, .tensor(t)) }
    var reader = ProgramReader(constants: constants, graph: model.graph)
    let activations = try reader.activations(table)
    let steps = try reader.steps(
      activations: activations, weightBits: bitsList.map { ($0 as? NSNumber)?.intValue ?? 0 })
    let info = IntegerProgramInfo(method: method, weightBits: weightBits, activationBits: activationBits)
    switch IntegerNetwork.fromFileLayers(
      [activationTable(activations)] + steps, info: info, output: output, budget: budget)
    {
    case .success(let program): return program
    case .failure(let reason): throw OnnxImportError("its integer program does not hold together: \(reason.reason)")
    }
  }

  static func json(_ text: String) -> Any? {
    text.data(using: .utf8).flatMap { try? JSONSerialization.jsonObject(with: $0) }
  }

  /// The `q.activations` entry a model file stores (see IntegerNetwork+ModelFile).
  static func activationTable(_ activations: [ProgramReader.Activation]) -> ModelFile.Layer {
    var table: [Int32] = []
    for a in activations {
      table += [a.channels, a.height, a.width, a.flat ? 1 : 0, Int(a.zeroPoint), a.bits, a.name.isEmpty ? 0 : 1].map {
        Int32(clamping: $0)
      }
    }
    return ModelFile.Layer(
      type: "q.activations", name: activations.map(\.name).joined(separator: "\n"),
      tensors: [
        ModelFile.Tensor(name: "table", shape: [activations.count, 7], data: .int32(table)),
        ModelFile.Tensor(name: "scale", shape: [activations.count], data: .float32(activations.map(\.scale))),
      ])
  }
}

/// Walks the nodes of a qat-repl QDQ graph step by step (the exporter names step k's result `s{k}` and
/// activation i `a{i}`).
struct ProgramReader {
  struct Activation {
    var channels, height, width: Int
    var flat: Bool
    var bits: Int
    var name: String
    var scale: Float
    var zeroPoint: Int32
  }

  var constants: OnnxConstants
  let nodes: [Onnx_NodeProto]
  let initializers: [String: Onnx_TensorProto]
  /// Tensor name → the node that writes it.
  let writer: [String: Onnx_NodeProto]

  init(constants: OnnxConstants, graph: Onnx_GraphProto) {
    self.constants = constants
    nodes = graph.node
    initializers = Dictionary(graph.initializer.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
    var writer: [String: Onnx_NodeProto] = [:]
    for n in graph.node { for o in n.output where writer[o] == nil { writer[o] = n } }
    self.writer = writer
  }

  mutating func scalar(_ name: String) throws(OnnxImportError) -> Double {
    let c = try constants.value(name, context: "")
    if let f = c.floats.first, c.count == 1 { return Double(f) }
    if let i = c.ints.first, c.count == 1 { return Double(i) }
    throw OnnxImportError("the constant '\(name)' is not one number")
  }

  /// The raw bytes of an 8-bit (or INT4) initializer, which OnnxConstants does not decode.
  func bytes(_ name: String) throws(OnnxImportError) -> (dims: [Int], type: Int32, raw: Data) {
    guard let t = initializers[name] else {
      throw OnnxImportError("the graph lacks its initializer '\(name)'")
    }
    return (t.dims.map { Int(clamping: $0) }, t.dataType, t.rawData)
  }

  mutating func activations(_ table: [[Any]]) throws(OnnxImportError) -> [Activation] {
    try table.enumerated().map { i, row throws(OnnxImportError) in
      let n = row.prefix(5).compactMap { ($0 as? NSNumber)?.intValue }
      guard n.count == 5, row.count == 6, let name = row[5] as? String else {
        throw OnnxImportError("its description of activation \(i) is malformed")
      }
      let scale = Float(try scalar("a\(i)_scale"))
      let zero = try bytes("a\(i)_zero")
      guard zero.raw.count == 1 else { throw OnnxImportError("activation \(i) has no uint8 zero point") }
      return Activation(
        channels: n[0], height: n[1], width: n[2], flat: n[3] != 0, bits: n[4], name: name, scale: scale,
        zeroPoint: Int32(zero.raw[zero.raw.startIndex]))
    }
  }
}
