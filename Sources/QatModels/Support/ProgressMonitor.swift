import QatEngine
import QatOutput
import QatSupport
import QatsLanguage

/// Shows a training run: a progress bar redrawn in place on a terminal (epoch, batch, loss,
/// accuracy, images/s, time left) and one plain line per finished epoch everywhere — unless
/// `label` is given: then the bar is prefixed with it and epochs are not listed (a sweep trains
/// many models and shows only its table). Epochs count within the run (`epoch 1/3`); a long run
/// lists only every k-th epoch (`EpochLog`).
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
    call.interpreter.output.progress(
      ProgressLine(
        lead: (label.map { $0 + " · " } ?? "") + "epoch \(p.epoch)/\(p.epochs)",
        fraction: Double(p.batch) / Double(max(1, p.batches)),
        details: ["batch \(p.batch)/\(p.batches)", "loss \(Units.loss(p.loss))", "train \(Units.percent(p.accuracy))"],
        essentials: [Units.imageRate(p.imagesPerSecond), "ETA \(Units.duration(p.secondsLeft))"]))
  }

  func epochFinished(_ r: EpochRecord, number: Int, of epochs: Int) {
    guard label == nil else { return }
    let log = EpochLog(epochs: epochs)
    if number == 1, let note = log.note { call.emit(PlainText(note)) }
    guard log.shows(number) else { return }
    let digits = String(epochs).count
    let shown = String(repeating: " ", count: max(0, digits - String(number).count)) + String(number)
    call.emit(
      PlainText(
        """
        epoch \(shown)/\(epochs)  loss \(Units.loss(r.loss))  train \(Units.percent(r.accuracy))  \
        \(Units.duration(r.seconds))
        """
      ))
  }

  func shouldStop() -> Bool { call.interpreter.interruptCheck() }
}

/// Which epochs of a run get a line. Up to `EpochLog.fullLog` epochs, every one; beyond, as Keras
/// condenses a long log, every k-th plus the first and the last, with k the smallest of 2, 5, 10,
/// 20, 50, … that keeps the log within about 100 lines (so 50–100 lines, whatever the length).
struct EpochLog: Equatable {
  /// The longest run listed in full.
  static let fullLog = 100
  let epochs: Int
  /// 1 lists every epoch.
  let every: Int

  init(epochs: Int) {
    self.epochs = epochs
    // 1-2-5 steps: round numbers a reader can follow ("every 20th epoch").
    var magnitude = 1, step = 1
    search: while epochs / step > Self.fullLog {
      for factor in [2, 5, 10] {
        let (candidate, overflow) = magnitude.multipliedReportingOverflow(by: factor)
        if overflow { break search }
        step = candidate
        if epochs / step <= Self.fullLog { break search }
      }
      magnitude = step
    }
    every = step
  }

  /// Said once, before the first line, when the log is condensed.
  var note: String? {
    every == 1
      ? nil : "\(Units.grouped(epochs)) epochs: printing every \(Self.ordinal(every)) epoch, the first and the last"
  }

  /// Whether epoch `number` (1-based within the run) gets a line.
  func shows(_ number: Int) -> Bool { every == 1 || number == 1 || number == epochs || number % every == 0 }

  static func ordinal(_ n: Int) -> String {
    let suffix: String
    switch (n % 10, n % 100) {
    case (_, 11...13): suffix = "th"
    case (1, _): suffix = "st"
    case (2, _): suffix = "nd"
    case (3, _): suffix = "rd"
    default: suffix = "th"
    }
    return Units.grouped(n) + suffix
  }
}
