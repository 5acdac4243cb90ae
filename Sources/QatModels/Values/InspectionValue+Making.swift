import QatEngine
import QatOutput
import QatSupport
import QatsLanguage

/// The inspections `inspect` and `histogram` show, made from what the engine measured: how the
/// grids are presented (headings, notes, charts), kept apart from how they are computed.
extension InspectionValue {
  static func weights(_ grid: WeightGrid, layer: NetworkLayer, index: Int, context: String, bins: Int)
    -> InspectionValue
  {
    let channels = grid.channelStatistics.indices.map { ch in
      Channel(
        index: ch, params: grid.params[ch], statistics: grid.channelStatistics[ch],
        levelsUsed: distinct(grid.channelQuantized[ch]))
    }
    let all = grid.values
    let params = grid.perChannel ? grid.params : Array(grid.params.prefix(1))
    let levelsUsed = distinct(grid.channelQuantized.flatMap { $0 })
    var notes: [String] = []
    if grid.perChannel && channels.count > 1 {
      notes.append(
        """
        The histogram holds every channel's weights; each channel is rounded to its own grid (see the table), so no \
        single set of levels is drawn.
        """
      )
    }
    if !grid.perChannel && channels.count > 1,
      let widest = channels.max(by: {
        max(-$0.statistics.min, $0.statistics.max) < max(-$1.statistics.min, $1.statistics.max)
      })
    {
      let bound = max(-widest.statistics.min, widest.statistics.max)
      let narrowest = channels.map { max(-$0.statistics.min, $0.statistics.max) }.min() ?? bound
      let ratio =
        narrowest > 0 ? " (\(Units.fixed(Double(bound / narrowest), digits: 1))× the narrowest channel's)" : ""
      notes.append(
        """
        Channel \(widest.index) has the widest range, |w| up to \(Units.significant4(Double(bound)))\(ratio): with \
        one scale for the whole layer, it sets the step for all \(channels.count) channels.
        """
      )
    }
    return InspectionValue(
      heading: "inspect: weights of \(layer.spec.description) (layer \(index)) · \(context)",
      what: "weights",
      valuesText: "\(Units.grouped(all.count)) weights\(grid.folded ? ", batch norm folded in" : "")",
      statistics: grid.statistics, params: params, perChannel: grid.perChannel, symmetric: true, observer: nil,
      levelsUsed: levelsUsed, channels: channels,
      chart: chart(
        title:
          """
          weights of \(layer.spec.description) against the \(params.first?.range.bits ?? 8)-bit \
          grid\(grid.perChannel ? "s" : "")
          """,
        valueLabel: "weight", values: all, grid: grid.perChannel ? nil : params.first, bins: bins),
      notes: notes)
  }

  /// The activations at a quantization point, over `images` calibration images.
  static func activations(_ grid: ActivationGrid, heading: String, place: String, images: Int, bins: Int)
    -> InspectionValue
  {
    let perImage = grid.values.count / max(1, images)
    return InspectionValue(
      heading: heading, what: "activations",
      valuesText: "\(Units.grouped(grid.values.count)) values (\(images) images × \(Units.grouped(perImage)))",
      statistics: grid.statistics, params: [grid.params], perChannel: false, symmetric: grid.symmetric,
      observer: grid.observer.rawValue, levelsUsed: distinct(grid.quantized), channels: [],
      chart: chart(
        title: "activations \(place) against the \(grid.params.range.bits)-bit grid", valueLabel: "activation",
        values: grid.values, grid: grid.params, bins: bins),
      notes: [])
  }

  /// A list of numbers against the grid `observer` chose for it (`histogram`).
  static func values(
    _ values: [Float], params: QuantParams, quantized: [Float], statistics: GridStatistics, observer: ObserverKind,
    low: Float, high: Float, symmetric: Bool, bins: Int
  ) -> InspectionValue {
    let range = params.range
    let kind = "\(range.bits)-bit \(range.signed ? "signed" : "unsigned") \(symmetric ? "symmetric" : "affine")"
    var notes = ["\(observer.rawValue): \(observer.summary)"]
    notes.append(
      """
      observed range [\(Units.significant4(Double(low))), \
      \(Units.significant4(Double(high)))]\(low > 0 || high < 0 ? ", widened to include 0" : "")
      """
    )
    if range.levels > 256 { notes.append("(\(Units.grouped(range.levels)) levels: too many to mark on the chart)") }
    return InspectionValue(
      heading:
        """
        histogram: \(Units.grouped(values.count)) \(values.count == 1 ? "value" : "values") against the \(kind) \
        grid of the \(observer.rawValue) observer
        """,
      what: "values", valuesText: "\(Units.grouped(values.count))", statistics: statistics, params: [params],
      perChannel: false,
      symmetric: symmetric, observer: observer.rawValue, levelsUsed: distinct(quantized),
      channels: [],
      chart: chart(
        title: "\(observer.rawValue) · \(range.bits)-bit", valueLabel: "value", values: values, grid: params,
        bins: bins),
      notes: notes)
  }
}
