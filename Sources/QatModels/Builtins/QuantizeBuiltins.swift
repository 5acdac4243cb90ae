import QatEngine
import QatImages
import QatImagesLanguage
import QatOutput
import QatSupport
import QatsLanguage

/// `quantize` and `prepare`: PTQ and QAT over the engine's fake quantization (SPEC §5, §10).
enum QuantizeBuiltins {
  static func all() -> [Builtin] { [quantize, prepare, convert] }

  static var quantize: Builtin {
    Builtin(
      "quantize", topic: "quantization",
      summary:
        """
        Quantizes a trained fp32 model (which stays as it was). PTQ: fold batch norm, calibrate observers on \
        `samples` training images, freeze. QAT: fold batch norm the QAT way, fake-quantize weights and activations \
        and fine-tune `epochs` epochs at `lr` with the straight-through estimator, freezing batch norm and \
        observers on schedule. Returns the integer model — an integer-only program (uint8 activations, int8 \
        weights, int32 accumulation, fixed-point requantization) that `evaluate`, `predict` and `save` use — with \
        its test accuracy.
        """,
      parameters: ModelArguments.sharedParameters + ModelArguments.fineTuningParameters(what: "")
        + ModelArguments.dataFreeParameters + ModelArguments.roundingParameters
        + ModelArguments.distillationParameters + [AugmentArguments.augmentParameter, AugmentArguments.cropParameter],
      returns: "model"
    ) { call in
      try ModelArguments.checkEpochs(call)
      let (model, network, split, config) = try ModelArguments.setup(call)
      let images = DataBinding.images(split, for: model, interpreter: call.interpreter)
      let teacher = try ModelArguments.distillation(call, config: config, student: network, images: images)
      let augmentation = try ModelArguments.fineTuningAugmentation(
        call, config: config, split: split, model: model, teacher: teacher != nil)
      let quantized = try QuantizationRun.quantize(
        network, config: config, images: images, epochs: call.int("epochs"), lr: call.double("lr"), call: call,
        distillation: teacher, augmentation: augmentation)
      guard let program = quantized.program else { return .none }
      if let note = roundingNote(quantized.rounding) { call.emit(PlainText(note)) }
      let value = ModelValue(
        specs: model.specs, locations: model.locations, network: quantized.simulation, integer: program,
        input: model.input)
      // Without test images there is no accuracy to show (rather than 0/0).
      if case .object(let object) = call.value("data"), let dataset = object as? ImageDataset, dataset.test.count > 0 {
        var predictions: [Int32] = []
        let test = DataBinding.images(dataset.test, for: model, interpreter: call.interpreter)
        let result = program.evaluate(
          test, pool: call.workerPool, predictions: &predictions)
        value.knownAccuracy = Double(result.correct) / Double(max(1, result.count))
      }
      return .object(value)
    }
  }

  static var prepare: Builtin {
    Builtin(
      "prepare", topic: "quantization",
      summary:
        """
        The first step of `quantize`, exposed: a fake-quantized copy of the fp32 model, calibrated on `samples` \
        training images, that `evaluate` measures and `train` fine-tunes (quantization-aware training, with batch \
        norm and observers frozen after `freeze_bn` and `freeze_observers` epochs).
        """,
      parameters: ModelArguments.sharedParameters, returns: "model"
    ) { call in
      let (model, network, split, config) = try ModelArguments.setup(call)
      let prepared = try QuantizationRun.prepare(
        network, config: config, images: DataBinding.images(split, for: model, interpreter: call.interpreter),
        call: call)
      return .object(ModelValue(specs: model.specs, locations: model.locations, network: prepared, input: model.input))
    }
  }

  static var convert: Builtin {
    Builtin(
      "convert", topic: "quantization",
      summary:
        """
        The integer model of a prepared model (after `train` fine-tuned it with fake quantization): observers and \
        batch norm frozen as they are, batch norm folded into the weights, weights and activations turned into \
        integers. The prepared model stays as it was.
        """,
      parameters: [.required("model", .object(["model"]), "a model from `prepare`")], returns: "model"
    ) { call in
      guard let model = ModelArguments.model(call) else { return .none }
      try model.require(.prepared, call: call)
      guard let network = model.network else { return .none }
      let program = try QuantizationRun.integerProgram(of: network, call: call)
      return .object(
        ModelValue(specs: model.specs, locations: model.locations, network: nil, integer: program, input: model.input))
    }
  }

  /// What AdaRound changed, in two lines: how many weights left their nearest level, and each
  /// conv/dense layer's output error on the calibration images, nearest → AdaRound. Nil without it.
  static func roundingNote(_ reports: [AdaRoundLayerReport]) -> String? {
    guard !reports.isEmpty else { return nil }
    let flipped = reports.reduce(0) { $0 + $1.flipped }, weights = reports.reduce(0) { $0 + $1.weights }
    let errors = reports.map {
      $0.keptNearest
        ? "nearest kept (\(Units.grouped($0.inputs)) inputs per output, more than AdaRound's \(Units.grouped(AdaRound.Settings().maxInputs)))"
        : "\(Units.loss($0.nearestError)) → \(Units.loss($0.adaRoundError))"
    }
    return """
      adaround: \(Units.grouped(flipped)) of \(Units.grouped(weights)) weights rounded the other way than nearest
        output error per conv/dense layer, nearest → adaround: \(errors.joined(separator: ", "))
      """
  }
}
