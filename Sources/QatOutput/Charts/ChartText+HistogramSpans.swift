extension HistogramChart {
  /// One row per span under the histogram: ├────┤ over the columns its range covers, its name after
  /// inside the line when it fits, else after it (or before it), so several ranges chosen for the
  /// same values line up against the bars above them. A span reaching beyond the drawn values (by
  /// more than 1 % of their width) ends in ◀ or ▶.
  func spanRows(width: Int, plotStart: Int, columns: Int) -> [TextRow] {
    guard upper > lower, columns > 1 else { return [] }
    func column(_ x: Double) -> Int { min(columns - 1, max(0, Int((x - lower) / (upper - lower) * Double(columns)))) }
    return spans.filter { $0.lower.isDrawable && $0.upper.isDrawable && $0.lower <= $0.upper }.map { span in
      var row = TextRow(width: width)
      let a = column(span.lower), b = max(a, column(span.upper))
      let line = b > a ? String(repeating: "─", count: max(0, b - a - 1)) : ""
      let slack = 0.01 * (upper - lower)
      let left = span.lower < lower - slack ? "◀" : "├", right = span.upper > upper + slack ? "▶" : "┤"
      row.put(b > a ? left + line + right : "│", at: plotStart + a, style: .series(0))
      let label = span.name
      if b - a - 1 >= label.count + 4 {
        row.put(" \(label) ", at: plotStart + a + 2)
      } else if plotStart + b + 2 + label.count <= width {
        row.put(label, at: plotStart + b + 2)
      } else {
        row.put(label.truncated(to: max(1, plotStart + a - 1)), at: max(0, plotStart + a - 1 - label.count))
      }
      return row
    }
  }
}
