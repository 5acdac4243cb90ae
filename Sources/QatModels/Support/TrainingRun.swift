import Foundation
import QatEngine
import QatOutput
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
      warnIfDiverging(network, options: options, call: call)
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

  /// A loss still finite but far above that of guessing (ln of the class count) at the end of a run
  /// means the steps overshoot: training "works" on paper while the weights blow up. Says so once.
  static func warnIfDiverging(_ network: Network, options: TrainingOptions, call: BuiltinCall) {
    guard let last = network.history.last else { return }
    let guessing = log(Double(max(2, network.outputShape.elements)))
    guard last.loss > 100 * guessing else { return }
    call.emit(
      PlainText(
        """
        warning: the training loss ended at \(Units.loss(last.loss)), far above the \(Units.loss(guessing)) of \
        guessing: the weights have blown up (a learning rate too high, in this train call or an earlier one); \
        start again from a fresh model with a lower lr (e.g. 0.05), or add batchnorm()
        """))
  }

  /// QAT's fine-tuning step for the quantization pipeline: `epochs` epochs at `lr` (SGD, momentum
  /// 0.9, batch 32) on `images`, augmented as `augmentation` says.
  static func fineTuning(
    on images: LabeledImages, epochs: Int, lr: Double, call: BuiltinCall, label: String? = nil,
    augmentation: TrainingAugmentation? = nil
  ) -> (Network) throws -> Void {
    { network in
      let options = TrainingOptions(
        epochs: epochs, learningRate: lr, threads: call.interpreter.computeThreads(), augmentation: augmentation)
      try run(network, on: images, options: options, call: call, label: label)
    }
  }
}
