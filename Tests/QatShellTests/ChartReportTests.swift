import Foundation
#if canImport(FoundationXML)
  import FoundationXML
#endif
import QatShell
import QatsLanguage
import Testing
import QatOutput
import QatShell

/// A line chart, a bar chart and a histogram, as a session would make them.
private let line = LineChart(
  title: "accuracy <&\"> against bits", xLabel: "bits", yLabel: "accuracy", yFormat: .percent,
  series: [
    ChartSeries(name: "ptq", points: [ChartPoint(x: 8, y: 0.98), ChartPoint(x: 4, y: 0.9), ChartPoint(x: 2, y: 0.3)]),
    ChartSeries(
      name: "qat", points: [ChartPoint(x: 8, y: 0.985), ChartPoint(x: 4, y: 0.97), ChartPoint(x: 2, y: 0.8)]),
  ],
  xDescending: true)
private let bars = BarChart(
  valueLabel: "drop", format: .percent,
  bars: [ChartBar(label: "conv1", value: 0.04), ChartBar(label: "dense", value: -0.01)])
private let histogram = HistogramChart(
  valueLabel: "weight", lower: -1, upper: 1, counts: [1, 5, 9, 5, 1], levels: [-0.5, 0, 0.5], clipRange: -0.5...0.5)

/// Four cells: a chart value (wrapped as the session wraps values), a table carrying a chart,
/// a row of two figures, and plain text. Four figures in all.
private func chartNotebook() -> Notebook {
  let notebook = Notebook(title: "charts <demo>")
  notebook.addNarrative("# Charts")
  notebook.beginCell(input: "plot(t, x: \"bits\", y: \"accuracy\", by: \"method\")", mode: "ptq")
  notebook.appendOutput(ValueView(.object(ChartValue(line))))
  notebook.beginCell(input: "sensitivity(net, data)", mode: "ptq")
  let table = TableValue(
    columns: [.init("layer"), .init("drop", format: .percent)],
    rows: [Record([("layer", .string("conv1")), ("drop", .float(0.04))])],
    figures: [bars], notes: ["read: higher hurts more"])
  notebook.appendOutput(ValueView(.object(table)))
  notebook.beginCell(input: "net.history", mode: "qat")
  notebook.appendOutput(FigureRow([histogram, line]))
  notebook.beginCell(input: "print(1)", mode: "qat")
  notebook.appendOutput(PlainText("1"))
  return notebook
}

/// Problems with the tag structure of an HTML document: every element closed in order (void
/// elements excepted). Contents of `<style>` are skipped.
private func tagProblems(_ html: String) -> [String] {
  let voidElements: Set<String> = ["meta", "br", "hr", "img", "link", "input"]
  var stack: [String] = [], problems: [String] = []
  var rest = html[...]
  while let open = rest.firstIndex(of: "<") {
    guard let close = rest[open...].firstIndex(of: ">") else { problems.append("unterminated tag"); break }
    let inner = rest[rest.index(after: open)..<close]
    rest = rest[rest.index(after: close)...]
    if inner.hasPrefix("!") { continue }
    let isEnd = inner.hasPrefix("/")
    let name = (isEnd ? inner.dropFirst() : inner).prefix { $0.isLetter || $0.isNumber }.lowercased()
    if name == "style" && !isEnd, let end = rest.range(of: "</style>") { rest = rest[end.upperBound...]; continue }
    if isEnd {
      guard stack.last == name else { problems.append("</\(name)> closes <\(stack.last ?? "nothing")>"); continue }
      stack.removeLast()
    } else if !voidElements.contains(name) && !inner.hasSuffix("/") {
      stack.append(name)
    }
  }
  if !stack.isEmpty { problems.append("unclosed: \(stack)") }
  return problems
}

/// Every `<svg …</svg>` in `html`.
func svgs(in html: String) -> [String] {
  var out: [String] = []
  var rest = html[...]
  while let start = rest.range(of: "<svg "), let end = rest[start.lowerBound...].range(of: "</svg>") {
    out.append(String(rest[start.lowerBound..<end.upperBound]))
    rest = rest[end.upperBound...]
  }
  return out
}

func isXML(_ text: String) -> Bool { XMLParser(data: Data(text.utf8)).parse() }

@Suite struct ChartReportTests {
  @Test func htmlReportDrawsEveryFigureInlineOnce() {
    let html = HTMLReport.render(chartNotebook(), generator: "test")
    #expect(tagProblems(html) == [])
    for n in 1...4 { #expect(html.contains("id=\"cell-\(n)\"")) }
    let drawn = svgs(in: html)
    #expect(drawn.count == 4)
    #expect(html.components(separatedBy: "<svg").count - 1 == 4)
    for svg in drawn { #expect(isXML(svg)) }
    #expect(html.components(separatedBy: "<figure class=\"chart\">").count - 1 == 4)
    // A titled chart draws its title in the SVG once; no caption repeats it under the drawing.
    // (The line chart is in two cells, cell 1 and the figure row of cell 3: once in each.)
    #expect(html.components(separatedBy: "accuracy &lt;&amp;&quot;&gt; against bits</text>").count - 1 == 2)
    #expect(html.components(separatedBy: "accuracy &lt;&amp;&quot;&gt; against bits").count - 1 == 4)  // + <title>
    #expect(!html.contains("<figcaption>accuracy &lt;&amp;&quot;&gt; against bits</figcaption>"))
    #expect(html.contains("<td class=\"num\">4.00 %</td>"))  // the table is still there, before its chart
    #expect(html.contains("read: higher hurts more"))
    #expect(html.contains("figure.chart"))
    #expect(!html.lowercased().contains("<script"))
  }

  @Test func markdownReportWritesSVGFilesBesideItAndLinksThem() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = dir + "/my report.md"
    try ReportWriter.write(chartNotebook(), to: path, generator: "test")
    let md = try String(contentsOfFile: path, encoding: .utf8)
    let figures = dir + "/my report-figures"
    let files = try FileManager.default.contentsOfDirectory(atPath: figures).sorted()
    #expect(files == ["figure-1.svg", "figure-2.svg", "figure-3.svg", "figure-4.svg"])
    for file in files {
      let svg = try String(contentsOfFile: figures + "/" + file, encoding: .utf8)
      #expect(svg.hasPrefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\""))
      #expect(isXML(svg), "\(file)")
    }
    #expect(md.contains("![accuracy <&\"> against bits](my%20report-figures/figure-1.svg)"))
    #expect(md.contains("![drop per bar](my%20report-figures/figure-2.svg)"))
    #expect(md.contains("| layer | drop |\n|---|--:|\n| conv1 | 4.00 % |\n\n![drop per bar]"))
    #expect(md.contains("![distribution of weight](my%20report-figures/figure-3.svg)"))
    #expect(!md.contains("<svg"))
    #expect(!md.contains("⠒"))  // no text charts once the figures are files

    // A shorter rerun leaves exactly its own figures (and other files alone).
    try "keep".write(toFile: figures + "/notes.txt", atomically: false, encoding: .utf8)
    let short = Notebook(title: "short")
    short.beginCell(input: "c", mode: "ptq")
    short.appendOutput(ValueView(.object(ChartValue(bars))))
    try ReportWriter.write(short, to: path, generator: "test")
    #expect(try FileManager.default.contentsOfDirectory(atPath: figures).sorted() == ["figure-1.svg", "notes.txt"])
    #expect(try String(contentsOfFile: figures + "/figure-1.svg", encoding: .utf8).contains("drop per bar"))
  }

  @Test func markdownWithoutFiguresMakesNoDirectoryAndTextFallback() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let plain = Notebook(title: "plain")
    plain.beginCell(input: "1", mode: "ptq")
    plain.appendOutput(PlainText("1"))
    try ReportWriter.write(plain, to: dir + "/r.md", generator: "g")
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["r.md"])
    // Rendering without a figure directory draws the charts as text in code blocks.
    let md = MarkdownReport.render(chartNotebook(), generator: "g")
    #expect(md.contains("```\naccuracy <&\"> against bits\naccuracy\n"))
    #expect(!md.contains("!["))
    let split = MarkdownReport.render(chartNotebook(), generator: "g", figureDirectory: "f")
    #expect(split.figures.map(\.name) == ["figure-1.svg", "figure-2.svg", "figure-3.svg", "figure-4.svg"])
    #expect(ReportWriter.figureDirectory(for: "out/r.md") == ("out/r-figures", "r-figures"))
    #expect(ReportWriter.figureDirectory(for: "r.markdown") == ("r-figures", "r-figures"))
  }

  @Test func chartBuiltinsInASessionReachTheReports() throws {
    let s = CapturedSession()
    let out = s.input(
      """
      rows = [{method: \"ptq\", bits: 8, accuracy: 0.98}, {method: \"qat\", bits: 8, accuracy: 0.99}, {method: \
      \"ptq\", bits: 4, accuracy: 0.9}, {method: \"qat\", bits: 4, accuracy: 0.97}]
      """,
      "t = table(rows)", "plot(t, x: \"bits\", y: \"accuracy\", by: \"method\")", "c = bars({a: 1, b: 2})", "c")
    #expect(out.contains("t: table: 4 rows × 3 columns (method, bits, accuracy)\n"))
    #expect(out.contains("● ptq   ■ qat"))
    #expect(out.contains("c: bar chart: value per bar\n"))
    #expect(!out.contains("\u{1B}"))
    let html = HTMLReport.render(s.session.notebook, generator: "t")
    #expect(svgs(in: html).count == 2)
    #expect(tagProblems(html) == [])
  }

  @Test func historyShowsItsTableAndTwoCurves() throws {
    let s = CapturedSession.smallTrainedNet(digits: repoRoot.appendingPathComponent("samples/digits").path)
    let before = s.session.notebook.cellCount
    let out = s.input("net.history")
    #expect(out.hasPrefix("history: 2 epochs\n  epoch    loss  train accuracy    lr\n"))
    // Side by side at width 100: both titles on one line.
    #expect(out.contains("loss per epoch") && out.contains("train accuracy per epoch"))
    #expect(
      out.split(separator: "\n").contains { $0.contains("loss per epoch") && $0.contains("train accuracy per epoch") })
    #expect(out.split(separator: "\n").allSatisfy { $0.count <= 100 })
    #expect(s.session.notebook.cellCount == before + 1)
    let html = HTMLReport.render(s.session.notebook, generator: "t")
    let last = String(html[html.range(of: "id=\"cell-\(before + 1)\"")!.lowerBound...])
    #expect(svgs(in: last).count == 2)
    #expect(!last.contains("<figcaption>"), "titled curves get no caption repeating the title")
    #expect(last.components(separatedBy: ">loss per epoch</text>").count - 1 == 1)
    #expect(last.contains("<td class=\"num\">1</td>"))
  }

  /// QAT_CHART_GALLERY=/tmp/gallery.html writes a report of every chart kind, for looking at
  /// in a browser (scripts/report-screenshot takes its picture).
  @Test func writeGalleryWhenAsked() throws {
    guard let path = ProcessInfo.processInfo.environment["QAT_CHART_GALLERY"] else { return }
    try ReportWriter.write(chartNotebook(), to: path, generator: "chart gallery")
  }
}
