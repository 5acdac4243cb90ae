import QatEngine
import QatImages
import QatImagesLanguage
import QatOutput
import QatSupport
import QatsLanguage

/// The arguments the model built-ins share, read and checked in one place: the model, epochs, bit
/// widths, percentiles, the layers `keep:` names, float32 values — and the one place a
/// `QuantizationConfig` is made from what the user wrote (`quantize`, `prepare`, `sensitivity`,
/// `sweep`, `inspect`; `qparams`, `fake_quant` and `histogram` take the arithmetic's own widths).
enum ModelArguments {
  /// The `model` argument (the registry has already checked that it is a model).
  static func model(_ call: BuiltinCall) -> ModelValue? {
    guard case .object(let object) = call.value("model") else { return nil }
    return object as? ModelValue
  }

  /// `epochs`, bounded so that a huge count is refused rather than run for ever.
  static func checkEpochs(_ call: BuiltinCall) throws {
    let epochs = call.int("epochs")
    guard epochs <= 1_000_000 else {
      throw call.error(
        "`epochs` must be at most 1,000,000, got \(Units.grouped(epochs))", argument: "epochs",
        hint: "Ctrl-C stops training at the next batch whenever you like")
    }
  }

  /// The options `quantize`, `prepare` and `sensitivity` share.
  static var sharedParameters: [Parameter] {
    [
      .required("model", .object(["model"]), "the trained fp32 model (left untouched: the work is done on a copy)"),
      .required(
        "data", DataBinding.dataTypes,
        "a dataset (training split to calibrate and fine-tune, test split to measure) or a split"),
      .optional(
        "method", .choice(["ptq", "qat"]),
        "\"ptq\" or \"qat\" (the constants ptq and qat); default: the session's `mode`"),
      .optional(
        "bits", .oneOf([.positiveInt, .listOf(.int)]), default: .int(8),
        """
        bits for weights and activations, \(modelBitsText); or a list with one width per conv/dense layer, in \
        the order summary(net) lists them (mixed precision: each layer's weights and output)
        """),
      .optional("weight_bits", .positiveInt, "bits for weights (default: bits)"),
      .optional(
        "act_bits", .positiveInt,
        "bits for activations: the input, every quantized layer's output, the logits (default: bits)"),
      .optional(
        "per_channel", .bool, default: .bool(true), "one weight scale per output channel (false: one per layer)"),
      .optional(
        "symmetric", .bool, default: .bool(false), "symmetric activation ranges (weights are always symmetric)"),
      .optional(
        "observer", .choice(ObserverKind.allCases.map(\.rawValue)),
        """
        activation observer: \"minmax\", \"moving_average\", \"histogram\" (L2-optimal range), \"percentile\" \
        (99.99 %), \"mse\" (least mean squared error) or \"kl\" (entropy, as TensorRT); default: histogram for \
        PTQ, moving_average for QAT
        """
      ),
      .optional(
        "percentile", .positiveNumber, default: .float(99.99),
        "the percentile observer's upper percentile (the lower one is 100 − p), in (50, 100]"),
      .optional(
        "samples", .positiveInt, default: .int(256),
        "calibration images, taken at indices ⌊i·n/samples⌋ of the training split"),
      .optional(
        "freeze_bn", .nonNegativeInt, default: .int(1),
        "QAT: batch norm uses its running statistics after this many epochs"),
      .optional(
        "freeze_observers", .nonNegativeInt, default: .int(2), "QAT: ranges stop moving after this many epochs"),
      .optional(
        "lsq", .bool, default: .bool(false),
        "learned step size: training learns every scale (LSQ, Esser et al. 2019) instead of following the observers"),
      .optional(
        "keep", .list,
        "layers left at 8 bits: numbers as in summary(net), or \"first\" / \"last\" (the first / last conv or dense)"),
    ]
  }

  /// The `model` and `data` arguments of `quantize`, `prepare` and `sensitivity`, checked (an fp32
  /// model, built for the data), and the configuration.
  static func setup(_ call: BuiltinCall) throws -> (ModelValue, Network, ImageSplit, QuantizationConfig) {
    guard let model = ModelArguments.model(call), let split = DataBinding.split(call.value("data"), for: .fit)
    else {
      throw call.error("expected a model and data")
    }
    try model.require(.fp32, call: call)
    let network = try DataBinding.network(model, for: split, call: call, argument: "data")
    try requireFinite(network, call: call)
    if network.history.isEmpty, !model.loaded {
      call.emit(
        PlainText(
          "warning: `\(call.builtin.name)` on a model that was never trained (its history is empty): train it first"))
    }
    return (model, network, split, try ModelArguments.config(call, network: network))
  }

  /// Refuses a network whose weights or batch-norm statistics are NaN or infinite: quantizing it
  /// would silently give a model of meaningless grids.
  static func requireFinite(_ network: Network, call: BuiltinCall) throws {
    guard !network.isFinite else { return }
    throw call.error(
      "the model's weights or batch-norm statistics are not all finite (NaN or infinite), so it cannot be quantized",
      argument: "model", hint: "retrain it, with a lower `lr` if training diverged")
  }

  /// QAT's fine-tuning options (`quantize`, `sensitivity`).
  static func fineTuningParameters(what: String) -> [Parameter] {
    [
      .optional("epochs", .positiveInt, default: .int(3), "QAT: fine-tuning epochs\(what)"),
      .optional(
        "lr", .positiveNumber, default: .float(0.01), "QAT: fine-tuning learning rate (SGD, momentum 0.9, batch 32)"),
    ]
  }

  /// "2–8": the widths models are quantized to, as help texts say them.
  static let modelBitsText = "\(QuantRange.modelBits.lowerBound)–\(QuantRange.modelBits.upperBound)"
  static let bitsHelp = "bit width: \(modelBitsText), or 16 for teaching"

  /// The configuration the call's arguments describe, for `network` (whose layers `keep:` names).
  /// Each option is read only when the built-in declares it, so one function serves them all:
  /// `method` (else the session's mode), `bits` (unless `bits` is passed, as sweep does with each
  /// width of its list), `weight_bits`, `act_bits` (unless `activationBits` is passed),
  /// `per_channel`, `symmetric`, `observer`, `percentile`, `samples`, `freeze_bn`,
  /// `freeze_observers`, `lsq` and `keep`.
  static func config(
    _ call: BuiltinCall, network: Network, method: QuantMethod? = nil, bits: Int? = nil, activationBits: Int? = nil
  ) throws -> QuantizationConfig {
    let methodName = call.isGiven("method") ? call.string("method") : call.interpreter.mode
    var config = QuantizationConfig(method: method ?? QuantMethod(rawValue: methodName) ?? .ptq)
    if let bits {
      (config.weightBits, config.activationBits) = (bits, bits)
    } else if declared("bits", call), case .list(let widths) = call.value("bits") {
      config.layerBits = try layerWidths(widths, network: network, call: call)
      // Points between layers (lone batch norms, residual adds) take the widest width.
      let widest = config.layerBits.values.max() ?? 8
      (config.weightBits, config.activationBits) = (widest, widest)
      for other in ["weight_bits", "act_bits", "keep"] where call.isGiven(other) {
        throw call.error(
          "a list of `bits` gives every layer its width; `\(other)` cannot be combined with it", argument: other,
          hint: "put the width you want for that layer in the list")
      }
    } else if declared("bits", call) {
      let bits = try checkBits(call.optionalInt("bits") ?? 8, argument: "bits", call: call)
      (config.weightBits, config.activationBits) = (bits, bits)
    }
    if call.isGiven("weight_bits") {
      config.weightBits = try checkBits(call.int("weight_bits"), argument: "weight_bits", call: call)
    }
    if call.isGiven("act_bits") {
      config.activationBits = try checkBits(call.int("act_bits"), argument: "act_bits", call: call)
    }
    if let activationBits { config.activationBits = activationBits }
    if case .bool(let perChannel) = call.value("per_channel") { config.perChannel = perChannel }
    if case .bool(let symmetric) = call.value("symmetric") { config.symmetric = symmetric }
    if call.isGiven("observer") { config.observer = ObserverKind(rawValue: call.string("observer")) }
    if declared("samples", call) { config.samples = call.int("samples") }
    if declared("percentile", call) {
      config.percentile = try checkPercentile(call, observer: config.activationObserver)
    }
    if declared("freeze_bn", call) { config.freezeBatchNormAfter = call.int("freeze_bn") }
    if declared("freeze_observers", call) { config.freezeObserversAfter = call.int("freeze_observers") }
    if case .bool(let lsq) = call.value("lsq") { config.learnedScales = lsq }
    if call.isGiven("keep") { config.keep = try keptOperations(call.list("keep"), network: network, call: call) }
    try readDataFree(call, into: &config)
    try readRounding(call, into: &config)
    return config
  }

  /// True when the built-in declares parameter `name` (it then has a value, given or default).
  static func declared(_ name: String, _ call: BuiltinCall) -> Bool {
    call.builtin.parameters.contains { $0.name == name }
  }

  /// The `percentile` argument, checked: in (50, 100], and given only with the percentile observer.
  static func checkPercentile(_ call: BuiltinCall, observer: ObserverKind) throws -> Double {
    let percentile = call.double("percentile")
    if call.isGiven("percentile") && observer != .percentile {
      throw call.error(
        "`percentile` applies to the percentile observer", argument: "percentile", hint: "add observer: \"percentile\"")
    }
    guard percentile > 50, percentile <= 100 else {
      throw call.error(
        "`percentile` must be above 50 and at most 100, got \(percentile)", argument: "percentile",
        hint: "99.99 clips one value in ten thousand at each end")
    }
    return percentile
  }

  /// `bits` if it is a width models are quantized to (`QuantRange.modelBits`), else a located
  /// error at `argument`.
  static func checkBits(_ bits: Int, argument: String, call: BuiltinCall) throws -> Int {
    guard QuantRange.modelBits.contains(bits) else {
      throw call.error(
        """
        `\(argument)` must be between \(QuantRange.modelBits.lowerBound) and \(QuantRange.modelBits.upperBound), \
        got \(bits)
        """,
        argument: argument, hint: "8 bits is the usual deployment width; 4, 3 and 2 show where PTQ breaks")
    }
    return bits
  }

  /// A list of widths (sweep's `bits`), each a model width, at least one.
  static func checkBitsList(_ call: BuiltinCall, argument: String = "bits") throws -> [Int] {
    let widths = call.list(argument).compactMap { v -> Int? in
      if case .int(let b) = v { return b } else { return nil }
    }
    guard !widths.isEmpty else {
      throw call.error("`\(argument)` is empty", argument: argument, hint: "bits: [8, 4, 2]")
    }
    if let bad = widths.first(where: { !QuantRange.modelBits.contains($0) }) {
      throw call.error(
        """
        every bit width must be between \(QuantRange.modelBits.lowerBound) and \(QuantRange.modelBits.upperBound), \
        got \(bad)
        """,
        argument: argument, hint: "bits: [8, 6, 4, 3, 2]")
    }
    return widths
  }

  /// The conv/dense layers whose widths `keep:`, `bits: [..]` and `mixed` choose, first to last, with
  /// their row in summary(net) (how users name them).
  static func weightedLayers(_ network: Network) -> [(row: Int, layer: NetworkLayer)] {
    network.numberedLayers.enumerated().filter { Network.hasQuantizedWeights($0.element) }.map {
      ($0.offset, $0.element)
    }
  }

  /// `keep:` entries → engine indices of the conv/dense operations they name.
  static func keptOperations(_ entries: [Value], network: Network, call: BuiltinCall) throws -> Set<Int> {
    let numbered = network.numberedLayers
    let weighted = weightedLayers(network).map(\.layer)
    var kept: Set<Int> = []
    for entry in entries {
      let layer: NetworkLayer?
      switch entry {
      case .int(let n): layer = n >= 0 && n < numbered.count ? numbered[n] : nil
      case .string("first"): layer = weighted.first
      case .string("last"): layer = weighted.last
      default: layer = nil
      }
      guard let layer, Network.hasQuantizedWeights(layer), let index = layer.operationIndex else {
        throw call.error(
          """
          `keep` names conv or dense layers by their number in summary(net) (0–\(numbered.count - 1)) or as \
          \"first\"/\"last\"; \(entry.repr) is not one
          """,
          argument: "keep", hint: "keep: [\"first\", \"last\"]")
      }
      kept.insert(index)
    }
    return kept
  }

  /// Mixed precision: `bits: [8, 4, …]`, one width per conv/dense layer in summary order, as engine
  /// operation index → width; refused unless there is exactly one valid width per layer.
  static func layerWidths(_ entries: [Value], network: Network, call: BuiltinCall) throws -> [Int: Int] {
    let weighted = weightedLayers(network)
    let rows = weighted.map { String($0.row) }.joined(separator: ", ")
    guard entries.count == weighted.count else {
      throw call.error(
        """
        this network has \(weighted.count) conv/dense \(weighted.count == 1 ? "layer" : "layers") (summary rows \
        \(rows)); the list gives \(entries.count) \(entries.count == 1 ? "width" : "widths")
        """,
        argument: "bits", hint: "one width per conv/dense layer, first to last: bits: [8, 4, …]")
    }
    var widths: [Int: Int] = [:]
    for (entry, layer) in zip(entries, weighted) {
      guard case .int(let bits) = entry, QuantRange.modelBits.contains(bits), let index = layer.layer.operationIndex
      else {
        throw call.error(
          "every width in `bits` must be an integer from \(modelBitsText); \(entry.repr) is not", argument: "bits")
      }
      widths[index] = bits
    }
    return widths
  }

  /// The integer range from `bits` and `signed`, or a located error for an unsupported width.
  static func quantRange(_ call: BuiltinCall) throws -> QuantRange {
    let bits = call.int("bits")
    guard QuantRange.isSupported(bits: bits) else {
      throw call.error("bits must be \(modelBitsText) (or 16 for teaching), got \(bits)", argument: "bits")
    }
    return QuantRange(bits: bits, signed: call.bool("signed"))
  }

  /// A number argument as float32, the precision the quantizer works in; one too large for
  /// float32 would silently become infinite, so it is an error.
  static func float32(_ call: BuiltinCall, _ name: String) throws -> Float {
    let x = Float(call.double(name))
    guard x.isFinite else {
      throw call.error(
        "`\(name)` is \(call.value(name).repr), outside float32's range (±\(Float.greatestFiniteMagnitude))",
        argument: name)
    }
    return x
  }

  /// The numbers of `values` (the registry has checked they are numbers) as float32, the
  /// precision quantization works in; one too large for float32 is a located error at `values`
  /// (naming its position when `positions`).
  static func float32Values(_ items: [Value], positions: Bool, call: BuiltinCall) throws -> [Float] {
    var result = [Float]()
    result.reserveCapacity(items.count)
    for (i, item) in items.enumerated() {
      let x = Float(item.number ?? 0)
      guard x.isFinite else {
        let position = positions ? " at position \(i)" : ""
        throw call.error(
          "`values` holds \(item.repr)\(position), outside float32's range (±\(Float.greatestFiniteMagnitude))",
          argument: "values")
      }
      result.append(x)
    }
    return result
  }
}
