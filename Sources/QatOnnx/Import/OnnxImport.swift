import Foundation
import OnnxProto
import QatEngine
import QatModelFile
import QatSupport

/// Reads fp32 ONNX graphs — as `torch.onnx.export` writes them for the networks qat-repl expresses —
/// into qat-repl's fp32 model file form, so that they load exactly as a saved `.qnet` does. The file
/// is untrusted: every size is checked before anything is allocated and anything else is refused
/// with the node named (docs/onnx.md, "Import").
public enum OnnxImport {
  /// The largest file read (a model of tens of millions of parameters).
  public static let maxFileBytes = 256 << 20
  /// The opsets of the default domain that are read.
  public static let opsets = 11...21
  /// Nodes in a graph.
  public static let maxNodes = 100_000

  /// Reads and converts the file at `path`; `mean`/`std` give the normalization a graph without its
  /// own was trained with; `budget` bounds the decoded tensors and the network's memory.
  public static func read(path: String, mean: [Double]?, std: [Double]?, budget: Int) throws(OnnxImportError)
    -> ImportedOnnxModel
  {
    try convert(try bytes(path: path), mean: mean, std: std, budget: budget)
  }

  /// The bytes of the ONNX file at `path`, refused when it is not a regular file or larger than
  /// `maxFileBytes`.
  public static func bytes(path: String) throws(OnnxImportError) -> Data {
    var info = stat()
    guard stat(path, &info) == 0 else {
      throw OnnxImportError("there is no file at '\(PrintableName.of(path))'", hint: "check the path")
    }
    guard (info.st_mode & S_IFMT) == S_IFREG else { throw OnnxImportError("'\(PrintableName.of(path))' is not a file") }
    guard Int(info.st_size) <= maxFileBytes else {
      throw OnnxImportError(
        "'\(PrintableName.of(path))' is \(Units.bytes(Int(info.st_size))), more than the "
          + "\(Units.bytes(maxFileBytes)) an ONNX file may have here")
    }
    guard let handle = FileHandle(forReadingAtPath: path) else {
      throw OnnxImportError("cannot open '\(PrintableName.of(path))'", hint: "check its permissions")
    }
    defer { try? handle.close() }
    let data: Data
    do {
      data = try handle.read(upToCount: maxFileBytes + 1) ?? Data()
    } catch {
      throw OnnxImportError("cannot read '\(PrintableName.of(path))': \(error.localizedDescription)")
    }
    guard data.count <= maxFileBytes else { throw OnnxImportError("'\(PrintableName.of(path))' is too large") }
    return data
  }

  /// Converts the bytes of an ONNX file.
  public static func convert(_ data: Data, mean: [Double]?, std: [Double]?, budget: Int) throws(OnnxImportError)
    -> ImportedOnnxModel
  {
    let model: Onnx_ModelProto
    do {
      model = try Onnx_ModelProto(serializedBytes: data)
    } catch {
      throw OnnxImportError(
        "it is not an ONNX model (its protocol buffer does not decode: \(error))",
        hint: "give a .onnx file written by torch.onnx.export, qat-repl's export or another ONNX tool")
    }
    let opset = try defaultOpset(model)
    let graph = model.graph
    guard graph.node.count <= maxNodes else {
      throw OnnxImportError("its graph has \(graph.node.count) nodes, more than the \(maxNodes) qat-repl reads")
    }
    var constants = OnnxConstants(budget: min(budget, maxFileBytes * 2))
    for t in graph.initializer { constants.add(t.name, .tensor(t)) }
    var nodes: [OnnxNode] = []
    for (i, proto) in graph.node.enumerated() {
      let node = OnnxNode(index: i, proto: proto)
      guard proto.domain.isEmpty || proto.domain == "ai.onnx" else {
        throw node.error(
          "is in the operator domain '\(proto.domain)'; qat-repl reads the standard ONNX operators: "
            + OnnxSupported.operators)
      }
      if node.op == "Constant", let out = node.namedOutputs.first {
        guard let value = node.attribute("value"), value.type == .tensor || value.hasT else {
          throw node.error("is a Constant without a tensor `value`")
        }
        constants.add(out, .tensor(value.t))
      } else {
        nodes.append(node)
      }
    }
    let (inputName, shape) = try graphInput(graph, constants: constants)
    let props = Dictionary(model.metadataProps.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
    // Normalization: the graph's own leading Sub/Div, the caller's, the file's metadata, or none.
    var start = inputName
    var normalization = NormalizationSource.unknown
    var means = [Double](repeating: 0, count: shape.channels), stds = [Double](repeating: 1, count: shape.channels)
    if let (m, s, end) = try leadingNormalization(
      nodes, from: inputName, channels: shape.channels, constants: &constants)
    {
      if let mean, let std, mean != m || std != s {
        throw OnnxImportError(
          "the graph normalizes its input itself (mean \(m), std \(s)); `mean:` and `std:` are for graphs that "
            + "do not", hint: "leave out mean: and std:")
      }
      (means, stds, start, normalization) = (m, s, end, .graph)
    } else if let mean, let std {
      guard mean.count == shape.channels, std.count == shape.channels else {
        throw OnnxImportError(
          "`mean:` and `std:` need \(shape.channels) values, one per input channel; got \(mean.count) and \(std.count)")
      }
      (means, stds, normalization) = (mean, std, .arguments)
    } else if let m = props["mean"].flatMap(numbers), let s = props["std"].flatMap(numbers),
      m.count == shape.channels, s.count == shape.channels, s.allSatisfy({ $0 > 0 })
    {
      (means, stds, normalization) = (m, s, .metadata)
    }
    let outputs = graph.output.map(\.name)
    guard let output = outputs.first(where: { $0 == "logits" }) ?? outputs.first else {
      throw OnnxImportError("its graph has no output")
    }
    var converter = OnnxGraphConverter(
      nodes: nodes.filter { !isIgnoredTail($0, output: output) }, constants: constants, output: output)
    let layers = try converter.convert(from: start, shape: shape)
    let input = ActivationShape(channels: shape.channels, height: shape.height, width: shape.width)
    var file = ModelFile(kind: .fp32, layers: entries(layers))
    let classNames = (props["classes"].flatMap(strings) ?? [])
    ModelFileMetadata(input: input, mean: means, std: stds, classNames: classNames).write(into: &file)
    let specs: [LayerSpec]
    switch Network.fromFileLayers(file.layers, input: input, budget: budget) {
    case .success(let (network, read)):
      specs = read
      if !classNames.isEmpty && classNames.count != network.outputShape.elements {
        file.classNames = []
      }
    case .failure(let reason):
      throw OnnxImportError("its network cannot be built: \(reason.reason)", hint: reason.hint)
    }
    let producer = [model.producerName, model.producerVersion].filter { !$0.isEmpty }.joined(separator: " ")
    return ImportedOnnxModel(file: file, specs: specs, normalization: normalization, opset: opset, producer: producer)
  }

  /// The opset of the default domain, refused outside `opsets`.
  static func defaultOpset(_ model: Onnx_ModelProto) throws(OnnxImportError) -> Int {
    guard let entry = model.opsetImport.first(where: { $0.domain.isEmpty || $0.domain == "ai.onnx" }) else {
      throw OnnxImportError("it imports no version of the standard ONNX operators")
    }
    guard let opset = Int(exactly: entry.version), opsets.contains(opset) else {
      throw OnnxImportError(
        "it uses opset \(entry.version); qat-repl reads opsets \(opsets.lowerBound) to \(opsets.upperBound)",
        hint: "export with opset_version=13 (or any from 11 to 21)")
    }
    return opset
  }

  /// The graph's image input: its name and [C, H, W].
  static func graphInput(_ graph: Onnx_GraphProto, constants: OnnxConstants) throws(OnnxImportError)
    -> (String, WalkShape)
  {
    guard let input = graph.input.first(where: { !constants.contains($0.name) }) else {
      throw OnnxImportError("its graph has no input")
    }
    let type = input.type.tensorType
    guard type.elemType == OnnxElementType.float.rawValue else {
      throw OnnxImportError("its input '\(input.name)' is not float32 (element type \(type.elemType))")
    }
    let dims = type.shape.dim.map { d -> Int in
      if case .dimValue(let v)? = d.value { return Int(clamping: v) }
      return -1
    }
    guard dims.count == 4, dims[1...].allSatisfy({ $0 > 0 }) else {
      throw OnnxImportError(
        "its input '\(input.name)' has the shape \(dims.map { $0 < 0 ? "?" : "\($0)" }); qat-repl reads image "
          + "models with an input [N, C, H, W] of fixed C, H and W")
    }
    guard dims[1] <= 64, dims[2] <= 4_096, dims[3] <= 4_096 else {
      throw OnnxImportError("its input [N, \(dims[1]), \(dims[2]), \(dims[3])] is larger than qat-repl's images")
    }
    return (input.name, WalkShape(channels: dims[1], height: dims[2], width: dims[3], isFlat: false))
  }

  /// Sub(input, mean) then Div(std) or Mul(1/std) at the start of the graph, per channel.
  static func leadingNormalization(
    _ nodes: [OnnxNode], from input: String, channels: Int, constants: inout OnnxConstants
  ) throws(OnnxImportError) -> ([Double], [Double], String)? {
    func reader(of tensor: String) -> OnnxNode? {
      let r = nodes.filter { $0.proto.input.contains(tensor) }
      return r.count == 1 ? r[0] : nil
    }
    func perChannel(_ node: OnnxNode) throws(OnnxImportError) -> [Double]? {
      guard node.proto.input.count == 2, let name = node.input(1), constants.contains(name) else { return nil }
      let c = try constants.value(name, context: node.context)
      guard c.isFloat, c.dims.filter({ $0 != 1 }).count <= 1 else { return nil }
      if c.floats.count == 1 { return Array(repeating: Double(c.floats[0]), count: channels) }
      return c.floats.count == channels ? c.floats.map(Double.init) : nil
    }
    guard let sub = reader(of: input), sub.op == "Sub", sub.input(0) == input, let mean = try perChannel(sub),
      let subOut = sub.namedOutputs.first, let scale = reader(of: subOut), scale.op == "Div" || scale.op == "Mul",
      let factors = try perChannel(scale), let end = scale.namedOutputs.first
    else { return nil }
    let std = scale.op == "Div" ? factors : factors.map { 1 / $0 }
    guard std.allSatisfy({ $0 > 0 && $0.isFinite }) else { return nil }
    return (mean, std, end)
  }

  /// A trailing Softmax (or LogSoftmax) that only gives a second output: the model's output is its input.
  static func isIgnoredTail(_ node: OnnxNode, output: String) -> Bool {
    (node.op == "Softmax" || node.op == "LogSoftmax") && node.input(0) == output
  }

  /// The layer table of `layers`, depth first, with their tensors.
  static func entries(_ layers: [ConvertedLayer]) -> [ModelFile.Layer] {
    layers.flatMap { layer -> [ModelFile.Layer] in
      if case .residual = layer.kind {
        return [ModelFile.Layer(type: "residual", integers: [Int64(layer.children.count)])] + entries(layer.children)
      }
      var entry = LayerSpecFile.layers([LayerSpec(layer.kind)]).first ?? ModelFile.Layer(type: "?")
      entry.tensors = layer.tensors
      return [entry]
    }
  }

  /// A JSON array of numbers ("[0.5, 0.25]"), or nil.
  static func numbers(_ text: String) -> [Double]? {
    guard let data = text.data(using: .utf8),
      let array = try? JSONSerialization.jsonObject(with: data) as? [Any]
    else { return nil }
    let values = array.compactMap { ($0 as? NSNumber)?.doubleValue }
    return values.count == array.count && values.allSatisfy(\.isFinite) ? values : nil
  }

  /// A JSON array of strings, or nil.
  static func strings(_ text: String) -> [String]? {
    guard let data = text.data(using: .utf8), let array = try? JSONSerialization.jsonObject(with: data) as? [Any]
    else { return nil }
    let values = array.compactMap { $0 as? String }
    return values.count == array.count ? values : nil
  }
}
