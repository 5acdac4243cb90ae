/// A transient status line in parts, so that it can be fitted to a narrow terminal without losing
/// what matters most: the rate and the time left. Fitting shrinks the bar first, then drops the bar,
/// then drops details from the last, and only then cuts the lead (from its start).
public struct ProgressLine: Sendable, Equatable {
  /// What is running ("epoch 2/3", "sweep 4 bits · epoch 1/3"); cut with "…" only as a last resort.
  public var lead: String
  /// How full the bar is, 0...1; nil draws no bar.
  public var fraction: Double?
  /// Extra readings, dropped from the last one first when the line is too wide.
  public var details: [String]
  /// Readings kept whatever the width (rate, ETA), unless even they do not fit.
  public var essentials: [String]

  /// The widest bar drawn, and the narrowest worth drawing.
  static let barWidths = (widest: 20, narrowest: 5)

  public init(lead: String, fraction: Double? = nil, details: [String] = [], essentials: [String] = []) {
    self.lead = lead
    self.fraction = fraction
    self.details = details
    self.essentials = essentials
  }

  /// The whole line with the widest bar: what a wide terminal shows.
  public var text: String { compose(bar: fraction == nil ? 0 : Self.barWidths.widest, details: details.count) }

  /// The line in at most `width` characters.
  public func fitted(to width: Int) -> String {
    let width = max(1, width)
    let bars =
      fraction == nil
      ? [0] : Array(stride(from: Self.barWidths.widest, through: Self.barWidths.narrowest, by: -1)) + [0]
    // The bar goes first, then each detail: every layout keeps the rate and the ETA.
    for bar in bars {
      let line = compose(bar: bar, details: details.count)
      if line.count <= width { return line }
    }
    for kept in stride(from: details.count - 1, through: 0, by: -1) {
      let line = compose(bar: 0, details: kept)
      if line.count <= width { return line }
    }
    // Only the lead and the essentials are left: cut the lead's start (a label), keeping its end
    // (the epoch count), then, on a tiny terminal, the line's end.
    let tail = essentials.joined(separator: "  ")
    let room = width - tail.count - 2
    if room >= 2 { return "…" + String(lead.suffix(room - 1)) + "  " + tail }
    let line = compose(bar: 0, details: 0)
    return line.count <= width ? line : String(line.prefix(width - 1)) + "…"
  }

  private func compose(bar: Int, details kept: Int) -> String {
    var parts = [lead]
    if bar > 0, let fraction {
      // Clamped before converting: a NaN or out-of-range fraction must not trap.
      let share = fraction.isFinite ? min(1, max(0, fraction)) : 0
      let filled = Int((share * Double(bar)).rounded())
      parts.append(String(repeating: "━", count: filled) + String(repeating: "─", count: bar - filled))
    }
    var line = parts.joined(separator: " ")
    for part in details.prefix(kept) + essentials { line += "  " + part }
    return line
  }
}
