import Foundation
import OnnxProto
import QatEngine
import QatSupport

/// What an exported file says about its model besides the graph (its `metadata_props`).
public struct OnnxExportInfo: Sendable {
  /// Label i is `classNames[i]`; may be empty.
  public var classNames: [String]
  /// The normalization the graph applies to 0…1 pixels, (x − mean[c]) / std[c].
  public var mean: [Double]
  public var std: [Double]
  /// 13 (the default: every quantized tensor in int8/uint8) or up to 21 (≤ 4-bit weights as INT4).
  public var opset: Int
  /// The version of qat-repl that wrote the file.
  public var producerVersion: String

  public init(classNames: [String], mean: [Double], std: [Double], opset: Int = 13, producerVersion: String) {
    self.classNames = classNames
    self.mean = mean
    self.std = std
    self.opset = opset
    self.producerVersion = producerVersion
  }
}

/// An ONNX model ready to be written.
public struct OnnxDocument: @unchecked Sendable {
  /// The protocol-buffer message (swift-protobuf messages are value types; nothing shares it).
  public let model: Onnx_ModelProto

  /// The file's bytes.
  public func serialized() throws(OnnxExportError) -> Data { try OnnxExport.serialized(model) }

  /// Writes the file atomically and returns its byte count.
  public func write(to path: String) throws(OnnxExportError) -> Int { try OnnxExport.write(model, to: path) }
}

/// Why a model cannot be exported.
public struct OnnxExportError: Error, Sendable {
  public let message: String
  public let hint: String?

  public init(_ message: String, hint: String? = nil) {
    self.message = message
    self.hint = hint
  }
}

/// Writes models as ONNX files that ONNX Runtime runs (docs/onnx.md): an fp32 network as an inference
/// graph with its batch norms folded, an integer program as a QDQ graph. Both take `input`, float32
/// [N, C, H, W] pixels in 0…1, normalize inside the graph and give `logits` and `probabilities`.
public enum OnnxExport {
  /// The opsets a file may be written at.
  public static let opsets = 13...21

  /// The fp32 network's file, or an error for a quantized one.
  public static func float(_ network: Network, info: OnnxExportInfo) throws(OnnxExportError) -> OnnxDocument {
    guard let steps = network.inferenceSteps() else {
      throw OnnxExportError("a quantized network is exported through its integer program")
    }
    var graph = FloatGraphExport(network: network, steps: steps, info: info)
    let written = graph.write()
    return try document(
      written, input: network.inputShape, classes: network.outputShape.elements, info: info,
      properties: [("qat_repl.kind", "fp32")])
  }

  /// The integer program's QDQ file.
  public static func quantized(_ program: IntegerNetwork, info: OnnxExportInfo) throws(OnnxExportError)
    -> OnnxDocument
  {
    var graph = QuantizedGraphExport(program: program, info: info)
    let written = try graph.write()
    let p = program.info
    // What reading the file back as an integer program needs beyond its graph (OnnxProgramImport):
    // each activation's shape, bits and quantization point, and each step's weight bits.
    let activations = program.activations.map { a in
      let s = a.shape
      return "[\(s.channels), \(s.height), \(s.width), \(s.isFlat ? 1 : 0), \(a.params.range.bits), "
        + "\"\(escaped(a.name ?? ""))\"]"
    }
    let weightBits = program.steps.map { "\($0.weights?.bits ?? 0)" }
    return try document(
      written, input: program.inputShape, classes: program.outputShape.elements, info: info,
      properties: [
        ("qat_repl.kind", "qdq"), ("method", p.method.rawValue), ("weight_bits", "\(p.weightBits)"),
        ("activation_bits", "\(p.activationBits)"), ("qat_repl.activations", json(activations)),
        ("qat_repl.weight_bits", json(weightBits)), ("qat_repl.output", "\(program.outputIndex)"),
      ])
  }

  /// The file's bytes.
  public static func serialized(_ model: Onnx_ModelProto) throws(OnnxExportError) -> Data {
    do {
      return try model.serializedBytes()
    } catch {
      throw OnnxExportError("the ONNX encoder failed: \(error)")
    }
  }

  /// Writes `model` to `path` atomically and returns the byte count.
  public static func write(_ model: Onnx_ModelProto, to path: String) throws(OnnxExportError) -> Int {
    let data = try serialized(model)
    do {
      try AtomicFile.write(data, to: path)
    } catch {
      throw OnnxExportError(error.description)
    }
    return data.count
  }

  /// The IR version each opset needs (docs/Versioning.md of ONNX).
  static func irVersion(opset: Int) -> Int64 {
    switch opset {
    case ...14: return 7
    case 15...18: return 8
    case 19...20: return 9
    default: return 10
    }
  }

  static func document(
    _ writer: OnnxGraphWriter, input: ActivationShape, classes: Int, info: OnnxExportInfo,
    properties: [(String, String)]
  ) throws(OnnxExportError) -> OnnxDocument {
    guard opsets.contains(info.opset) else {
      throw OnnxExportError(
        "opset \(info.opset) is not one qat-repl writes", hint: "use opset 13 (the default) up to 21")
    }
    var graph = Onnx_GraphProto()
    graph.name = "qat-repl"
    graph.node = writer.nodes
    graph.initializer = writer.initializers
    graph.input = [OnnxValueInfo.tensor("input", type: .float, batchDims: input.dimensions)]
    graph.output = [
      OnnxValueInfo.tensor("logits", type: .float, batchDims: [classes]),
      OnnxValueInfo.tensor("probabilities", type: .float, batchDims: [classes]),
    ]
    var model = Onnx_ModelProto()
    model.irVersion = irVersion(opset: info.opset)
    var opset = Onnx_OperatorSetIdProto()
    opset.domain = ""
    opset.version = Int64(info.opset)
    model.opsetImport = [opset]
    model.producerName = "qat-repl"
    model.producerVersion = info.producerVersion
    model.docString =
      "input: float32 [N, C, H, W] pixels in 0..1 (value / 255), normalized inside the graph; outputs: logits, probabilities"
    model.graph = graph
    var props: [(String, String)] =
      info.classNames.isEmpty ? [] : [("classes", json(info.classNames.map { "\"\(escaped($0))\"" }))]
    props += [
      ("mean", json(info.mean.map { "\($0)" })), ("std", json(info.std.map { "\($0)" })),
      ("pixel_scale", "value / 255 (0..1), then (x - mean) / std per channel"),
      ("qat_repl.version", info.producerVersion),
    ]
    props += properties
    model.metadataProps = props.map { key, value in
      var entry = Onnx_StringStringEntryProto()
      entry.key = key
      entry.value = value
      return entry
    }
    return OnnxDocument(model: model)
  }

  static func json(_ items: [String]) -> String { "[" + items.joined(separator: ", ") + "]" }

  /// A string as a JSON string's contents.
  static func escaped(_ s: String) -> String {
    var out = ""
    for scalar in s.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\t": out += "\\t"
      case "\r": out += "\\r"
      default:
        if scalar.value < 0x20 {
          out += String(format: "\\u%04x", scalar.value)
        } else {
          out.unicodeScalars.append(scalar)
        }
      }
    }
    return out
  }
}
