import QatOutput
/// A chart as a qats value (what `plot` and `bars` return): it shows itself as the chart — a
/// Unicode drawing in the terminal, SVG in reports — and `json(chart)` gives the plotted data.
public final class ChartValue: HostObject, Figure {
  /// The drawing behind the value.
  public let figure: any Figure

  public init(_ figure: any Figure) { self.figure = figure }

  public var typeName: String { "chart" }
  public var drawnTitle: String? { figure.drawnTitle }

  /// "line chart: accuracy against bits: ptq, qat".
  public var summary: String {
    switch figure {
    case is LineChart: return "line chart: " + figure.altText
    case is BarChart: return "bar chart: " + figure.altText
    case is HistogramChart: return "histogram: " + figure.altText
    default: return "chart: " + figure.altText
    }
  }

  public var memberNames: [String] { ["title", "series"] }

  /// `c.title` (nil without one) and `c.series` (the series or bar names).
  public func member(_ name: String) throws -> Value? {
    switch name {
    case "title": return title.map(Value.string) ?? Value.none
    case "series":
      if let line = figure as? LineChart { return .list(line.series.map { .string($0.name) }) }
      if let bars = figure as? BarChart { return .list(bars.bars.map { .string($0.label) }) }
      return .list([])
    default: return nil
    }
  }

  private var title: String? {
    (figure as? LineChart)?.title ?? (figure as? BarChart)?.title ?? (figure as? HistogramChart)?.title
  }

  /// The plotted data: `{series, x, y}` per point of a line chart, `{label, value, note}` per bar,
  /// `{lower, upper, count}` per histogram bin.
  public func plainValue() -> Value? {
    if let line = figure as? LineChart {
      return .list(
        line.series.flatMap { s in
          s.points.map {
            Value.record(Record([("series", .string(s.name)), ("x", .float($0.x)), ("y", .float($0.y))]))
          }
        })
    }
    if let bars = figure as? BarChart {
      return .list(
        bars.bars.map { b in
          .record(
            Record([
              ("label", .string(b.label)), ("value", .float(b.value)), ("note", b.note.map(Value.string) ?? .none),
            ]))
        })
    }
    if let h = figure as? HistogramChart {
      let w = (h.upper - h.lower) / Double(max(1, h.counts.count))
      return .list(
        h.counts.enumerated().map { i, c in
          .record(
            Record([
              ("lower", .float(h.lower + Double(i) * w)), ("upper", .float(h.lower + Double(i + 1) * w)),
              ("count", .int(c)),
            ]))
        })
    }
    return nil
  }

  public var altText: String { figure.altText }
  public func svg() -> String { figure.svg() }
  public func render(_ format: RenderFormat) -> String { figure.render(format) }
}
