import QatEngine
import QatImages
import QatImagesLanguage
import QatsLanguage

/// `quantize` and `prepare`: PTQ and QAT over the engine's fake quantization (SPEC §5, §10).
enum QuantizeBuiltins {
  static func all() -> [Builtin] { [quantize, prepare, convert] }

  /// The options `quantize` and `prepare` share.
  static var sharedParameters: [Parameter] {
    [
      .required("model", .object(["model"]), "the trained fp32 model (left untouched: the work is done on a copy)"),
      .required(
        "data", DataBinding.dataTypes,
        "a dataset (training split to calibrate and fine-tune, test split to measure) or a split"),
      .optional(
        "method", .choice(["ptq", "qat"]),
        "\"ptq\" or \"qat\" (the constants ptq and qat); default: the session's `mode`"),
      .optional("bits", .positiveInt, default: .int(8), "bits for weights and activations, 2–8"),
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
        "activation observer: \"minmax\", \"moving_average\", \"histogram\" (L2-optimal range) or \"percentile\" (99.99 %); default: histogram for PTQ, moving_average for QAT"
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

  static var quantize: Builtin {
    Builtin(
      "quantize", topic: "quantization",
      summary:
        "Quantizes a trained fp32 model (which stays as it was). PTQ: fold batch norm, calibrate observers on `samples` training images, freeze. QAT: fold batch norm the QAT way, fake-quantize weights and activations and fine-tune `epochs` epochs at `lr` with the straight-through estimator, freezing batch norm and observers on schedule. Returns the integer model — an integer-only program (uint8 activations, int8 weights, int32 accumulation, fixed-point requantization) that `evaluate`, `predict` and `save` use — with its test accuracy.",
      parameters: sharedParameters + [
        .optional("epochs", .positiveInt, default: .int(3), "QAT: fine-tuning epochs"),
        .optional(
          "lr", .positiveNumber, default: .float(0.01), "QAT: fine-tuning learning rate (SGD, momentum 0.9, batch 32)"),
      ],
      returns: "model"
    ) { call in
      try TrainingBuiltins.checkEpochs(call)
      let (model, network, split, config) = try setup(call)
      let images = DataBinding.images(split, interpreter: call.interpreter)
      let (deployed, program) = try quantizeNetwork(
        network, config: config, images: images, epochs: call.int("epochs"),
        lr: call.double("lr"), call: call)
      let value = ModelValue(
        specs: model.specs, locations: model.locations, network: deployed, integer: program, input: model.input)
      if case .object(let object) = call.value("data"), let dataset = object as? ImageDataset {
        var predictions: [Int32] = []
        let test = DataBinding.images(dataset.test, interpreter: call.interpreter)
        let result = program.evaluate(
          test, pool: WorkerPool.shared(threads: call.interpreter.threads), predictions: &predictions)
        value.knownAccuracy = Double(result.correct) / Double(max(1, result.count))
      }
      return .object(value)
    }
  }

  /// PTQ or QAT of `network` (untouched) as `config` says: prepare and calibrate on `images`,
  /// fine-tune `epochs` epochs at `lr` for QAT, convert, fold QAT's batch norms into the weights.
  /// - Returns: the deployed simulation and its integer program.
  /// `label` (see `TrainingBuiltins.run`) keeps QAT's epochs off the output.
  static func quantizeNetwork(
    _ network: Network, config: QuantizationConfig, images: LabeledImages, epochs: Int, lr: Double,
    call: BuiltinCall, label: String? = nil
  ) throws -> (Network, IntegerNetwork) {
    let pool = WorkerPool.shared(threads: call.interpreter.threads)
    var prepared = try prepareNetwork(network, config: config, images: images, pool: pool, call: call)
    if config.method == .qat {
      let options = TrainingOptions(epochs: epochs, learningRate: lr, threads: call.interpreter.threads)
      try TrainingBuiltins.run(prepared, on: images, options: options, call: call, label: label)
    }
    prepared.quantization?.convert()
    // The deployed form: QAT's batch norms folded into the weights they scaled.
    prepared = prepared.foldingQATBatchNorms()
    return (prepared, try integerProgram(of: prepared, call: call))
  }

  static var prepare: Builtin {
    Builtin(
      "prepare", topic: "quantization",
      summary:
        "The first step of `quantize`, exposed: a fake-quantized copy of the fp32 model, calibrated on `samples` training images, that `evaluate` measures and `train` fine-tunes (quantization-aware training, with batch norm and observers frozen after `freeze_bn` and `freeze_observers` epochs).",
      parameters: sharedParameters, returns: "model"
    ) { call in
      let (model, network, split, config) = try setup(call)
      let pool = WorkerPool.shared(threads: call.interpreter.threads)
      let prepared = try prepareNetwork(
        network, config: config, images: DataBinding.images(split, interpreter: call.interpreter),
        pool: pool, call: call)
      return .object(ModelValue(specs: model.specs, locations: model.locations, network: prepared, input: model.input))
    }
  }

  static var convert: Builtin {
    Builtin(
      "convert", topic: "quantization",
      summary:
        "The integer model of a prepared model (after `train` fine-tuned it with fake quantization): observers and batch norm frozen as they are, batch norm folded into the weights, weights and activations turned into integers. The prepared model stays as it was.",
      parameters: [.required("model", .object(["model"]), "a model from `prepare`")], returns: "model"
    ) { call in
      guard let model = TrainingBuiltins.modelArgument(call) else { return .none }
      guard model.integer == nil else {
        throw call.error(
          "this model is already an integer model", argument: "model",
          hint: "convert takes a model from prepare(net, data)")
      }
      guard let network = model.network, network.quantization != nil else {
        throw call.error(
          "convert takes a prepared model, and this one is fp32", argument: "model",
          hint: "prepare(net, data) first (then train it), or quantize(net, data) in one step")
      }
      let program = try integerProgram(of: network, call: call)
      return .object(
        ModelValue(specs: model.specs, locations: model.locations, network: nil, integer: program, input: model.input))
    }
  }

  /// The integer program of a quantized network; a failure here is an engine gap, reported as such.
  static func integerProgram(of network: Network, call: BuiltinCall) throws -> IntegerNetwork {
    do throws(IntegerConversionError) {
      return try network.integerProgram()
    } catch {
      throw call.error(
        "this model has no integer form: \(error.message)", argument: "model",
        hint: "evaluate the prepared model in simulation instead")
    }
  }

  static func prepareNetwork(
    _ network: Network, config: QuantizationConfig, images: LabeledImages, pool: WorkerPool,
    call: BuiltinCall
  ) throws -> Network {
    let calibration = images.subset(Network.calibrationIndices(count: images.count, samples: config.samples))
    do throws(ShapeError) {
      return try network.prepareQuantization(config, calibration: calibration, pool: pool)
    } catch {
      throw call.error(error.message, argument: "model", hint: error.hint)
    }
  }

  /// Checks the arguments and reads the configuration.
  static func setup(_ call: BuiltinCall) throws -> (ModelValue, Network, ImageSplit, QuantizationConfig) {
    guard let model = TrainingBuiltins.modelArgument(call), let split = DataBinding.split(call.value("data"), for: .fit)
    else {
      throw call.error("expected a model and data")
    }
    if let integer = model.integer {
      throw call.error(
        "this model is already quantized (\(integer.info.method.rawValue), \(IntegerModelText.bits(integer.info))); quantizing it again would quantize twice",
        argument: "model", hint: "quantize the fp32 model it came from")
    }
    let network = try DataBinding.network(model, for: split, call: call, argument: "data")
    if let state = network.quantization {
      throw call.error(
        "this model is already \(state.converted ? "quantized" : "prepared") (\(state.config.method.rawValue), \(QuantizedModelText.bits(state.config))); quantizing it again would quantize twice",
        argument: "model", hint: "quantize the fp32 model it came from")
    }
    let methodName = call.isGiven("method") ? call.string("method") : call.interpreter.mode
    var config = QuantizationConfig(method: QuantMethod(rawValue: methodName) ?? .ptq)
    for (name, path) in [
      ("bits", \QuantizationConfig.weightBits), ("weight_bits", \.weightBits), ("act_bits", \.activationBits),
    ] {
      guard call.isGiven(name) || name == "bits" else { continue }
      let bits = try checkBits(call.int(name), argument: name, call: call)
      config[keyPath: path] = bits
      if name == "bits" { config.activationBits = bits }
    }
    config.perChannel = call.bool("per_channel")
    config.symmetric = call.bool("symmetric")
    if call.isGiven("observer") { config.observer = ObserverKind(rawValue: call.string("observer")) }
    config.samples = call.int("samples")
    config.percentile = try checkPercentile(call, observer: config.activationObserver)
    config.freezeBatchNormAfter = call.int("freeze_bn")
    config.freezeObserversAfter = call.int("freeze_observers")
    config.learnedScales = call.bool("lsq")
    if call.isGiven("keep") { config.keep = try keptOperations(call.list("keep"), network: network, call: call) }
    return (model, network, split, config)
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

  /// `bits` if it is a width the engine quantizes to (2–8), else a located error at `argument`.
  static func checkBits(_ bits: Int, argument: String, call: BuiltinCall) throws -> Int {
    guard (2...8).contains(bits) else {
      throw call.error(
        "`\(argument)` must be between 2 and 8, got \(bits)", argument: argument,
        hint: "8 bits is the usual deployment width; 4, 3 and 2 show where PTQ breaks")
    }
    return bits
  }

  /// `keep:` entries → engine indices of the conv/dense operations they name.
  static func keptOperations(_ entries: [Value], network: Network, call: BuiltinCall) throws -> Set<Int> {
    let numbered = network.numberedLayers
    let weighted = numbered.filter(Network.hasQuantizedWeights)
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
          "`keep` names conv or dense layers by their number in summary(net) (0–\(numbered.count - 1)) or as \"first\"/\"last\"; \(entry.repr) is not one",
          argument: "keep", hint: "keep: [\"first\", \"last\"]")
      }
      kept.insert(index)
    }
    return kept
  }
}
