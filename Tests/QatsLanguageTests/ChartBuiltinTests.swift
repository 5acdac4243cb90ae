import Foundation
import QatOutput
@testable import QatsLanguage
import Testing

/// A small sweep as qats source: two methods over three bit widths.
private let sweepRows = """
  rows = [{method: "ptq", bits: 8, accuracy: 0.98, size_bytes: 7300}, \
  {method: "ptq", bits: 4, accuracy: 0.9, size_bytes: 4100},
          {method: "ptq", bits: 2, accuracy: 0.4, size_bytes: 2500}, \
  {method: "qat", bits: 8, accuracy: 0.985, size_bytes: 7300},
          {method: "qat", bits: 4, accuracy: 0.97, size_bytes: 4100}, \
  {method: "qat", bits: 2, accuracy: 0.8, size_bytes: 2500}]
  """

/// The value the last expression statement of `code` evaluates to.
private func value(_ code: String) throws -> Value {
  let interpreter = Interpreter(output: CapturingOutput())
  var last = Value.none
  for statement in try Parser.parse(Source(name: "test.qats", text: code)) {
    if case .value(let v) = try interpreter.runTopLevel(statement) { last = v }
  }
  return last
}

private func chart(_ code: String) throws -> LineChart? {
  guard case .object(let c as ChartValue) = try value(code) else { return nil }
  return c.figure as? LineChart
}

@Suite struct ChartBuiltinTests {
  @Test func tableFromRecordsFormatsColumnsByName() throws {
    let out = try run(sweepRows + "\nt = table(rows)\nt\nt.count\nt.columns")
    #expect(out.hasPrefix("t: table: 6 rows × 4 columns (method, bits, accuracy, size_bytes)\n"))
    #expect(out.contains("  method  bits  accuracy  size_bytes\n  ptq        8   98.00 %     7.30 KB\n"))
    #expect(out.hasSuffix("\n6\n[\"method\", \"bits\", \"accuracy\", \"size_bytes\"]"))
    #expect(try run("table([{a: 1}, {b: 2}], title: \"mixed\")") == "mixed\n  a  b\n  1  —\n  —  2")
    #expect(try run("json(table([{a: 0.5}]))") == "[{\"a\":0.5}]")
  }

  @Test func plotByMethodMakesOneSeriesPerValue() throws {
    let c = try #require(try chart(sweepRows + "\nplot(table(rows), x: \"bits\", y: \"accuracy\", by: \"method\")"))
    #expect(c.series.map(\.name) == ["ptq", "qat"])
    #expect(c.series[0].points == [ChartPoint(x: 8, y: 0.98), ChartPoint(x: 4, y: 0.9), ChartPoint(x: 2, y: 0.4)])
    #expect(c.xDescending && c.yFormat == .percent && c.xFormat == .number)
    #expect(c.xLabel == "bits" && c.yLabel == "accuracy" && c.title == nil)
  }

  @Test func plotSeveralColumnsAndFormatsByName() throws {
    let c = try #require(
      try chart(sweepRows + "\nplot(rows, x: \"size_bytes\", y: [\"accuracy\", \"bits\"], title: \"t\")"))
    #expect(c.series.map(\.name) == ["accuracy", "bits"])
    #expect(!c.xDescending && c.xFormat == .bytes && c.title == "t")
    let grouped = try #require(
      try chart(sweepRows + "\nplot(rows, x: \"bits\", y: [\"accuracy\", \"size_bytes\"], by: \"method\")"))
    #expect(grouped.series.map(\.name) == ["ptq accuracy", "ptq size_bytes", "qat accuracy", "qat size_bytes"])
  }

  @Test func plotShowsAChartValue() throws {
    let out = try run(
      sweepRows + "\nc = plot(rows, x: \"bits\", y: \"accuracy\", by: \"method\")\nc\ntype(c)\nc.series")
    #expect(out.hasPrefix("c: line chart: accuracy against bits: ptq, qat\naccuracy\n100 % ┤"))
    #expect(out.contains("● ptq   ■ qat"))
    #expect(out.hasSuffix("\nchart\n[\"ptq\", \"qat\"]"))
    #expect(
      try run(sweepRows + "\njson(plot(rows, x: \"bits\", y: \"accuracy\"))").hasPrefix(
        "[{\"series\":\"accuracy\",\"x\":8.0,\"y\":0.98}"))
  }

  @Test func plotSkipsRowsWithoutNumbers() throws {
    let c = try #require(try chart("plot([{bits: nil, a: 1}, {bits: 8, a: 0.5}, {bits: 4}], x: \"bits\", y: \"a\")"))
    #expect(c.series.first?.points == [ChartPoint(x: 8, y: 0.5)])
  }

  @Test func plotErrorsAreLocatedWithHints() {
    #expect(
      failure(sweepRows + "\nplot(rows, x: \"bits\", y: \"acuracy\")") == """
        test.qats:4:23: error: `plot`: there is no column `acuracy` in the data
          plot(rows, x: "bits", y: "acuracy")
                                ^
          did you mean `accuracy`? the columns are `method`, `bits`, `accuracy`, `size_bytes`
        """)
    #expect(
      failure(sweepRows + "\nplot(rows, x: \"method\", y: \"accuracy\")").contains(
        """
        test.qats:4:12: error: `plot`: column `method` is not numeric: row 0 has "ptq"
        """))
    #expect(
      failure(sweepRows + "\nplot(rows, x: \"method\", y: \"accuracy\")").contains(
        "`by: \"method\"` draws one line per value"))
    #expect(failure("plot([], x: \"a\", y: \"b\")").contains("`plot`: `data` has no rows to plot"))
    #expect(failure("plot([1, 2], x: \"a\", y: \"b\")").contains("`data` must be a list of records; item 0 is 1"))
    #expect(
      failure("plot(3, x: \"a\", y: \"b\")").contains(
        "`data` must be a table, a list of records, or something with rows"))
    #expect(failure("plot([{a: 1}], x: \"a\", y: \"a\", by: \"m\")").contains("there is no column `m`"))
    #expect(failure("plot([{a: 1, b: nil}], x: \"a\", y: \"b\")").contains("no row has numbers in both `a` and `b`"))
    #expect(failure("plot([{a: 1}], x: \"a\", y: 3)").contains("`y` must be a string or a list of strings"))
    #expect(failure("plot([{a: 1}], x: \"a\")").contains("missing argument `y`"))
  }

  @Test func barsFromRowsOrARecord() throws {
    let out = try run("bars({conv1: 0.12, conv2: 0.03})")
    #expect(out.contains("conv1  ████") && out.contains("0.12"))
    guard
      case .object(let c as ChartValue) = try value(
        sweepRows + "\nbars(rows, label: \"method\", value: \"size_bytes\")"),
      let b = c.figure as? BarChart
    else {
      Issue.record("bars did not return a bar chart")
      return
    }
    #expect(b.bars.count == 6 && b.format == .bytes && b.bars[0].label == "ptq")
    #expect(failure("bars(rows)".replacingOccurrences(of: "rows", with: "[{a: 1}]")).contains("name the columns"))
    #expect(failure("bars({a: \"x\"})").contains("field `a` is \"x\", not a number"))
  }

  @Test func writeSavesAChartAsSVG() throws {
    let path = NSTemporaryDirectory() + "qat-chart-\(UUID().uuidString).svg"
    defer { try? FileManager.default.removeItem(atPath: path) }
    let out = try run("write(bars({a: 1, b: 2}, title: \"t\"), \"\(path)\")")
    #expect(out.hasPrefix("wrote \(path) ("))
    let svg = try String(contentsOfFile: path, encoding: .utf8)
    #expect(svg.hasPrefix("<?xml") && svg.contains("<title>t</title>") && svg.hasSuffix("</svg>\n"))
    #expect(failure("write([1], \"\(path)\")").contains("only a chart can be written as .svg; got [1]"))
  }

  @Test func writeRefusesPictureFormatsOtherThanSVG() throws {
    let dir = NSTemporaryDirectory() + "qat-chart-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let png = failure("c = bars({a: 1, b: 2})\nwrite(c, \"\(dir)/c.png\")")
    #expect(png.contains("`write`: cannot write a .png picture: charts are written as .svg"))
    #expect(png.contains("write(c, \"\(dir)/c.svg\")"))
    #expect(failure("write([1], \"\(dir)/x.PNG\")").contains("cannot write a .png picture"))
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
  }

  @Test func builtinsAreDocumented() {
    let registry = Interpreter(output: CapturingOutput()).registry
    for name in ["table", "plot", "bars"] {
      let b = registry.lookup(name)
      #expect(b?.topic == "charts")
      #expect(b.map { BuiltinDocs.text(for: $0) }?.contains("returns:") == true)
    }
    #expect(registry.lookup("plot")?.signature == "plot(data, x, y, by: string?, title: string?)")
  }
}
