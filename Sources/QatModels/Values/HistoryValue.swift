import QatEngine
import QatOutput
import QatSupport
import QatsLanguage

/// `net.history`: the training curve, one row per epoch.
public final class HistoryValue: HostObject, CompositeRenderable {
  let records: [EpochRecord]

  init(records: [EpochRecord]) { self.records = records }

  public var typeName: String { "history" }
  public var summary: String { "\(records.count) \(records.count == 1 ? "epoch" : "epochs")" }
  public var memberNames: [String] { ["count", "loss", "accuracy", "epochs", "lr"] }

  public func member(_ name: String) throws -> Value? {
    switch name {
    case "count": return .int(records.count)
    case "loss": return .list(records.map { .float($0.loss) })
    case "accuracy": return .list(records.map { .float($0.accuracy) })
    case "epochs": return .list(records.map { .int($0.epoch) })
    case "lr": return .list(records.map { .float($0.learningRate) })
    default: return nil
    }
  }

  func record(_ r: EpochRecord) -> Value {
    .record(
      Record([
        ("epoch", .int(r.epoch)), ("loss", .float(r.loss)), ("accuracy", .float(r.accuracy)),
        ("lr", .float(r.learningRate)), ("seconds", .float(r.seconds)),
        ("images_per_second", .float(r.imagesPerSecond)),
      ]))
  }

  public func index(_ key: Value) throws -> Value? {
    guard case .int(let i) = key else { return nil }
    let at = i < 0 ? records.count + i : i
    guard records.indices.contains(at) else {
      throw QatsError(.runtime, "epoch index \(i) is out of range: the history has \(records.count) epochs", at: nil)
    }
    return record(records[at])
  }

  public func plainValue() -> Value? { .list(records.map(record)) }

  public func render(_ format: RenderFormat) -> String { RenderableGroup(parts).render(format) }

  /// The table, then the loss and train-accuracy curves (side by side on a wide terminal; two
  /// SVG figures in reports).
  public var parts: [any Renderable] {
    guard !records.isEmpty else { return [PlainText("history: no epochs yet (train the model first)")] }
    return [table, FigureRow(curves)]
  }

  var table: TextTable {
    let rows = records.map { r in
      [String(r.epoch), Units.loss(r.loss), Units.percent(r.accuracy), "\(r.learningRate)"]
    }
    return TextTable(
      title: "history: " + summary, headers: ["epoch", "loss", "train accuracy", "lr"], rows: rows,
      rightAligned: [true, true, true, true])
  }

  /// Loss per epoch and train accuracy per epoch: two small charts rather than one with two y
  /// axes, because loss and accuracy have different units and scales.
  var curves: [any Figure] {
    func points(_ value: (EpochRecord) -> Double) -> [ChartPoint] {
      records.map { ChartPoint(x: Double($0.epoch), y: value($0)) }
    }
    return [
      LineChart(
        title: "loss per epoch", xLabel: "epoch", yLabel: "loss",
        series: [ChartSeries(name: "loss", points: points(\.loss))]),
      LineChart(
        title: "train accuracy per epoch", xLabel: "epoch", yLabel: "train accuracy", yFormat: .percent,
        series: [ChartSeries(name: "train accuracy", points: points(\.accuracy))]),
    ]
  }
}
