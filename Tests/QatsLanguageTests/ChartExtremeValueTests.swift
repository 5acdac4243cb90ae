import Foundation
#if canImport(FoundationXML)
  import FoundationXML
#endif
import Testing
@testable import QatsLanguage
@testable import QatOutput

/// Values a user can type that once crashed the charts: spans that overflow to infinity
/// (±1e308) and labels wider than the chart (1e99). Charts must draw what they can, never crash,
/// and stay within the width.
@Suite struct ChartExtremeValueTests {
  static let huge: [Double] = [1e308, -1e308, .infinity, -.infinity, .nan, 1e99, -1e99, 2]

  func parses(_ svg: String) -> Bool { XMLParser(data: Data(svg.utf8)).parse() }

  func widest(_ text: String) -> Int { text.split(separator: "\n").map(\.count).max() ?? 0 }

  @Test func lineChartsWithOverflowingSpans() {
    for (a, b) in [(1e308, -1e308), (1e99, -1e99), (Double.infinity, 1), (.nan, 2)] {
      let chart = LineChart(
        xLabel: "x", yLabel: "y",
        series: [
          ChartSeries(
            name: "s",
            points: [
              ChartPoint(x: 1, y: a), ChartPoint(x: 2, y: b), ChartPoint(x: a, y: 3),
            ])
        ])
      for width in [40, 100] {
        #expect(widest(chart.render(.text(color: false, width: width))) <= width, "\(a), \(b) at \(width)")
      }
      #expect(parses(chart.svg()))
    }
  }

  /// Error bars (± spread): the y range reaches their ends, the SVG draws a bar with two caps per point
  /// that has one (and parses), the terminal drawing fits its width; huge or NaN spreads are left out.
  @Test func errorBarsWidenTheRangeAndAreDrawn() {
    var plain = LineChart(
      xLabel: "bits", yLabel: "accuracy",
      series: [ChartSeries(name: "qat", points: [ChartPoint(x: 2, y: 0.8), ChartPoint(x: 4, y: 0.9)])])
    var barred = plain
    barred.series[0].points[0].spread = 0.1
    #expect(abs((barred.plan.y?.min ?? 0) - 0.7) < 1e-12 && barred.plan.y?.max == 0.9)
    // The same axis for both, so the only new lines are the bar and its two caps.
    (plain.yRange, barred.yRange) = (0.6...1.0, 0.6...1.0)
    func lines(_ svg: String) -> Int { svg.components(separatedBy: "<line").count - 1 }
    #expect(lines(barred.svg()) == lines(plain.svg()) + 3)
    #expect(parses(barred.svg()))
    #expect(widest(barred.render(.text(color: false, width: 50))) <= 50)
    var wild = plain
    wild.series[0].points[0].spread = .nan
    wild.series[0].points[1].spread = 1e308
    #expect(lines(wild.svg()) == lines(plain.svg()) && wild.plan.y?.min == 0.8)
  }

  @Test func barsWithOverflowingValues() {
    let chart = BarChart(
      valueLabel: "v", bars: Self.huge.enumerated().map { ChartBar(label: "b\($0.offset)", value: $0.element) })
    for width in [40, 100] {
      #expect(widest(chart.render(.text(color: false, width: width))) <= width)
    }
    #expect(parses(chart.svg()))
  }

  @Test func histogramsWithOverflowingEdges() {
    let chart = HistogramChart(
      valueLabel: "v", lower: -1e308, upper: 1e308, counts: [1, 2, 3], levels: [0], clipRange: -1e308...1e308)
    #expect(widest(chart.render(.text(color: false, width: 60))) <= 60)
    #expect(parses(chart.svg()))
  }

  @Test func hugeTicksUseExponents() {
    let chart = LineChart(
      xLabel: "x", yLabel: "y",
      series: [
        ChartSeries(
          name: "s",
          points: [
            ChartPoint(x: 1, y: 1e99), ChartPoint(x: 2, y: -1e99),
          ])
      ])
    let text = chart.render(.plain)
    #expect(text.contains("1e+99 ┤") && text.contains("-1e+99 ┤"), "\(text)")
  }
}
