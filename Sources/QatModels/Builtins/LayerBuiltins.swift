import QatEngine
import QatSupport
import QatsLanguage

/// Collects the layers written inside `model { … }` (and nested `residual { … }`) blocks: each
/// layer built-in appends its spec to the innermost open block. Kept per interpreter.
final class LayerCollector {
  /// Open blocks, innermost last.
  var stack: [[LayerSpec]] = []
  /// Where each layer was written, by spec tag (for shape errors).
  var locations: [Int: SourceLocation] = [:]
  var nextTag = 1
  /// Layers added to the model being defined (the outermost open block), nested ones included.
  var layersInModel = 0

  /// The most layers one model may have: far beyond any useful network, and small enough that
  /// a runaway loop in a model block ends here rather than in memory the layers' buffers exhaust.
  static let maxLayers = 10_000

  static let sessionKey = SessionKey<LayerCollector>("models.collector")

  static func of(_ interpreter: Interpreter) -> LayerCollector {
    interpreter.sessionObject(sessionKey, orMake: LayerCollector.init)
  }

  /// Runs `block` with a fresh open block and returns the layers it added.
  func collect(_ block: Block, call: BuiltinCall) throws -> [LayerSpec] {
    if stack.isEmpty { layersInModel = 0 }
    stack.append([])
    defer { stack.removeLast() }
    _ = try call.interpreter.runBlock(block, in: call.environment)
    return stack.last ?? []
  }

  /// Appends a layer to the innermost open block.
  func add(_ kind: LayerSpec.Kind, call: BuiltinCall) throws {
    guard !stack.isEmpty else {
      throw call.error(
        "layers belong inside a `model { … }` block",
        hint: "net = model(data) { \(call.builtin.name)(…) }")
    }
    guard layersInModel < Self.maxLayers else {
      throw call.error(
        "a model may have at most \(Units.grouped(Self.maxLayers)) layers",
        hint: "is a loop in the model block adding layers for ever?")
    }
    layersInModel += 1
    let tag = nextTag
    nextTag &+= 1
    locations[tag] = call.location
    stack[stack.count - 1].append(LayerSpec(kind, tag: tag))
  }
}

/// The layer built-ins, usable only inside `model { … }`.
enum LayerBuiltins {
  /// What the docs say a layer built-in gives back.
  static let returns = "nothing: the layer is added to the enclosing model"
  static func all() -> [Builtin] {
    [
      conv, dense, simple("relu", .relu, "max(x, 0)."),
      simple("relu6", .relu6, "min(max(x, 0), 6): a ReLU capped at 6."),
      pool("maxpool", "The maximum of each k×k window."), pool("avgpool", "The mean of each k×k window."),
      simple(
        "globalavgpool", .globalAvgPool, "The mean of each channel over the whole feature map: [C, H, W] → [C, 1, 1]."),
      simple(
        "batchnorm", .batchNorm,
        """
        Batch normalization per channel: batch statistics in training (running statistics updated with momentum \
        0.1), running statistics in evaluation; learns a scale γ and shift β.
        """
      ),
      simple("flatten", .flatten, "Turns a feature map [C, H, W] into a vector [C·H·W] for dense layers."),
      dropout, residual,
    ]
  }

  static var conv: Builtin {
    Builtin(
      "conv", topic: "layers",
      summary:
        """
        A 2-D convolution with `out` output channels and a bias (He-initialized). `groups` equal to the input \
        channels makes it depthwise.
        """,
      parameters: [
        .required("out", .positiveInt, "output channels"),
        .optional("kernel", .positiveInt, default: .int(3), "kernel size (square)"),
        .optional("stride", .positiveInt, default: .int(1), "step between windows"),
        .optional("pad", .nonNegativeInt, default: .int(0), "zero padding on every side"),
        .optional("groups", .positiveInt, default: .int(1), "channel groups (must divide input and output channels)"),
      ],
      returns: Self.returns
    ) { call in
      for name in ["kernel", "stride", "pad"] { try checkSide(name, call) }
      try LayerCollector.of(call.interpreter).add(
        .conv(
          out: call.int("out"), kernel: call.int("kernel"), stride: call.int("stride"), pad: call.int("pad"),
          groups: call.int("groups")),
        call: call)
      return .none
    }
  }

  static var dense: Builtin {
    Builtin(
      "dense", topic: "layers",
      summary:
        "A fully connected layer with `out` outputs and a bias (He-initialized); needs a flat input (flatten() first).",
      parameters: [.required("out", .positiveInt, "outputs")], returns: Self.returns
    ) { call in
      try LayerCollector.of(call.interpreter).add(.dense(out: call.int("out")), call: call)
      return .none
    }
  }

  /// A kernel, stride or padding beyond any image this tool handles is refused at the argument.
  static func checkSide(_ name: String, _ call: BuiltinCall) throws {
    guard let n = call.optionalInt(name), n > Network.maxLayerSide else { return }
    throw call.error(
      "`\(name)` must be at most \(Units.grouped(Network.maxLayerSide)), got \(Units.grouped(n))", argument: name,
      hint: "one larger than the image does nothing useful")
  }

  static func simple(_ name: String, _ kind: LayerSpec.Kind, _ summary: String) -> Builtin {
    Builtin(name, topic: "layers", summary: summary, returns: Self.returns) { call in
      try LayerCollector.of(call.interpreter).add(kind, call: call)
      return .none
    }
  }

  static func pool(_ name: String, _ summary: String) -> Builtin {
    Builtin(
      name, topic: "layers", summary: summary + " `stride` defaults to `k` (windows side by side).",
      parameters: [
        .required("k", .positiveInt, "window size"),
        .optional("stride", .positiveInt, "step between windows (default k)"),
      ],
      returns: Self.returns
    ) { call in
      for name in ["k", "stride"] { try checkSide(name, call) }
      let k = call.int("k"), stride = call.optionalInt("stride") ?? k
      try LayerCollector.of(call.interpreter).add(
        name == "maxpool" ? .maxpool(kernel: k, stride: stride) : .avgpool(kernel: k, stride: stride), call: call)
      return .none
    }
  }

  static var dropout: Builtin {
    Builtin(
      "dropout", topic: "layers",
      summary:
        """
        In training, zeroes each value with probability p and scales the rest by 1/(1 − p); the identity in \
        evaluation.
        """,
      parameters: [.optional("p", .nonNegativeNumber, default: .float(0.5), "the probability of dropping, in [0, 1)")],
      returns: Self.returns
    ) { call in
      let p = call.double("p")
      guard p < 1 else { throw call.error("`p` must be below 1, got \(p)", argument: "p") }
      try LayerCollector.of(call.interpreter).add(.dropout(p: p), call: call)
      return .none
    }
  }

  static var residual: Builtin {
    Builtin(
      "residual", topic: "layers",
      summary: "A block of layers whose output is added to its input (the block must keep the shape).",
      block: .required, returns: Self.returns
    ) { call in
      let collector = LayerCollector.of(call.interpreter)
      guard !collector.stack.isEmpty else {
        throw call.error("`residual` belongs inside a `model { … }` block")
      }
      guard let block = call.block else { return .none }
      let inner = try collector.collect(block, call: call)
      try collector.add(.residual(inner), call: call)
      return .none
    }
  }
}
