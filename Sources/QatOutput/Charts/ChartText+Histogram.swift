import QatSupport
extension HistogramChart {
  /// The terminal drawing: vertical bars (whole blocks topped by ▁…▇) resampled to the plot
  /// width; under the axis, one row marks the quantization levels with ┆ and the clipped
  /// regions (outside the representable range) with ░; then labels at the data's ends and the
  /// clip ends, the value name, and a key with the share of values clipped. At most `width`
  /// columns.
  func text(width: Int, color: Bool) -> String {
    let width = max(1, width)
    var out: [TextRow] = []
    if let title { out.append(TextRow(width: width, title.truncated(to: width), style: .title)) }
    guard !counts.isEmpty, lower.isDrawable, upper.isDrawable, upper > lower else {
      out.append(TextRow(width: width, "(no values to show)"))
      return out.map { $0.render(color: color) }.joined(separator: "\n")
    }

    let rows = 7
    // Heights are average counts per bin over each column, so the axis reads in the same units
    // as `counts` whether columns are wider or narrower than bins.
    let ticksGuess = AxisTicks.nice(0, Double(counts.max() ?? 0), intervals: 2, integers: true)
    let yLabels = ticksGuess.values.map { AxisFormat.number.tick($0, step: ticksGuess.step, largest: ticksGuess.upper) }
    let labelWidth = yLabels.map(\.count).max() ?? 1
    let axisColumn = labelWidth + 1
    let plotStart = axisColumn + 1
    let columns = max(1, width - plotStart)
    let heights = resampled(columns: columns)
    let ticks = AxisTicks.nice(0, heights.max() ?? 0, intervals: 2, integers: true)
    let top = max(ticks.upper, 1)
    func column(of x: Double) -> Int { min(columns - 1, max(0, Int((x - lower) / (upper - lower) * Double(columns)))) }
    func clipped(_ c: Int) -> Bool {
      guard let clipRange else { return false }
      let centre = lower + (Double(c) + 0.5) / Double(columns) * (upper - lower)
      return !clipRange.contains(centre)
    }

    out.append(TextRow(width: width, "count"))
    var tickAtRow: [Int: String] = [:]
    for t in ticks.values {
      let row = rows - 1 - Int((t / top * Double(rows) - 1e-9).rounded(.down))  // 0 lands on the axis row
      tickAtRow[row] = AxisFormat.number.tick(t, step: ticks.step, largest: ticks.upper)
    }
    for r in 0..<rows {
      var row = TextRow(width: width)
      if let label = tickAtRow[r] { row.put(label, at: max(0, labelWidth - label.count)) }
      row.put(tickAtRow[r] == nil ? "│" : "┤", at: axisColumn, style: .axis)
      for c in 0..<columns where heights[c] > 0 {
        // A bar's height in eighths of a row; any non-zero count shows at least ▁, so the
        // outliers that clipping is about never vanish.
        let eighths = max(1, Int((heights[c] / top * Double(rows * 8)).rounded()))
        let filled = eighths - (rows - 1 - r) * 8
        guard filled > 0 else { continue }
        row.put(filled >= 8 ? "█" : Self.rising[filled], at: plotStart + c, style: clipped(c) ? .clipped : .series(0))
      }
      out.append(row)
    }
    var axis = TextRow(width: width)
    if let zero = tickAtRow[rows] { axis.put(zero, at: max(0, labelWidth - zero.count)) }
    axis.put("└" + String(repeating: "─", count: columns), at: axisColumn, style: .axis)
    out.append(axis)

    let visibleLevels = levels.filter { $0 >= lower && $0 <= upper }
    let tooDense = visibleLevels.count > columns
    var marks = TextRow(width: width)
    for c in 0..<columns where clipped(c) { marks.put("░", at: plotStart + c, style: .clipped) }
    if !tooDense { for level in visibleLevels { marks.put("┆", at: plotStart + column(of: level), style: .axis) } }
    if !marks.render(color: false).isEmpty { out.append(marks) }

    var labels = TextRow(width: width)
    var edges: [(Int, String, Bool)] = [
      (0, AxisFormat.compact(lower), false), (columns - 1, AxisFormat.compact(upper), true),
    ]
    if let clipRange {
      for end in [clipRange.lowerBound, clipRange.upperBound] where end > lower && end < upper {
        edges.append((column(of: end), AxisFormat.compact(end), false))
      }
    }
    // The data's ends first (they frame the axis), then the clip ends where they fit.
    var placed: [(Int, String)] = []
    for (c, text, rightAligned) in edges {
      let start = rightAligned ? columns - text.count : max(0, min(columns - text.count, c - (text.count - 1) / 2))
      let overlaps = placed.contains { start <= $0.0 + $0.1.count && $0.0 <= start + text.count }
      if overlaps { continue }
      placed.append((start, text))
    }
    for (start, text) in placed { labels.put(text, at: plotStart + start) }
    out.append(labels)
    let name = valueLabel.truncated(to: width)
    out.append(TextRow(width: width, name, at: max(0, min(width - name.count, plotStart + (columns - name.count) / 2))))
    out += spanRows(width: width, plotStart: plotStart, columns: columns)

    var key: [(String, ChartStyle?)] = []
    if tooDense {
      key.append(("\(levels.count) levels (too dense to mark)", nil))
    } else if !levels.isEmpty {
      key.append(("┆ \(levels.count) \(levels.count == 1 ? "level" : "levels")", nil))
    }
    if let share = clippedShare() { key.append(("░ clipped: " + Units.percent(share) + " of values", nil)) }
    var keyRow = TextRow(width: width)
    var at = min(plotStart, 2)
    for (text, _) in key {
      if at > min(plotStart, 2) && at + text.count > width {
        out.append(keyRow)
        keyRow = TextRow(width: width)
        at = min(plotStart, 2)
      }
      keyRow.put(text.truncated(to: width - at), at: at)
      if text.hasPrefix("░") { keyRow.put("░", at: at, style: .clipped) }
      at += text.count + 3
    }
    if !key.isEmpty { out.append(keyRow) }
    return out.map { $0.render(color: color) }.joined(separator: "\n")
  }

  /// Bottom-aligned partial blocks by eighths; index 0 is unused.
  static let rising: [Character] = [" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇"]

  /// The average count per bin under each of `columns` equal columns (each bin's count spread
  /// evenly over its width, so both merging and splitting bins keep the picture's area).
  func resampled(columns: Int) -> [Double] {
    let binWidth = (upper - lower) / Double(counts.count)
    let columnWidth = (upper - lower) / Double(columns)
    var out = Array(repeating: 0.0, count: columns)
    for (i, count) in counts.enumerated() where count > 0 {
      let a = lower + Double(i) * binWidth, b = a + binWidth
      var c = max(0, Int((a - lower) / columnWidth))
      while c < columns {
        let ca = lower + Double(c) * columnWidth, cb = ca + columnWidth
        if ca >= b { break }
        let overlap = min(b, cb) - max(a, ca)
        if overlap > 0 { out[c] += Double(count) * overlap / binWidth }
        c += 1
      }
    }
    // Counts per column → average count per bin within the column.
    return out.map { $0 * binWidth / columnWidth }
  }

  /// The fraction of all counted values that fall outside `clipRange` (bins straddling an end
  /// count in proportion), or nil without a clip range or values.
  func clippedShare() -> Double? {
    guard let clipRange else { return nil }
    let total = counts.reduce(0, +)
    guard total > 0 else { return nil }
    let binWidth = (upper - lower) / Double(counts.count)
    var outside = 0.0
    for (i, count) in counts.enumerated() where count > 0 {
      let a = lower + Double(i) * binWidth, b = a + binWidth
      let inside = max(0, min(b, clipRange.upperBound) - max(a, clipRange.lowerBound))
      outside += Double(count) * max(0, 1 - inside / binWidth)
    }
    // Rounding in the bin edges can leave a tiny negative or positive residue: that is "none".
    let share = outside / Double(total)
    return share < 1e-9 ? 0 : share
  }
}
