extension BarChart {
  /// The terminal drawing: one row per bar — label, bar, value, note. Bars are whole blocks
  /// plus an eighth block (▏▎▍▌▋▊▉) for the remainder; negative values grow left from a zero
  /// line (in halves, ▐, because Unicode has no left-growing eighths). At most `width` columns.
  func text(width: Int, color: Bool) -> String {
    let width = max(1, width)
    var out: [TextRow] = []
    if let title { out.append(TextRow(width: width, title.truncated(to: width), style: .title)) }
    let shown = bars.filter { $0.value.isDrawable }
    guard !bars.isEmpty else {
      out.append(TextRow(width: width, "(no bars)"))
      return out.map { $0.render(color: color) }.joined(separator: "\n")
    }

    let indent = 2
    let values = bars.map { format.value($0.value) }
    let valueWidth = values.map(\.count).max() ?? 0
    // Labels get at most a quarter of the row, notes at most a third, so the bars always keep
    // room to be compared; anything longer is shortened with "…".
    let labelWidth = min(bars.map(\.label.count).max() ?? 0, max(4, width / 4))
    let fixed = indent + labelWidth + 2 + 1 + valueWidth
    var noteWidth = min(bars.compactMap { $0.note?.count }.max() ?? 0, max(0, width / 3))
    if width - fixed - (noteWidth > 0 ? 2 + noteWidth : 0) < 8 { noteWidth = 0 }
    let barArea = max(1, width - fixed - (noteWidth > 0 ? 2 + noteWidth : 0))

    let most = shown.map(\.value).max() ?? 0, least = shown.map(\.value).min() ?? 0
    let positive = max(0, most), negative = max(0, -least)
    // With negatives, one column is the zero line and the rest is shared in proportion.
    let hasZeroLine = negative > 0
    let span = max(1, barArea - (hasZeroLine ? 1 : 0))
    let negativeColumns = positive + negative > 0 ? Int((Double(span) * negative / (positive + negative)).rounded()) : 0
    let positiveColumns = span - negativeColumns
    let barStart = indent + labelWidth + 2
    let zero = barStart + negativeColumns

    let header = valueLabel.truncated(to: width - indent)
    let headerEnd = barStart + barArea + 1 + valueWidth
    out.append(TextRow(width: width, header, at: header.count <= headerEnd ? headerEnd - header.count : indent))
    for (bar, value) in zip(bars, values) {
      var row = TextRow(width: width)
      row.put(bar.label.truncated(to: labelWidth), at: indent)
      if hasZeroLine { row.put("│", at: zero, style: .axis) }
      let from = hasZeroLine ? zero + 1 : zero
      if bar.value.isDrawable && bar.value > 0 && positive > 0 {
        let eighths = Int((bar.value / positive * Double(positiveColumns * 8)).rounded())
        let blocks =
          String(repeating: "█", count: eighths / 8) + (eighths % 8 > 0 ? String(Self.eighths[eighths % 8]) : "")
        row.put(blocks.isEmpty ? "▏" : blocks, at: from, style: .series(0))  // a tiny value is still visible
      } else if bar.value.isDrawable && bar.value < 0 && negative > 0 {
        let halves = max(1, Int((-bar.value / negative * Double(negativeColumns * 2)).rounded()))
        let blocks = (halves % 2 == 1 ? "▐" : "") + String(repeating: "█", count: halves / 2)
        row.put(blocks, at: zero - blocks.count, style: .clipped)
      }
      row.put(value, at: barStart + barArea + 1 + valueWidth - value.count)
      if noteWidth > 0, let note = bar.note {
        row.put(note.truncated(to: noteWidth), at: barStart + barArea + 1 + valueWidth + 2)
      }
      out.append(row)
    }
    return out.map { $0.render(color: color) }.joined(separator: "\n")
  }

  /// Left-aligned partial blocks by eighths; index 0 is unused (a whole block is "█").
  static let eighths: [Character] = [" ", "▏", "▎", "▍", "▌", "▋", "▊", "▉"]
}
