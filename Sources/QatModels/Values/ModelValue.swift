import QatEngine
import QatImages
import QatImagesLanguage
import QatOutput
import QatSupport
import QatsLanguage

/// What a model knows about the images it takes: enough to turn a PNG file into its input.
struct InputDescription {
  var shape: ActivationShape
  var classes: [String]?
  var mean: [Double]
  var std: [Double]

  /// From a dataset's training split.
  init(split: ImageSplit) {
    shape = ActivationShape(channels: split.channels, height: split.height, width: split.width)
    classes = split.classes
    mean = split.mean
    std = split.std
  }

  init(shape: ActivationShape) {
    self.shape = shape
    classes = nil
    mean = Array(repeating: 0, count: shape.channels)
    std = Array(repeating: 1, count: shape.channels)
  }
}

/// `net = model(data) { … }`: the layers as written, and the built network once the input
/// shape is known (at once with `model(data)` or `model(input:)`, at first use otherwise).
public final class ModelValue: HostObject {
  let specs: [LayerSpec]
  /// Where each layer was written, by spec tag.
  let locations: [Int: SourceLocation]
  /// The fp32 network, or a quantized model's fake-quantized simulation (nil for a model loaded as
  /// an integer program).
  private(set) var network: Network?
  /// A quantized model's integer program: what `evaluate` and `predict` run.
  let integer: IntegerNetwork?
  var input: InputDescription?
  /// Test accuracy measured when the model was made (quantized models), shown with it.
  /// The file records it, so setting it changes the file's size.
  var knownAccuracy: Double? { didSet { cachedFileSize = nil } }
  /// True for a model read by `load`: trained, although its file keeps no history.
  var loaded = false
  /// Where a model came from when it was not made here ("imported from ONNX (pytorch 2.15, opset 13) · …"),
  /// shown with its summary.
  var origin: String?
  /// The byte count of the model's file, once computed (a model does not change once it is quantized).
  private var cachedFileSize: Int?

  init(
    specs: [LayerSpec], locations: [Int: SourceLocation], network: Network?, integer: IntegerNetwork? = nil,
    input: InputDescription?
  ) {
    self.specs = specs
    self.locations = locations
    self.network = network
    self.integer = integer
    self.input = input
  }

  /// What inference runs: the integer program when there is one.
  var program: InferenceProgram? { integer ?? network }

  /// What inference runs, compiled for it: the integer program, the fp32 network's inference program
  /// (`FloatProgram`: batch norm folded, fused epilogues), or a fake-quantized network as it is.
  var inferenceProgram: InferenceProgram? {
    if let integer { return integer }
    guard let network else { return nil }
    return FloatProgram(network) ?? network
  }

  /// The size of this model's file (`save`), in bytes: every size the tool reports is this number.
  var fileSize: Int? {
    if let cachedFileSize { return cachedFileSize }
    guard let bytes = try? ModelFileMapping.file(for: self).encoded() else { return nil }
    // fp32 and prepared models change with training; only a quantized model's size is fixed.
    if integer != nil { cachedFileSize = bytes.count }
    return bytes.count
  }

  /// Builds the network for `shape` (once), mapping a shape error to the layer where it was written.
  func build(for description: InputDescription, interpreter: Interpreter, at location: SourceLocation) throws -> Network
  {
    if let network { return network }
    if let (message, hint) = refusal(.network, operation: "build") {
      throw QatsError(.runtime, message, at: location, hint: hint)
    }
    do {
      let network = try Network.build(
        specs, input: description.shape, random: &interpreter.random, budget: interpreter.memoryBudget)
      self.network = network
      input = description
      return network
    } catch {
      throw QatsError(.runtime, error.message, at: locations[error.tag] ?? location, hint: error.hint)
    }
  }

  public var typeName: String { "model" }

  static func layerCount(_ specs: [LayerSpec]) -> Int {
    specs.reduce(0) { n, s in
      if case .residual(let inner) = s.kind { return n + 1 + layerCount(inner) }
      return n + 1
    }
  }

  /// "10 layers · 6,186 parameters · 25.9 KB file · input 1x8x8" (the size of its saved file).
  public var summary: String {
    if let integer { return IntegerModelText.summary(self, integer) }
    if let network, let state = network.quantization { return QuantizedModelText.summary(self, network, state) }
    let layers = Self.layerCount(specs)
    let layerText = "\(layers) \(layers == 1 ? "layer" : "layers")"
    guard let network else { return "\(layerText) · input shape fixed at first use" }
    let s = network.inputShape
    let size = fileSize.map { " · \(Units.bytes($0)) file" } ?? ""
    return
      """
      \(layerText) · \(Units.grouped(network.parameterCount)) parameters\(size) · input \
      \(s.channels)x\(s.height)x\(s.width)
      """ + (origin.map { " · \($0)" } ?? "")
  }

  public var memberNames: [String] {
    ["layers", "history", "parameters", "input", "output", "classes", "summary", "size"]
      + (integer != nil
        ? IntegerModelText.memberNames : network?.quantization == nil ? [] : QuantizedModelText.memberNames)
  }

  public func member(_ name: String) throws -> Value? {
    switch name {
    case "layers":
      if let network { return .list(network.layers.map { .object(LayerValue(layer: $0, network: network)) }) }
      return .list(specs.map { .string($0.description) })
    case "history": return .object(HistoryValue(records: network?.history ?? []))
    case "parameters": return .int(network?.parameterCount ?? 0)
    case "input": return program.map { .list($0.inputShape.dimensions.map(Value.int)) } ?? Value.none
    case "output": return program.map { .list($0.outputShape.dimensions.map(Value.int)) } ?? Value.none
    case "classes": return input?.classes.map { .list($0.map(Value.string)) } ?? Value.none
    case "summary": return .string(summary)
    case "size": return fileSize.map(Value.int) ?? Value.none
    default:
      if let integer { return IntegerModelText.member(name, of: self, integer) }
      if let network, let state = network.quantization {
        return QuantizedModelText.member(name, of: self, state: state)
      }
      return nil
    }
  }

  public func index(_ key: Value) throws -> Value? { nil }

  public func plainValue() -> Value? {
    .record(
      Record([
        ("layers", .list(specs.map { .string($0.description) })),
        ("parameters", .int(network?.parameterCount ?? 0)),
        ("input", program.map { .list($0.inputShape.dimensions.map(Value.int)) } ?? .none),
      ]))
  }

  /// The summary table: every layer with its output shape and parameter count.
  public func render(_ format: RenderFormat) -> String {
    if let integer { return IntegerModelText.table(self, integer).render(format) }
    if let network, let state = network.quantization {
      return QuantizedModelText.table(self, network, state).render(format)
    }
    guard let network else {
      let lines = specs.map { "  " + $0.description }
      return (["model: " + summary] + lines).joined(separator: "\n")
    }
    let table = SummaryTable.make(network, fileSize: fileSize)
    guard let origin else { return table.render(format) }
    return table.render(format) + "\n" + PlainText(origin).render(format)
  }
}

/// `summary(net)`: one row per layer (residual blocks indented), output shapes, parameters.
enum SummaryTable {
  static func make(_ network: Network, fileSize: Int?) -> TextTable {
    var rows: [[String]] = []
    var number = 0
    func add(_ layers: [NetworkLayer], depth: Int) {
      for layer in layers {
        let indent = String(repeating: "  ", count: depth)
        let name = layer.children.isEmpty && layer.spec.name != "residual" ? layer.spec.description : "residual {"
        rows.append(["\(number)", indent + name, layer.outputShape.description, Units.grouped(layer.parameterCount)])
        number += 1
        if layer.spec.name == "residual" {
          add(layer.children, depth: depth + 1)
          rows.append(["", indent + "} + input", layer.outputShape.description, ""])
        }
      }
    }
    add(network.layers, depth: 0)
    let s = network.inputShape
    return TextTable(
      title: "model: input \(s.description) · \(Units.grouped(network.parameterCount)) parameters"
        + (fileSize.map { " · \(Units.bytes($0)) file" } ?? ""),
      headers: ["#", "layer", "output", "parameters"], rows: rows, rightAligned: [true, false, false, true],
      footer: ["", "total", network.outputShape.description, Units.grouped(network.parameterCount)])
  }
}
