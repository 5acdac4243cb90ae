import QatEngine
import QatOutput
import QatsLanguage

/// How `sweep` presents `SweepRun.Result`: one row per model (fp32, the control, each method at
/// each width), a line chart of accuracy against bits, and QAT's gain over PTQ in test images.
enum SweepTable {
  static func make(_ result: SweepRun.Result) -> TableValue {
    let plan = result.plan, base = result.base
    let seeded = plan.seeds > 1
    var rows = [
      row("fp32", bits: 32, base, reference: base, accuracies: seeded ? [base.accuracy] : nil),
      row(
        "fp32 +\(plan.epochs) epochs", bits: 32, result.control, reference: base,
        accuracies: seeded ? result.controlAccuracies : nil),
    ]
    rows += result.entries.map {
      row($0.method.rawValue, bits: $0.bits, $0.measurement, reference: base, accuracies: seeded ? $0.accuracies : nil)
    }
    var notes = [
      """
      \(base.total) test images · \
      \(plan.weightsOnly ? "weights at these bits, activations at 8 bits" : "weights and activations at these bits") \
      · QAT: \(plan.epochs) epochs at lr \(Value.float(plan.lr).repr); the fp32 control trains as long
      """
    ]
    // Only widths with both runs finished (an interrupted sweep may lack some).
    let compared = plan.widths.filter { bits in
      result.entries.contains { $0.method == .ptq && $0.bits == bits }
        && result.entries.contains { $0.method == .qat && $0.bits == bits }
    }
    if plan.methods.contains(.ptq) && plan.methods.contains(.qat) && !compared.isEmpty {
      notes.append(
        "QAT − PTQ in test images: "
          + compared.map { bits in
            "\(bits) bits "
              + TableValue.format(.int(result.correct(.qat, bits) - result.correct(.ptq, bits)), .signedCount)
          }.joined(separator: " · "))
    }
    if seeded {
      notes.append(
        """
        QAT and the control ran with \(plan.seeds) seeds (the session's seed + 0…\(plan.seeds - 1)): accuracy is their \
        mean, ± the sample standard deviation (error bars in the chart); PTQ has no random choice and ran once
        """)
    }
    if let stop = result.stopNote { notes.append(stop) }
    return TableValue(
      columns: columns(timing: plan.timing, seeded: seeded), rows: rows, figures: [chart(result)], notes: notes)
  }

  /// Accuracy against bits, one line per method, with fp32 and the control as reference lines.
  static func chart(_ result: SweepRun.Result) -> LineChart {
    let plan = result.plan
    var series = plan.methods.map { method in
      ChartSeries(
        name: method.rawValue,
        points: result.entries.filter { $0.method == method }.map {
          ChartPoint(x: Double($0.bits), y: $0.mean, spread: plan.seeds > 1 ? $0.standardDeviation : nil)
        })
    }
    let controlAccuracy =
      result.controlAccuracies.isEmpty ? result.control.accuracy : SweepRun.mean(result.controlAccuracies)
    for (name, y) in [("fp32", result.base.accuracy), ("fp32 +\(plan.epochs) epochs", controlAccuracy)] {
      series.append(ChartSeries(name: name, points: [ChartPoint(x: 32, y: y)], reference: true))
    }
    return LineChart(
      title: "test accuracy against bits" + (plan.weightsOnly ? " (weights only)" : ""), xLabel: "bits",
      yLabel: "test accuracy", yFormat: .percent, series: series, xDescending: true)
  }

  static func columns(timing: Bool, seeded: Bool = false) -> [TableValue.Column] {
    var columns: [TableValue.Column] = [.init("method"), .init("bits"), .init("accuracy", format: .percent)]
    if seeded { columns.append(.init("spread", header: "sd", format: .spreadPoints)) }
    columns += [
      .init("delta", header: "Δ vs fp32", format: .points), .init("images", header: "Δ images", format: .signedCount),
    ]
    if timing { columns.append(.init("latency_us", header: "latency b=1", format: .microseconds)) }
    columns.append(.init("size_bytes", header: "size", format: .bytes))
    return columns
  }

  /// One row; with `accuracies` (one per seed) the accuracy is their mean and `spread` their sample
  /// standard deviation, and `accuracies` lists them.
  static func row(
    _ method: String, bits: Int, _ m: ModelMeasurement, reference: ModelMeasurement, accuracies: [Double]? = nil
  ) -> Record {
    let accuracy = accuracies.map(SweepRun.mean) ?? m.accuracy
    let correct = accuracies == nil ? m.correct : Int((accuracy * Double(m.total)).rounded())
    var fields: [(String, Value)] = [("method", .string(method)), ("bits", .int(bits)), ("accuracy", .float(accuracy))]
    if let accuracies {
      fields += [
        ("spread", .float(SweepRun.standardDeviation(accuracies))), ("accuracies", .list(accuracies.map(Value.float))),
      ]
    }
    fields += [
      ("delta", .float(accuracy - reference.accuracy)), ("images", .int(correct - reference.correct)),
      ("correct", .int(correct)), ("total", .int(m.total)),
      ("latency_us", m.latencyMicroseconds.map(Value.float) ?? .none),
      ("size_bytes", m.sizeBytes.map(Value.int) ?? .none),
    ]
    return Record(fields)
  }
}
