import Foundation
import QatOutput
import QatShell
import Testing

/// Charts a learner can read: fp32 over bits as labelled reference lines, markers that coincide
/// both visible, and series colours far apart.
@Suite struct ChartReadabilityTests {
  static let sweepRows = """
    rows = [{method: "fp32", bits: 32, accuracy: 0.99}, {method: "ptq", bits: 8, accuracy: 0.6}, \
    {method: "ptq", bits: 4, accuracy: 0.55}, {method: "ptq", bits: 2, accuracy: 0.3}, \
    {method: "qat", bits: 8, accuracy: 0.6}, {method: "qat", bits: 4, accuracy: 0.58}, \
    {method: "qat", bits: 2, accuracy: 0.5}]
    """

  /// The plot rows of a terminal chart: between the y label and the x axis.
  static func plotRows(_ text: String) -> [Substring] {
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    guard let axis = lines.firstIndex(where: { $0.contains("└") }) else { return [] }
    return Array(lines[..<axis].filter { $0.contains("┤") || $0.contains("│") })
  }

  @Test func fp32RowsOverBitsAreLabelledReferenceLinesNotPointsAt32() throws {
    let s = CapturedSession()
    s.input(Self.sweepRows)
    let out = s.input("plot(rows, x: \"bits\", y: \"accuracy\", by: \"method\")")
    let rows = Self.plotRows(out)
    #expect(rows.count == 8, "\(out)")
    // The level is dashed and labelled inside the plot, and named in the legend with a dash.
    #expect(rows.first?.hasSuffix("⠉ ⠉ fp32") == true, "\(out)")
    #expect(out.contains("● ptq   ■ qat   ┄ fp32"))
    // The x axis spans the widths only: 8 on the left, 2 on the right, no 32.
    let ticks = try #require(
      out.split(separator: "\n").first { $0.trimmingCharacters(in: .whitespaces).hasPrefix("8") })
    #expect(ticks.split(separator: " ") == ["8", "4", "2"], "\(out)")

    let html = HTMLReport.render(s.session.notebook, generator: "t")
    let svg = try #require(svgs(in: html).last)
    #expect(isXML(svg))
    #expect(svg.contains("stroke-dasharray=\"6 4\""))
    #expect(svg.contains(">fp32</text>"))
    #expect(!svg.contains("bits 32"), "no marker at 32 bits")
  }

  @Test func withoutByTheFp32RowIsAReferenceNamedAfterTheColumn() {
    let s = CapturedSession()
    s.input(Self.sweepRows)
    let out = s.input("plot(rows, x: \"bits\", y: \"accuracy\")")
    #expect(out.contains("┄ accuracy at 32 bits"), "\(out)")
  }

  @Test func coincidingMarkersBothShow() throws {
    let s = CapturedSession()
    s.input(
      """
      same = [{m: "a", x: 1, y: 1}, {m: "a", x: 2, y: 4}, {m: "a", x: 3, y: 9}, \
      {m: "b", x: 1, y: 1}, {m: "b", x: 2, y: 4}, {m: "b", x: 3, y: 9}]
      """)
    let out = s.input("plot(same, x: \"x\", y: \"y\", by: \"m\")")
    let rows = Self.plotRows(out).joined()
    #expect(rows.filter { $0 == "●" }.count == 3, "\(out)")
    #expect(rows.filter { $0 == "■" }.count == 3, "\(out)")

    let html = HTMLReport.render(s.session.notebook, generator: "t")
    let svg = try #require(svgs(in: html).last)
    #expect(isXML(svg))
    // Six data markers (circles for a, squares for b), every one at its own place.
    let circles = Self.numbers(svg, #"<circle cx="([0-9.]+)" cy="([0-9.]+)""#)
    let squares = Self.numbers(svg, #"<rect x="([0-9.]+)" y="([0-9.]+)" width="8" height="8""#).map {
      [$0[0] + 4, $0[1] + 4]
    }
    let markers = (circles + squares).filter { $0[1] < 260 }  // the legend's swatches sit lower
    #expect(markers.count == 6, "\(markers)")
    for (i, a) in markers.enumerated() {
      for b in markers[(i + 1)...] { #expect(abs(a[0] - b[0]) >= 8 || abs(a[1] - b[1]) >= 8, "\(a) \(b)") }
    }
  }

  static func numbers(_ text: String, _ pattern: String) -> [[Double]] {
    guard let regex = try? NSRegularExpression(pattern: pattern) else { return [] }
    return regex.matches(in: text, range: NSRange(text.startIndex..., in: text)).map { match in
      (1..<match.numberOfRanges).compactMap { Range(match.range(at: $0), in: text).flatMap { Double(text[$0]) } }
    }
  }

  @Test func theFirstFourSeriesColoursAreFarApartInHue() throws {
    // The SVG carries each series' colour on its line: read them from a four-series chart.
    let chart = LineChart(
      xLabel: "x", yLabel: "y",
      series: (0..<4).map { i in
        ChartSeries(name: "s\(i)", points: [ChartPoint(x: 0, y: Double(i)), ChartPoint(x: 1, y: 1)])
      })
    let colours = Self.strings(chart.svg(), #"<polyline [^>]*stroke="(#[0-9A-F]{6})""#)
    #expect(colours.count == 4 && Set(colours).count == 4)
    let hues = colours.map(Self.hue)
    for (i, a) in hues.enumerated() {
      for b in hues[(i + 1)...] {
        let distance = min(abs(a - b), 360 - abs(a - b))
        #expect(distance >= 60, "\(colours): hues \(a) and \(b)")
      }
    }
    // In the terminal the four get four different ANSI colours.
    let text = chart.render(.text(color: true, width: 60))
    let codes = Set(Self.strings(text, "\u{1B}\\[(3[0-7])m"))
    #expect(codes.count == 4, "\(codes)")
  }

  static func strings(_ text: String, _ pattern: String) -> [String] {
    guard let regex = try? NSRegularExpression(pattern: pattern) else { return [] }
    return regex.matches(in: text, range: NSRange(text.startIndex..., in: text)).compactMap {
      Range($0.range(at: 1), in: text).map { String(text[$0]) }
    }
  }

  static func hue(_ hex: String) -> Double {
    let v = Int(hex.dropFirst(), radix: 16) ?? 0
    let r = Double((v >> 16) & 255) / 255, g = Double((v >> 8) & 255) / 255, b = Double(v & 255) / 255
    let high = max(r, g, b), low = min(r, g, b), d = high - low
    guard d > 0 else { return 0 }
    var h: Double
    if high == r { h = (g - b) / d } else if high == g { h = (b - r) / d + 2 } else { h = (r - g) / d + 4 }
    h *= 60
    return h < 0 ? h + 360 : h
  }
}
