import QatOutput
import QatsLanguage
import Testing

@testable import QatEngine
@testable import QatModels

/// `SensitivityTable`: the engine's rows (already worst first) as a table and a bar chart.
@Suite struct SensitivityTableTests {
  /// fp32: 45 of 50 test images. Rows worst first: the dense layer (40), the input (44), the
  /// conv layer (46, better than fp32).
  /// The table, the weights' statistics, and the network whose layers it names (layers hold their
  /// network unowned: the caller keeps it).
  static func table(method: QuantMethod = .ptq) throws -> (TableValue, weights: GridStatistics, Network) {
    let network = try ModelFixtures.network()
    let numbered = network.numberedLayers
    let params = QuantParams.fromRange(min: -1, max: 1, range: QuantRange(bits: 4, signed: true), symmetric: true)
    let weights = GridStatistics.measure([0.3, -0.7, 0.95, 0.1], params: params).statistics
    let rows = [
      LayerSensitivity(layer: 3, correct: 40, total: 50, weights: weights),
      LayerSensitivity(layer: nil, correct: 44, total: 50, weights: nil),
      LayerSensitivity(layer: 0, correct: 46, total: 50, weights: weights),
    ]
    var baseline = PassResult()
    (baseline.correct, baseline.count) = (45, 50)
    var config = QuantizationConfig(method: method)
    config.weightBits = 4
    return (SensitivityTable.make(rows, numbered: numbered, baseline: baseline, config: config), weights, network)
  }

  static func column(_ table: TableValue, _ key: String) -> [String] {
    table.rows.map { ($0[key] ?? .none).repr }
  }

  @Test func rowsKeepTheEnginesWorstFirstOrder() throws {
    let (table, weights, network) = try Self.table()
    defer { withExtendedLifetime(network) {} }
    let numbered = network.numberedLayers
    #expect(Self.column(table, "index") == ["3", "nil", "0"])
    #expect(Self.column(table, "layer") == ["\"dense(3)\"", "\"input\"", "\"conv(2, kernel: 3, pad: 1)\""])
    #expect(Self.column(table, "kind") == ["\"dense\"", "\"input\"", "\"conv\""])
    #expect(
      Self.column(table, "params") == ["\(numbered[3].parameterCount)", "nil", "\(numbered[0].parameterCount)"])
    #expect(numbered[3].parameterCount == 2 * 16 * 3 + 3)
    #expect(
      Self.column(table, "sqnr_db") == [Value.float(weights.sqnrDB).repr, "nil", Value.float(weights.sqnrDB).repr])
  }

  @Test func deltasAreInPointsAndImagesAgainstFp32() throws {
    let (table, _, _) = try Self.table()
    #expect(Self.column(table, "images") == ["-5", "-1", "1"])
    #expect(table.rows.map { TableValue.format($0["delta"] ?? .none, .points) } == ["-10.00", "-2.00", "+2.00"])
    #expect(
      table.rows.map { TableValue.format($0["accuracy"] ?? .none, .percent) } == ["80.00 %", "88.00 %", "92.00 %"])
    #expect(
      table.title
        == "sensitivity: ptq · w4/a8 · one part quantized at a time, the rest fp32 · "
        + "fp32 90.00 % (45/50) on the test images"
    )
  }

  @Test func barChartShowsTheDropWithShortLabels() throws {
    let (table, _, _) = try Self.table()
    let chart = try #require(table.figures.first as? BarChart)
    #expect(chart.title == "accuracy lost when only this part is quantized (ptq, w4/a8)")
    #expect(chart.bars.map(\.label) == ["layer 3 (dense)", "input", "layer 0 (conv)"])
    #expect(chart.bars.map(\.note) == ["-5 images", "-1 image", "+1 image"])
    let drops = chart.bars.map(\.value)
    let expected = [10.0, 2.0, -2.0]
    #expect(zip(drops, expected).allSatisfy { abs($0 - $1) < Tolerance.percentagePoints }, "\(drops)")
  }

  @Test func qatAddsANoteThatRowsCanBeatFp32() throws {
    #expect(try Self.table(method: .ptq).0.notes.count == 2)
    let notes = try Self.table(method: .qat).0.notes
    #expect(notes.count == 3)
    #expect(
      notes.last
        == "QAT fine-tunes each whole copy, its fp32 layers too, so a row can beat the fp32 model: "
        + "compare the rows with each other."
    )
  }
}
