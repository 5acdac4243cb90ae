import Foundation

extension LineChart {
  /// The terminal drawing: lines in braille dots, each data point marked with its series'
  /// marker (●, ■, ▲ …), y ticks on the left, x ticks under the axis, then the axis name and a
  /// legend. Exactly `width` columns at most; about 14 rows.
  func text(width: Int, color: Bool) -> String {
    let width = max(1, width)
    var out: [TextRow] = []
    if let title { out.append(TextRow(width: width, title.truncated(to: width), style: .title)) }
    let plan = self.plan
    guard let (xMin, xMax) = plan.x, let (yMin, yMax) = plan.y else {
      out.append(TextRow(width: width, "(no data to plot)"))
      return out.map { $0.render(color: color) }.joined(separator: "\n")
    }

    // Eight plot rows (seven when narrow) give 32 dots of height: enough to see a trend, small
    // enough that a table and its chart (14 rows in all) fit on one screen.
    let rows = width >= 60 ? 8 : 7
    let ticks = AxisTicks.nice(
      yRange?.lowerBound ?? yMin, yRange?.upperBound ?? yMax, intervals: rows / 3 + 1,
      clampToUnit: yFormat == .percent && yRange == nil)
    let largest = max(abs(ticks.lower), abs(ticks.upper))
    let yLabels = ticks.values.map { yFormat.tick($0, step: ticks.step, largest: largest) }
    let labelWidth = yLabels.map(\.count).max() ?? 1
    let axisColumn = labelWidth + 1
    let plotStart = axisColumn + 1
    var canvas = BrailleCanvas(columns: max(1, width - plotStart), rows: rows)

    let (xLo, xHi) = xMax - xMin < 1e-12 ? (xMin - 1, xMax + 1) : (xMin, xMax)  // one x: centre it
    func dotX(_ x: Double) -> Int {
      let f = (x - xLo) / (xHi - xLo)
      return Int(((xDescending ? 1 - f : f) * Double(canvas.dotWidth - 1)).rounded())
    }
    func dotY(_ y: Double) -> Int {
      let clamped = min(max(y, ticks.lower), ticks.upper)  // a given yRange may cut the data
      return Int(((ticks.upper - clamped) / (ticks.upper - ticks.lower) * Double(canvas.dotHeight - 1)).rounded())
    }

    for (s, line) in plan.lines.enumerated() {
      for (a, b) in zip(line, line.dropFirst()) {
        canvas.line(from: (dotX(a.x), dotY(a.y)), to: (dotX(b.x), dotY(b.y)), series: s)
      }
    }
    // Error bars: a vertical run of dots from y − spread to y + spread at the point's x.
    for (s, line) in plan.lines.enumerated() {
      for p in line {
        guard let spread = p.spread, spread.isDrawable, spread > 0 else { continue }
        canvas.line(from: (dotX(p.x), dotY(p.y - spread)), to: (dotX(p.x), dotY(p.y + spread)), series: s)
      }
    }
    let markers = markerCells(plan.lines, columns: canvas.columns, rows: rows) { (dotX($0.x) / 2, dotY($0.y) / 4) }
    // Reference levels are dashed and drawn last, only in cells no data line or marker uses, so
    // they never hide the data; each is labelled at the right end of its row.
    var referenceLabels: [Int: (names: [String], series: Int)] = [:]
    for (s, y) in plan.references {
      let dot = dotY(y)
      for x in 0..<canvas.dotWidth where (x / 2) % 2 == 0 {
        let cell = (dot / 4) * canvas.columns + x / 2
        if markers[cell] == nil && (canvas.cell(x / 2, dot / 4).map { $0.1 == s } ?? true) {
          canvas.set(x, dot, series: s)
        }
      }
      if !(referenceLabels[dot / 4]?.names.contains(series[s].name) ?? false) {
        referenceLabels[dot / 4, default: ([], s)].names.append(series[s].name)
      }
    }

    out.append(TextRow(width: width, yLabel.truncated(to: width)))
    var tickAtRow: [Int: String] = [:]
    for (t, label) in zip(ticks.values, yLabels) where tickAtRow[dotY(t) / 4] == nil { tickAtRow[dotY(t) / 4] = label }
    for r in 0..<rows {
      var row = TextRow(width: width)
      if let label = tickAtRow[r] { row.put(label, at: labelWidth - label.count) }
      row.put(tickAtRow[r] == nil ? "│" : "┤", at: axisColumn, style: .axis)
      for c in 0..<canvas.columns {
        if let (marker, s) = markers[r * canvas.columns + c] {
          row.put(marker, at: plotStart + c, style: .series(s))
        } else if let (ch, s) = canvas.cell(c, r) {
          row.put(ch, at: plotStart + c, style: .series(s))
        }
      }
      if let label = referenceLabels[r] {
        placeReferenceLabel(
          label.names.joined(separator: ", "), series: label.series, in: &row, row: r,
          plotStart: plotStart, canvas: canvas, markers: markers)
      }
      out.append(row)
    }

    var axis = TextRow(width: width)
    axis.put("└" + String(repeating: "─", count: canvas.columns), at: axisColumn, style: .axis)
    var tickRow = TextRow(width: width)
    for (column, label) in xTicks(xMin: xMin, xMax: xMax, columns: canvas.columns, dotX: dotX) {
      axis.put("┬", at: plotStart + column, style: .axis)
      tickRow.put(label.text, at: label.start + plotStart)
    }
    out.append(axis)
    out.append(tickRow)
    let xName = xLabel.truncated(to: width)
    out.append(
      TextRow(width: width, xName, at: max(0, min(width - xName.count, plotStart + (canvas.columns - xName.count) / 2)))
    )
    if !(series.count == 1 && series[0].name == yLabel) {
      out += legend(width: width, indent: min(plotStart, max(0, width / 4)))
    }
    return out.map { $0.render(color: color) }.joined(separator: "\n")
  }

  /// X tick labels keyed by plot column: at every distinct x when they fit side by side (bits
  /// 8, 6, 4, 3, 2), otherwise at round numbers. Each label is centred on its column but kept
  /// inside the row, and labels that would touch a neighbour are left out.
  private func xTicks(xMin: Double, xMax: Double, columns: Int, dotX: (Double) -> Int)
    -> [(Int, (text: String, start: Int))]
  {
    let distinct = plan.xValues
    func place(_ values: [Double], _ label: (Double) -> String) -> (
      all: Bool, ticks: [(Int, (text: String, start: Int))]
    ) {
      var placed: [(Int, (text: String, start: Int))] = []
      var all = true
      let ordered = values.map { ($0, dotX($0) / 2) }.sorted { $0.1 < $1.1 }
      var end = -2  // the column after the last label so far
      for (x, column) in ordered {
        let text = label(x).truncated(to: columns)
        let start = max(0, min(columns - text.count, column - (text.count - 1) / 2))
        if start <= end { all = false; continue }
        placed.append((column, (text, start)))
        end = start + text.count
      }
      return (all, placed)
    }
    if distinct.count <= 24 {
      let attempt = place(distinct) { xFormat.value($0) }
      if attempt.all { return attempt.ticks }
    }
    let integers = distinct.allSatisfy { $0 == $0.rounded() }
    let ticks = AxisTicks.nice(xMin, xMax, intervals: max(1, columns / 10), integers: integers)
    let inside = ticks.values.filter { $0 >= xMin - 1e-9 * abs(xMin) && $0 <= xMax + 1e-9 * abs(xMax) }
    let largest = max(abs(xMin), abs(xMax))
    return place(inside) { xFormat.tick($0, step: ticks.step, largest: largest) }.ticks
  }

  /// "● ptq   ■ qat   ┄ fp32": each series' marker (a dash for a reference line) and name,
  /// wrapped to the width.
  private func legend(width: Int, indent: Int) -> [TextRow] {
    var rows: [TextRow] = []
    var row = TextRow(width: width)
    var column = indent
    for (i, s) in legendEntries.enumerated() {
      let name = s.name.truncated(to: max(1, width - indent - 2))
      if column > indent && column + 2 + name.count > width {
        rows.append(row)
        row = TextRow(width: width)
        column = indent
      }
      row.put(s.reference ? "┄" : ChartPalette.marker(i), at: column, style: .series(i))
      row.put(name, at: column + 2)
      column += name.count + 5
    }
    rows.append(row)
    return rows
  }
}
