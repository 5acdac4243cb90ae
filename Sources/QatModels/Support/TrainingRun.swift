import QatEngine
import QatSupport
import QatsLanguage

/// Training from a built-in: the engine's train loop with the session's seed, a progress monitor,
/// and its outcome (finished, Ctrl-C, divergence) as the language reports it. Shared by `train`,
/// QAT's fine-tuning in `quantize`, `sensitivity` and `sweep`, and sweep's fp32 control.
enum TrainingRun {
  /// Trains `network` in place. `label` replaces the per-epoch lines with one labelled progress
  /// line (sweep and sensitivity train many copies).
  static func run(
    _ network: Network, on images: LabeledImages, options: TrainingOptions, call: BuiltinCall,
    label: String? = nil
  ) throws {
    let outcome = network.train(
      on: images, options: options, random: &call.interpreter.random,
      monitor: ProgressMonitor(call: call, label: label))
    call.interpreter.output.progress(nil)
    switch outcome {
    case .finished:
      return
    case let .interrupted(epoch, batch):
      throw QatsError(
        .interrupted,
        """
        training stopped by Ctrl-C in epoch \(epoch)/\(options.epochs) before batch \(batch); the model keeps the weights of its last \
        finished batch
        """,
        at: call.location)
    case let .diverged(epoch, batch, what):
      throw call.error(
        """
        training stopped: \(what) in epoch \(epoch)/\(options.epochs), batch \(batch); the weights are back to their state before \
        that batch
        """,
        hint: "lower `lr` (it is \(options.learningRate)) or add batchnorm()")
    }
  }

  /// QAT's fine-tuning step for the quantization pipeline: `epochs` epochs at `lr` (SGD, momentum
  /// 0.9, batch 32) on `images`.
  static func fineTuning(
    on images: LabeledImages, epochs: Int, lr: Double, call: BuiltinCall, label: String? = nil
  ) -> (Network) throws -> Void {
    { network in
      let options = TrainingOptions(epochs: epochs, learningRate: lr, threads: call.interpreter.computeThreads())
      try run(network, on: images, options: options, call: call, label: label)
    }
  }
}
