import QatEngine
import QatOutput
import QatSupport
import QatsLanguage

/// Shows a training run: a progress bar redrawn in place on a terminal (epoch, batch, loss,
/// accuracy, images/s, time left) and one plain line per finished epoch everywhere — unless
/// `label` is given: then the bar is prefixed with it and epochs are not listed (a sweep trains
/// many models and shows only its table).
final class ProgressMonitor: TrainingMonitor {
  let call: BuiltinCall
  let label: String?
  private var lastDraw = 0.0

  init(call: BuiltinCall, label: String? = nil) {
    self.call = call
    self.label = label
  }

  func batchFinished(_ p: TrainingProgress) {
    let now = MonotonicClock.seconds()
    guard now - lastDraw >= 0.1 || p.batch == p.batches else { return }
    lastDraw = now
    let width = 20, filled = Int((Double(p.batch) / Double(max(1, p.batches)) * Double(width)).rounded())
    let bar = String(repeating: "━", count: filled) + String(repeating: "─", count: width - filled)
    call.interpreter.output.progress(
      (label.map { $0 + " · " } ?? "")
        + """
        epoch \(p.epoch)/\(p.epochs) \(bar) batch \(p.batch)/\(p.batches)  loss \(Units.loss(p.loss))  \
        train \(Units.percent(p.accuracy))  \(Units.imageRate(p.imagesPerSecond))  ETA \
        \(Units.duration(p.secondsLeft))
        """
    )
  }

  func epochFinished(_ r: EpochRecord, of epochs: Int) {
    guard label == nil else { return }
    let digits = String(epochs).count
    let number = String(repeating: " ", count: max(0, digits - String(r.epoch).count)) + String(r.epoch)
    call.emit(
      PlainText(
        """
        epoch \(number)/\(epochs)  loss \(Units.loss(r.loss))  train \(Units.percent(r.accuracy))  \
        \(Units.duration(r.seconds))
        """
      ))
  }

  func shouldStop() -> Bool { call.interpreter.interruptCheck() }
}
