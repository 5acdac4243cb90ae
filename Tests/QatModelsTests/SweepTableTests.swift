import QatEngine
import QatOutput
import QatsLanguage
import Testing

@testable import QatModels

/// `SweepTable`: how a sweep's measurements are presented, from a hand-made `SweepRun.Result`.
@Suite struct SweepTableTests {
  static func measurement(_ method: String, bits: Int, correct: Int, latency: Double? = nil) -> ModelMeasurement {
    ModelMeasurement(
      method: method, bits: .int(bits), correct: correct, total: 200, latencyMicroseconds: latency, throughput: nil,
      sizeBytes: bits == 32 ? 4_000 : 500 * bits / 8)
  }

  /// fp32 180/200 correct, the control 184, then PTQ and QAT at 8 and 4 bits.
  static func result(methods: [QuantMethod] = [.ptq, .qat], weightsOnly: Bool = false, timing: Bool = false)
    -> SweepRun.Result
  {
    let plan = SweepRun.Plan(
      widths: [8, 4], methods: methods, weightsOnly: weightsOnly, epochs: 2, lr: 0.01, timing: timing)
    let correct: [QuantMethod: [Int: Int]] = [.ptq: [8: 179, 4: 150], .qat: [8: 181, 4: 171]]
    var entries: [SweepRun.Entry] = []
    for bits in plan.widths {
      for method in methods {
        entries.append(
          SweepRun.Entry(
            method: method, bits: bits,
            measurement: measurement(
              method.rawValue, bits: bits, correct: correct[method]?[bits] ?? 0, latency: timing ? 3.5 : nil)))
      }
    }
    return SweepRun.Result(
      plan: plan, base: measurement("fp32", bits: 32, correct: 180, latency: timing ? 12.5 : nil),
      control: measurement("fp32", bits: 32, correct: 184, latency: timing ? 12.5 : nil), entries: entries)
  }

  static func column(_ table: TableValue, _ key: String) -> [Value] {
    table.rows.map { $0[key] ?? .none }
  }

  @Test func rowsAreFp32TheControlThenEachWidthAndMethod() {
    let table = SweepTable.make(Self.result())
    #expect(
      Self.column(table, "method").map(\.repr)
        == ["fp32", "fp32 +2 epochs", "ptq", "qat", "ptq", "qat"].map {
          "\"\($0)\""
        })
    #expect(Self.column(table, "bits").map(\.repr) == ["32", "32", "8", "8", "4", "4"])
    #expect(Self.column(table, "correct").map(\.repr) == ["180", "184", "179", "181", "150", "171"])
    #expect(Self.column(table, "size_bytes").map(\.repr) == ["4000", "4000", "500", "500", "250", "250"])
  }

  @Test func deltasAreAgainstTheFp32Model() {
    let table = SweepTable.make(Self.result())
    #expect(Self.column(table, "images").map(\.repr) == ["0", "4", "-1", "1", "-30", "-9"])
    // Δ vs fp32 in percentage points, as the table shows it.
    let delta = Self.column(table, "delta").map { TableValue.format($0, .points) }
    #expect(delta == ["0.00", "+2.00", "-0.50", "+0.50", "-15.00", "-4.50"])
    let images = Self.column(table, "images").map { TableValue.format($0, .signedCount) }
    #expect(images == ["0", "+4", "-1", "+1", "-30", "-9"])
  }

  @Test func notesSayWhatWasQuantizedAndQATsGainInImages() {
    let training = "QAT: 2 epochs at lr 0.01; the fp32 control trains as long"
    let table = SweepTable.make(Self.result())
    #expect(
      table.notes == [
        "200 test images · weights and activations at these bits · " + training,
        "QAT − PTQ in test images: 8 bits +2 · 4 bits +21",
      ])
    // One method: nothing to compare.
    let ptqOnly = SweepTable.make(Self.result(methods: [.ptq], weightsOnly: true))
    #expect(ptqOnly.notes == ["200 test images · weights at these bits, activations at 8 bits · " + training])
  }

  @Test func chartHasOneLinePerMethodAndFp32ReferenceLines() throws {
    let table = SweepTable.make(Self.result())
    let chart = try #require(table.figures.first as? LineChart)
    #expect(table.figures.count == 1)
    #expect(chart.title == "test accuracy against bits")
    #expect(chart.xDescending)
    #expect(chart.series.map(\.name) == ["ptq", "qat", "fp32", "fp32 +2 epochs"])
    #expect(chart.series[0].points == [ChartPoint(x: 8, y: 179.0 / 200), ChartPoint(x: 4, y: 150.0 / 200)])
    #expect(chart.series[1].points == [ChartPoint(x: 8, y: 181.0 / 200), ChartPoint(x: 4, y: 171.0 / 200)])
    // fp32 and the control are reference levels, not points at x = 32.
    #expect(chart.series[2] == ChartSeries(name: "fp32", points: [ChartPoint(x: 32, y: 0.9)], reference: true))
    #expect(
      chart.series[3] == ChartSeries(name: "fp32 +2 epochs", points: [ChartPoint(x: 32, y: 0.92)], reference: true))
    #expect(!chart.series[0].reference && !chart.series[1].reference)
    let drawn = chart.render(.plain)
    #expect(drawn.contains("┄ fp32   ┄ fp32 +2 epochs"), "\(drawn)")
    #expect(drawn.split(separator: "\n").contains { $0.split(separator: " ") == ["8", "4"] }, "x ticks 8 and 4 only")
    let weightsOnly = try #require(SweepTable.make(Self.result(weightsOnly: true)).figures.first as? LineChart)
    #expect(weightsOnly.title == "test accuracy against bits (weights only)")
  }

  @Test func latencyColumnOnlyWithTiming() {
    let plain = SweepTable.make(Self.result())
    #expect(plain.columns.map(\.key) == ["method", "bits", "accuracy", "delta", "images", "size_bytes"])
    #expect(plain.columns.map(\.header) == ["method", "bits", "accuracy", "Δ vs fp32", "Δ images", "size"])
    let timed = SweepTable.make(Self.result(timing: true))
    #expect(timed.columns.map(\.key) == ["method", "bits", "accuracy", "delta", "images", "latency_us", "size_bytes"])
    #expect(timed.columns[5].header == "latency b=1" && timed.columns[5].format == .microseconds)
    #expect(Self.column(timed, "latency_us").map(\.repr) == ["12.5", "12.5", "3.5", "3.5", "3.5", "3.5"])
  }

  /// With seeds: the mean and sample standard deviation of each QAT run's accuracies (computed by hand),
  /// the images from the mean, PTQ's single run with a spread of 0, and error bars on the chart.
  @Test func seededRunsShowMeanAndSpread() throws {
    var result = Self.result()
    result = SweepRun.Result(
      plan: SweepRun.Plan(
        widths: [8, 4], methods: [.ptq, .qat], weightsOnly: false, epochs: 2, lr: 0.01, timing: false, seeds: 3),
      base: result.base, control: result.control,
      entries: result.entries.map { e in
        var e = e
        if e.method == .qat { e.accuracies = e.bits == 4 ? [0.80, 0.85, 0.90] : [0.90, 0.90, 0.90] }
        return e
      })
    result.controlAccuracies = [0.92, 0.92, 0.93]
    let table = SweepTable.make(result)
    #expect(table.columns.map(\.key).prefix(4) == ["method", "bits", "accuracy", "spread"])
    let qat4 = try #require(
      table.rows.first { $0["method"]?.displayString == "qat" && $0["bits"]?.displayString == "4" })
    // Mean 0.85; sd = sqrt(((−0.05)² + 0 + 0.05²) / 2) = 0.05; 0.85 · 200 = 170 images, fp32 180.
    #expect(abs((qat4["accuracy"]?.number ?? 0) - 0.85) < 1e-12 && abs((qat4["spread"]?.number ?? 0) - 0.05) < 1e-12)
    #expect(qat4["images"]?.number == -10)
    let ptq4 = try #require(
      table.rows.first { $0["method"]?.displayString == "ptq" && $0["bits"]?.displayString == "4" })
    #expect(ptq4["spread"]?.number == 0)
    #expect(TableValue.format(.float(0.05), .spreadPoints) == "±5.00")
    let chart = SweepTable.chart(result)
    let qatSeries = try #require(chart.series.first { $0.name == "qat" })
    #expect(qatSeries.points.contains { abs(($0.spread ?? 0) - 0.05) < 1e-12 && $0.x == 4 })
  }
}
