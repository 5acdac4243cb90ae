import QatEngine
import QatsLanguage

/// The engine's quantization pipeline called from a built-in: its engine errors worded for the
/// user, located at the call.
enum QuantizationRun {
  /// PTQ or QAT of `network` (untouched) as `config` says, calibrated and fine-tuned on `images`
  /// (QAT: `epochs` epochs at `lr`; `label` keeps the epochs off the output, see `TrainingRun`).
  /// With `distillation` (the teacher's logits for `images`), QAT's fine-tuning learns from them too;
  /// `augmentation` crops and flips its batches (calibration sees the images as they are).
  static func quantize(
    _ network: Network, config: QuantizationConfig, images: LabeledImages, epochs: Int, lr: Double,
    call: BuiltinCall, label: String? = nil, distillation: DistillationTargets? = nil,
    augmentation: TrainingAugmentation? = nil
  ) throws -> QuantizedNetwork {
    let fineTune = TrainingRun.fineTuning(
      on: images, epochs: epochs, lr: lr, call: call, label: label, augmentation: augmentation)
    defer { call.interpreter.output.progress(nil) }
    do {
      return try worded(call) {
        try network.quantized(
          config, training: images, pool: call.workerPool,
          fineTune: { student in
            student.distillation = distillation
            defer { student.distillation = nil }
            try fineTune(student)
          }, rounding: ModelArguments.roundingProgress(call))
      }
    } catch let stop as AdaRoundInterrupted {
      throw QatsError(
        .interrupted, "AdaRound stopped by Ctrl-C in layer \(stop.layer); the model is unchanged", at: call.location)
    }
  }

  /// The first steps of the pipeline (prepare, calibrate): a fake-quantized copy of `network`.
  static func prepare(_ network: Network, config: QuantizationConfig, images: LabeledImages, call: BuiltinCall)
    throws -> Network
  {
    try worded(call) {
      try network.preparedForQuantization(
        config, training: images, pool: call.workerPool)
    }
  }

  /// The integer program of a prepared or quantized network.
  static func integerProgram(of network: Network, call: BuiltinCall) throws -> IntegerNetwork {
    try worded(call) { try network.integerProgram() }
  }

  /// Runs `body`, turning the engine's refusals into located errors on the `model` argument: a
  /// network that cannot be quantized, or one with no integer form (an engine gap).
  static func worded<T>(_ call: BuiltinCall, _ body: () throws -> T) throws -> T {
    do {
      return try body()
    } catch let error as ShapeError {
      throw call.error(error.message, argument: "model", hint: error.hint)
    } catch let error as IntegerConversionError {
      throw call.error(
        "this model has no integer form: \(error.message)", argument: "model",
        hint: "evaluate the prepared model in simulation instead")
    }
  }
}
