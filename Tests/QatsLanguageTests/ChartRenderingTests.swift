import Foundation
#if canImport(FoundationXML)
  import FoundationXML
#endif
import Testing
@testable import QatsLanguage
@testable import QatOutput

/// Awkward charts: no data, one point, NaN, a flat line, huge labels, only negative bars.
/// A histogram with observers' ranges under it: inside, beyond both ends, one column wide, a long
/// name, a markup name, and a non-finite one (not drawn).
private var spansHistogram: HistogramChart {
  var chart = HistogramChart(
    valueLabel: "activation", lower: 0, upper: 7, counts: [90, 40, 12, 6, 3, 1, 1], levels: [0, 1, 2, 3, 4],
    clipRange: 0...4)
  chart.spans = [
    .init(name: "minmax", lower: 0, upper: 7), .init(name: "kl", lower: 0, upper: 1.9),
    .init(name: "beyond", lower: -3, upper: 9), .init(name: "point", lower: 2, upper: 2),
    .init(name: String(repeating: "w", count: 200), lower: 6.9, upper: 7),
    .init(name: "<b>&\"x\"", lower: 1, upper: 3), .init(name: "nan", lower: .nan, upper: 1),
  ]
  return chart
}

private var edgeCases: [(String, any Figure)] {
  [
    ("empty line", LineChart(xLabel: "x", yLabel: "y", series: [])),
    ("histogram with spans", spansHistogram),
    (
      "one point",
      LineChart(
        title: String(repeating: "long title ", count: 30), xLabel: "bits", yLabel: "accuracy",
        yFormat: .percent, series: [ChartSeries(name: "only", points: [ChartPoint(x: 4, y: 0.5)])])
    ),
    (
      "flat with NaN",
      LineChart(
        xLabel: "epoch", yLabel: "loss",
        series: [
          ChartSeries(
            name: String(repeating: "n", count: 200),
            points: (1...60).map { ChartPoint(x: Double($0), y: $0 == 7 ? .nan : 0.25) }),
          ChartSeries(name: "b", points: (1...60).map { ChartPoint(x: Double($0), y: 1e7 * Double($0)) }),
        ])
    ),
    (
      "bytes and µs",
      LineChart(
        xLabel: "latency_us", yLabel: "size", xFormat: .microseconds, yFormat: .bytes,
        series: (0..<7).map { s in
          ChartSeries(name: "s\(s)", points: [ChartPoint(x: 1.5, y: 900), ChartPoint(x: 2400, y: 7.3e6)])
        },
        yRange: 0...1e7)
    ),
    (
      "negative bars",
      BarChart(
        valueLabel: String(repeating: "v", count: 300), format: .decibels,
        bars: [
          ChartBar(label: String(repeating: "L", count: 100), value: -3, note: String(repeating: "n", count: 100)),
          ChartBar(label: "b", value: -0.5), ChartBar(label: "nan", value: .nan),
        ])
    ),
    ("no bars", BarChart(valueLabel: "v", bars: [])),
    ("empty histogram", HistogramChart(valueLabel: "w", lower: 0, upper: 0, counts: [])),
    (
      "one-bin histogram",
      HistogramChart(title: "t", valueLabel: "w", lower: -1, upper: 1, counts: [3], levels: [0], clipRange: 0.5...0.6)
    ),
  ]
}

private var everyFigure: [(String, any Figure)] { ChartFixtures.all + edgeCases }

@Suite struct ChartTextTests {
  @Test func noEscapesWithoutColourAndEscapesWithColour() {
    for (name, figure) in ChartFixtures.all {
      let plain = figure.render(.text(color: false, width: 100))
      let coloured = figure.render(.text(color: true, width: 100))
      #expect(!plain.contains("\u{1B}"), "\(name)")
      #expect(coloured.contains("\u{1B}["), "\(name)")
      #expect(ANSIText.stripped(coloured) == plain, "colour must not change the text of \(name)")
    }
    for (name, figure) in edgeCases {
      #expect(!figure.render(.text(color: false, width: 60)).contains("\u{1B}"), "\(name)")
      #expect(!figure.render(.markdown).contains("\u{1B}"), "\(name)")
    }
  }

  @Test func neverWiderThanTheTerminal() {
    for (name, figure) in everyFigure {
      for width in 30...160 {
        for color in [false, true] {
          let text = figure.render(.text(color: color, width: width))
          let widest = text.split(separator: "\n").map { ANSIText.visibleWidth(String($0)) }.max() ?? 0
          #expect(widest <= width, "\(name) at width \(width) (color \(color)) is \(widest) wide")
          #expect(!text.hasSuffix("\n"), "\(name)")
        }
      }
    }
  }

  @Test func spansAreDrawnUnderTheHistogram() {
    let text = spansHistogram.render(.text(color: false, width: 80))
    #expect(text.contains("├─ minmax ") && text.contains("◀") && text.contains("▶") && text.contains("kl"), "\(text)")
    #expect(!text.contains("nan"), "\(text)")
    let svg = spansHistogram.svg()
    #expect(svg.contains(">minmax<") && svg.contains("&lt;b&gt;"), "\(svg)")
  }

  @Test func chartsStayAFewRowsTall() {
    for (name, figure) in ChartFixtures.all where !(figure is BarChart) {
      for width in [40, 100] {
        let rows = figure.render(.text(color: false, width: width)).split(
          separator: "\n", omittingEmptySubsequences: false
        ).count
        #expect(rows >= 10 && rows <= 15, "\(name) at \(width) has \(rows) rows")
      }
    }
  }

  @Test func markdownIsTheTextChartInAFence() {
    let md = ChartFixtures.sweep.render(.markdown)
    #expect(md.hasPrefix("```\naccuracy against bits\n"))
    #expect(md.hasSuffix("\n```"))
    #expect(md.split(separator: "\n").allSatisfy { $0.count <= 80 })
  }

  @Test func ticksAreRoundAndUnitsFollowTheFormat() {
    let t = AxisTicks.nice(0.32, 0.987, intervals: 4, clampToUnit: true)
    #expect(t.values == [0.2, 0.4, 0.6, 0.8, 1.0])
    #expect(
      t.values.map { AxisFormat.percent.tick($0, step: t.step, largest: 1) } == [
        "20 %", "40 %", "60 %", "80 %", "100 %",
      ])
    let fine = AxisTicks.nice(0.975, 0.987, intervals: 3)
    #expect(
      fine.values.map { AxisFormat.percent.tick($0, step: fine.step, largest: 1) } == [
        "97.5 %", "98.0 %", "98.5 %", "99.0 %",
      ])
    #expect(AxisTicks.nice(1, 15, intervals: 6, integers: true).step == 5)
    #expect(AxisTicks.nice(1, 3, intervals: 8, integers: true).step == 1)
    #expect(AxisFormat.bytes.tick(5000, step: 2500, largest: 10000) == "5.0 KB")
    #expect(AxisFormat.microseconds.tick(1500, step: 500, largest: 2000) == "1.5 ms")
    #expect(AxisFormat.number.tick(-0.5, step: 0.5, largest: 1) == "-0.5")
    #expect(AxisFormat.number.tick(150_000, step: 50_000, largest: 200_000) == "150k")
    #expect(AxisFormat.percent.value(0.9861) == "98.61 %")
    #expect(AxisFormat.number.value(4) == "4" && AxisFormat.number.value(0.0523) == "0.0523")
    #expect(AxisFormat.decibels.value(31.96) == "32.0 dB")
    // A flat line still gets an axis around it.
    let flat = AxisTicks.nice(0.25, 0.25, intervals: 3)
    #expect(flat.lower < 0.25 && flat.upper > 0.25)
  }

  @Test func histogramMarksLevelsClipsAndDenseGrids() {
    let text = ChartFixtures.weights.render(.text(color: false, width: 100))
    #expect(text.contains("┆ 15 levels"))
    #expect(text.contains("░ clipped: 0.24 % of values"))
    #expect(text.contains("-0.9") && text.contains("0.9") && text.contains("-1.2") && text.contains("1.2"))
    let dense = ChartFixtures.dense.render(.text(color: false, width: 100))
    #expect(dense.contains("256 levels (too dense to mark)"))
    #expect(!dense.contains("┆"))
    #expect(ChartFixtures.weights.clippedShare().map { abs($0 - 0.0024) < 0.0001 } == true)
  }

  @Test func sideBySideRowFitsOrStacks() {
    let row = FigureRow([ChartFixtures.loss, ChartFixtures.sweep])
    let wide = row.render(.text(color: true, width: 120))
    #expect(wide.split(separator: "\n").allSatisfy { ANSIText.visibleWidth(String($0)) <= 120 })
    // The second chart's title beside the first.
    #expect(wide.split(separator: "\n").first?.contains("accuracy against bits") == true)
    let narrow = row.render(.text(color: false, width: 60))
    #expect(narrow.split(separator: "\n").allSatisfy { $0.count <= 60 })
    #expect(narrow.contains("\naccuracy against bits\n"))  // stacked
    #expect(row.parts.count == 2)
  }
}

/// Collects the element names of an XML document, failing on any parse error.
final class XMLCheck: NSObject, XMLParserDelegate {
  var elements: [String] = []
  var rootAttributes: [String: String] = [:]
  var titles: [String] = []
  private var inTitle = false
  var error: Error?

  static func parse(_ text: String) -> XMLCheck {
    let check = XMLCheck()
    let parser = XMLParser(data: Data(text.utf8))
    parser.delegate = check
    if !parser.parse() { check.error = parser.parserError ?? NSError(domain: "xml", code: 1) }
    return check
  }

  func parser(
    _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
    attributes: [String: String]
  ) {
    if elements.isEmpty { rootAttributes = attributes }
    elements.append(name)
    if name == "title" { inTitle = true; titles.append("") }
  }

  func parser(_ parser: XMLParser, foundCharacters string: String) {
    if inTitle { titles[titles.count - 1] += string }
  }

  func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
    if name == "title" { inTitle = false }
  }
}

@Suite struct ChartSVGTests {
  static let nasty = "a <b> & \"c\" 'd' </svg><script>"

  /// Each kind with the nasty string in every piece of text it shows.
  static var nastyCharts: [any Figure] {
    [
      LineChart(
        title: nasty, xLabel: nasty, yLabel: nasty,
        series: [ChartSeries(name: nasty, points: [ChartPoint(x: 1, y: 2), ChartPoint(x: 2, y: 3)])]),
      BarChart(title: nasty, valueLabel: nasty, bars: [ChartBar(label: nasty, value: 1, note: nasty)]),
      HistogramChart(
        title: nasty, valueLabel: nasty, lower: 0, upper: 1, counts: [1, 2], levels: [0.5], clipRange: 0.2...0.8),
    ]
  }

  @Test func everySVGIsWellFormedAndSelfContained() {
    for (name, figure) in everyFigure.map({ ($0.0, $0.1) }) + Self.nastyCharts.map({ ("nasty", $0) }) {
      let svg = figure.svg()
      let check = XMLCheck.parse(svg)
      #expect(check.error == nil, "\(name): \(String(describing: check.error))")
      #expect(check.elements.first == "svg" && check.elements.dropFirst().first == "title", "\(name)")
      #expect(check.rootAttributes["xmlns"] == "http://www.w3.org/2000/svg")
      #expect(check.rootAttributes["role"] == "img")
      #expect(check.rootAttributes["viewBox"]?.hasPrefix("0 0 560 ") == true)
      #expect(
        !check.elements.contains("script") && !check.elements.contains("a") && !check.elements.contains("image"),
        "\(name)")
      #expect(!svg.contains("href") && !svg.contains("url("), "\(name)")
      // The file form adds a declaration and a colour style and is still XML.
      let file = figure.svgFile()
      #expect(XMLCheck.parse(file).error == nil, "\(name) file")
      #expect(file.hasPrefix("<?xml") && file.contains("prefers-color-scheme: dark"))
    }
  }

  @Test func nastyTextSurvivesAsText() {
    for figure in Self.nastyCharts {
      let check = XMLCheck.parse(figure.svg())
      #expect(check.titles.first == Self.nasty)
    }
  }

  @Test func lineChartDrawsOneLineAndMarkersPerSeriesAndALegend() {
    let svg = ChartFixtures.sweep.svg()
    let check = XMLCheck.parse(svg)
    #expect(check.elements.filter { $0 == "polyline" }.count == 2)
    #expect(svg.contains("#4E79A7") && svg.contains("#F28E2B"))
    #expect(svg.contains(">ptq</text>") && svg.contains(">qat</text>"))
    #expect(svg.contains("<title>ptq: bits 8, accuracy 98.60 %</title>"))
    for label in ["100 %", "20 %", ">8<", ">2<", ">bits<"] { #expect(svg.contains(label), "\(label)") }
    // Descending bits: 8 is left of 2.
    func x(ofLabel label: String) -> Double? {
      let pattern = try? NSRegularExpression(pattern: "<text x=\"([0-9.]+)\"[^>]*>\(label)</text>")
      guard let m = pattern?.firstMatch(in: svg, range: NSRange(svg.startIndex..., in: svg)),
        let r = Range(m.range(at: 1), in: svg)
      else { return nil }
      return Double(svg[r])
    }
    #expect((x(ofLabel: "8") ?? 1e9) < (x(ofLabel: "2") ?? 0))
  }

  @Test func histogramShadesClippingAndMarksLevels() {
    let svg = ChartFixtures.weights.svg()
    #expect(svg.contains(">clipped</text>"))
    #expect(svg.contains("stroke-dasharray"))
    #expect(svg.contains("15 quantization levels"))
    #expect(ChartFixtures.dense.svg().contains("256 levels (too dense to mark)"))
  }

  @Test func htmlIsAFigureCaptionedOnlyWhenUntitled() {
    let html = ChartFixtures.sensitivity.render(.html)
    #expect(html.hasPrefix("<figure class=\"chart\"><svg xmlns="))
    // The SVG draws the title; a caption would print it a second time.
    #expect(html.hasSuffix("</svg></figure>"))
    #expect(html.components(separatedBy: ">accuracy drop when one layer is 4-bit</text>").count - 1 == 1)
    #expect(!html.contains("<figcaption>"))
    #expect(XMLCheck.parse(html).error == nil)
    let untitled = ChartFixtures.loss.render(.html)
    #expect(untitled.contains("<figcaption>loss against epoch</figcaption>"))
  }
}
