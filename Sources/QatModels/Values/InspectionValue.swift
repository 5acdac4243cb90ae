import QatEngine
import QatOutput
import QatSupport
import QatsLanguage

/// What `inspect` and `histogram` return: values (a layer's weights, a quantization point's
/// activations, a list) against the quantization grid they are rounded to — the grid's scale(s),
/// zero point(s) and levels, how many values were clipped, the SQNR, a histogram with the grid's
/// levels and clip range, and for weights a table per output channel.
public final class InspectionValue: HostObject, CompositeRenderable {
  /// One output channel of a layer's weights.
  struct Channel {
    let index: Int
    let params: QuantParams
    let statistics: GridStatistics
    let levelsUsed: Int
  }

  /// The first line: what is shown, of what.
  let heading: String
  /// "weights", "activations" or "values".
  let what: String
  /// How the values are described in the `values` line ("144 weights, batch norm folded in").
  let valuesText: String
  let statistics: GridStatistics
  /// The grid (one), or one per output channel.
  let params: [QuantParams]
  let perChannel: Bool
  let symmetric: Bool
  let observer: String?
  let levelsUsed: Int
  let channels: [Channel]
  /// The histogram; `inspect(…, observers:)` adds each observer's range as a span under it.
  var chart: HistogramChart
  let notes: [String]

  /// Channel rows shown before the table is cut short.
  static let shownChannels = 8

  init(
    heading: String, what: String, valuesText: String, statistics: GridStatistics, params: [QuantParams],
    perChannel: Bool,
    symmetric: Bool, observer: String?, levelsUsed: Int, channels: [Channel], chart: HistogramChart, notes: [String]
  ) {
    self.heading = heading
    self.what = what
    self.valuesText = valuesText
    self.statistics = statistics
    self.params = params
    self.perChannel = perChannel
    self.symmetric = symmetric
    self.observer = observer
    self.levelsUsed = levelsUsed
    self.channels = channels
    self.chart = chart
    self.notes = notes
  }

  /// Distinct values among `quantized`: the grid levels actually in use.
  static func distinct(_ quantized: [Float]) -> Int { Set(quantized.map(\.bitPattern)).count }

  /// The grid's bins for the chart: every level of a per-tensor grid (up to 256 of them).
  static func chart(title: String, valueLabel: String, values: [Float], grid: QuantParams?, bins: Int) -> HistogramChart
  {
    let binned = ChartBins(values, clip: grid?.clippingBounds, bins: bins)
    let levels = grid.map { $0.range.levels <= 256 ? $0.levels.map(Double.init) : [] } ?? []
    // Shaded as clipped: beyond half a step past the end levels, where the clamp moves values (so
    // the chart's share agrees with the clipped count; nearer values only round to the end level).
    let clip = grid.map { Double($0.clippingBounds.lowerBound)...Double($0.clippingBounds.upperBound) }
    return HistogramChart(
      title: title, valueLabel: valueLabel, lower: Double(binned.lower), upper: Double(binned.upper),
      counts: binned.counts, levels: levels, clipRange: clip)
  }

  var range: QuantRange { params.first?.range ?? QuantRange(bits: 8, signed: false) }
  var lowest: Float { params.map(\.representable.lowerBound).min() ?? 0 }
  var highest: Float { params.map(\.representable.upperBound).max() ?? 0 }

  public var typeName: String { "inspection" }

  /// "conv(16, kernel: 3, pad: 1) weights · 4-bit · SQNR 18.3 dB · 0 clipped".
  public var summary: String {
    """
    \(what) · \(range.bits)-bit \(perChannel ? "per channel" : "per tensor") · SQNR \
    \(Self.decibels(statistics.sqnrDB)) · \(Units.grouped(statistics.clipped)) clipped of \
    \(Units.grouped(statistics.count))
    """
  }

  public var memberNames: [String] {
    [
      "what", "count", "min", "max", "bits", "signed", "symmetric", "per_channel", "observer", "scale", "zero_point",
      "levels",
      "levels_used", "qmin", "qmax", "range", "clipped", "clipped_below", "clipped_above", "sqnr_db", "channels",
      "histogram", "ranges",
    ]
  }

  static func number(_ x: Float) -> Value { Value.float32(x) }

  /// One value per tensor, a list per channel.
  func perGrid(_ f: (QuantParams) -> Value) -> Value {
    perChannel ? .list(params.map(f)) : (params.first.map(f) ?? Value.none)
  }

  public func member(_ name: String) throws -> Value? {
    switch name {
    case "what": return .string(what)
    case "count": return .int(statistics.count)
    case "min": return statistics.count > 0 ? Self.number(statistics.min) : Value.none
    case "max": return statistics.count > 0 ? Self.number(statistics.max) : Value.none
    case "bits": return .int(range.bits)
    case "signed": return .bool(range.signed)
    case "symmetric": return .bool(symmetric)
    case "per_channel": return .bool(perChannel)
    case "observer": return observer.map(Value.string) ?? Value.none
    case "scale": return perGrid { .float(Double($0.scale)) }
    case "zero_point": return perGrid { .int(Int($0.zeroPoint)) }
    case "levels": return .int(range.levels)
    case "levels_used": return .int(levelsUsed)
    case "qmin": return .int(Int(range.qmin))
    case "qmax": return .int(Int(range.qmax))
    case "range":
      return perGrid { .list([Self.number($0.representable.lowerBound), Self.number($0.representable.upperBound)]) }
    case "clipped": return .int(statistics.clipped)
    case "clipped_below": return .int(statistics.clippedBelow)
    case "clipped_above": return .int(statistics.clippedAbove)
    case "sqnr_db": return .float(statistics.sqnrDB)
    case "channels": return .list(channels.map { .record(record($0)) })
    case "histogram":
      return .record(
        Record([
          ("lower", .float(chart.lower)), ("upper", .float(chart.upper)),
          ("counts", .list(chart.counts.map(Value.int))),
        ]))
    case "ranges":
      return .list(
        chart.spans.map { span in
          .record(
            Record([
              ("observer", .string(span.name)), ("low", Self.number(Float(span.lower))),
              ("high", Self.number(Float(span.upper))),
            ]))
        })
    default: return nil
    }
  }

  func record(_ c: Channel) -> Record {
    Record([
      ("channel", .int(c.index)), ("min", Self.number(c.statistics.min)), ("max", Self.number(c.statistics.max)),
      ("scale", .float(Double(c.params.scale))), ("zero_point", .int(Int(c.params.zeroPoint))),
      (
        "range",
        .list([Self.number(c.params.representable.lowerBound), Self.number(c.params.representable.upperBound)])
      ),
      ("levels_used", .int(c.levelsUsed)), ("clipped", .int(c.statistics.clipped)),
      ("sqnr_db", .float(c.statistics.sqnrDB)),
    ])
  }

  public func plainValue() -> Value? {
    var pairs: [(String, Value)] = []
    for name in memberNames where name != "histogram" && name != "ranges" {
      if let value = try? member(name) { pairs.append((name, value)) }
    }
    return .record(Record(pairs))
  }

  static func decibels(_ x: Double) -> String { TableValue.format(.float(x), .decibels) }
  static func short(_ x: Float) -> String { Units.significant4(Double(x)) }
  static func interval(_ p: QuantParams) -> String {
    "[\(short(p.representable.lowerBound)), \(short(p.representable.upperBound))]"
  }

  /// The lines under the heading: values, grid, range, levels, clipping, SQNR.
  var lines: [String] {
    let s = statistics
    let stats = s.count > 0 ? " · min \(Self.short(s.min)) · max \(Self.short(s.max))" : ""
    var grid =
      """
      \(range.bits)-bit \(range.signed ? "signed" : "unsigned") [\(range.qmin), \(range.qmax)] · \
      \(symmetric ? "symmetric" : "affine")
      """
    var rangeLine: String
    if perChannel {
      let scales = params.map(\.scale)
      let zeros = Set(params.map(\.zeroPoint))
      grid +=
        """
         · per channel: \(params.count) scales from \(Self.short(scales.min() ?? 0)) to \
        \(Self.short(scales.max() ?? 0))
        """
      grid +=
        zeros.count == 1
        ? " · zero point \(zeros.first ?? 0)"
        : " · zero points \(zeros.sorted().map(String.init).joined(separator: ", "))"
      rangeLine = "each channel its own, widest [\(Self.short(lowest)), \(Self.short(highest))]"
    } else {
      let p = params.first ?? QuantParams(scale: 1, zeroPoint: 0, range: range)
      grid += " · per tensor · scale \(Self.short(p.scale)) · zero point \(p.zeroPoint)"
      let clip = p.clippingBounds
      rangeLine =
        Self.interval(p)
          + """
           · clipped beyond [\(Self.short(clip.lowerBound)), \(Self.short(clip.upperBound))], half a step past the \
          end levels
          """
    }
    if let observer { grid += " · \(observer) observer" }
    let share = s.count > 0 ? " (\(Units.percent(Double(s.clipped) / Double(s.count))) of the values)" : ""
    let used =
      perChannel
      ? "\(range.levels) per channel · \(levelsUsed) distinct values in use" : "\(range.levels) · \(levelsUsed) in use"
    return [
      "  values   \(valuesText)\(stats)",
      "  grid     \(grid)",
      "  range    \(rangeLine)",
      "  levels   \(used)",
      "  clipped  \(Units.grouped(s.clippedBelow)) below · \(Units.grouped(s.clippedAbove)) above\(share)",
      "  SQNR     \(Self.decibels(s.sqnrDB))  (10·log10 Σx² / Σ(x − q(x))²)",
    ]
  }

  /// One row per output channel, cut short after `shownChannels` when there are many.
  var channelTable: TextTable? {
    guard channels.count > 1 else { return nil }
    let cut = channels.count > Self.shownChannels + 2
    let shown = cut ? Array(channels.prefix(Self.shownChannels)) : channels
    let rows = shown.map { c in
      [
        String(c.index), Self.short(c.statistics.min), Self.short(c.statistics.max), Self.short(c.params.scale),
        Self.interval(c.params),
        String(c.levelsUsed), Units.grouped(c.statistics.clipped), Self.decibels(c.statistics.sqnrDB),
      ]
    }
    var footer: [String]?
    if cut {
      // The channels not shown, summarized: their extremes and the spans of the rest.
      let hidden = channels.dropFirst(Self.shownChannels)
      func span(_ values: [String]) -> String {
        guard let first = values.first, let last = values.last else { return "" }
        return first == last ? first : first + " … " + last
      }
      let scales = hidden.map(\.params.scale).sorted().map(Self.short)
      let used = hidden.map(\.levelsUsed).sorted().map(String.init)
      let sqnr = hidden.map(\.statistics.sqnrDB).sorted().map { TableValue.format(.float($0), .fixed(1)) }
      footer = [
        "… \(hidden.count) more", Self.short(hidden.map(\.statistics.min).min() ?? 0),
        Self.short(hidden.map(\.statistics.max).max() ?? 0),
        span(scales), "", span(used), Units.grouped(hidden.reduce(0) { $0 + $1.statistics.clipped }),
        span(sqnr) + (sqnr.isEmpty ? "" : " dB"),
      ]
    }
    return TextTable(
      title: perChannel
        ? "per output channel (each with its own grid)" : "per output channel (all on the one per-tensor grid)",
      headers: ["channel", "min", "max", "scale", "range", "levels used", "clipped", "SQNR"], rows: rows,
      rightAligned: [true, true, true, true, false, true, true, true], footer: footer)
  }

  public var parts: [any Renderable] {
    var result: [any Renderable] = [PlainText(([heading] + lines).joined(separator: "\n")), chart]
    if let channelTable { result.append(channelTable) }
    if !notes.isEmpty { result.append(PlainText(notes.joined(separator: "\n"))) }
    return result
  }

  public func render(_ format: RenderFormat) -> String { RenderableGroup(parts).render(format) }
}
