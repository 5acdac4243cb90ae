extension LineChart {
  /// The SVG drawing: gridlines at the y ticks, one coloured line per series with its marker at
  /// each point (hover shows the value), the axis names, and a legend under the plot.
  func svgDocument() -> String {
    let plan = self.plan
    var (doc, top) = SVGDocument.chart(title: title)
    let width = doc.width
    guard let (xMin, xMax) = plan.x, let (yMin, yMax) = plan.y else {
      return doc.empty("(no data to plot)", top: top, alt: altText)
    }

    let ticks = AxisTicks.nice(
      yRange?.lowerBound ?? yMin, yRange?.upperBound ?? yMax, intervals: 5,
      clampToUnit: yFormat == .percent && yRange == nil)
    let largest = max(abs(ticks.lower), abs(ticks.upper))
    let yLabels = ticks.values.map { yFormat.tick($0, step: ticks.step, largest: largest) }
    let labelWidth = yLabels.map { SVGDocument.textWidth($0) }.max() ?? 0
    let left = 34 + labelWidth, right = width - 20
    let plotHeight = 220.0, bottom = top + plotHeight
    let (xLo, xHi) = xMax - xMin < 1e-12 ? (xMin - 1, xMax + 1) : (xMin, xMax)
    // A little air inside the frame so markers at the ends are not cut by the axes.
    let inset = 10.0
    func px(_ x: Double) -> Double {
      let f = (x - xLo) / (xHi - xLo)
      return left + inset + (xDescending ? 1 - f : f) * (right - left - 2 * inset)
    }
    func py(_ y: Double) -> Double {
      let clamped = min(max(y, ticks.lower), ticks.upper)
      return bottom - (clamped - ticks.lower) / (ticks.upper - ticks.lower) * plotHeight
    }

    for (t, label) in zip(ticks.values, yLabels) {
      doc.line(left, py(t), right, py(t), opacity: 0.14)
      doc.text(label, x: left - 8, y: py(t) + 4, anchor: .end)
    }
    for (x, label) in xTicks(xMin: xMin, xMax: xMax, left: left, right: right, px: px) {
      doc.line(px(x), top, px(x), bottom, opacity: 0.07)
      doc.line(px(x), bottom, px(x), bottom + 5, opacity: 0.55)
      doc.text(label, x: px(x), y: bottom + 19, anchor: .middle)
    }
    doc.line(left, top, left, bottom, opacity: 0.55)
    doc.line(left, bottom, right, bottom, opacity: 0.55)
    doc.text(xLabel, x: (left + right) / 2, y: bottom + 40, anchor: .middle, opacity: 0.8)
    doc.text(yLabel, x: 16, y: (top + bottom) / 2, anchor: .middle, opacity: 0.8, rotate: true)

    // Reference levels first (dashed, labelled at the right end, names sharing a level joined), then
    // every line, then every marker: no line is drawn over another series' marker.
    var levels: [(y: Double, names: [String])] = []
    for (s, y) in plan.references {
      doc.line(left, py(y), right, py(y), stroke: ChartPalette.svgColor(s), width: 1.5, dash: "6 4")
      if let i = levels.firstIndex(where: { abs($0.y - py(y)) < 14 }) {
        if !levels[i].names.contains(series[s].name) { levels[i].names.append(series[s].name) }
      } else {
        levels.append((py(y), [series[s].name]))
      }
    }
    for level in levels {
      doc.text(level.names.joined(separator: ", "), x: right - 4, y: level.y - 5, anchor: .end, size: 12, opacity: 0.85)
    }
    for (s, line) in plan.lines.enumerated() where !line.isEmpty {
      doc.polyline(line.map { (px($0.x), py($0.y)) }, stroke: ChartPalette.svgColor(s))
    }
    // Error bars (± one standard deviation) under the markers, with short caps.
    for (s, line) in plan.lines.enumerated() {
      for p in line {
        guard let spread = p.spread, spread.isDrawable, spread > 0 else { continue }
        let (x, low, high) = (px(p.x), py(p.y - spread), py(p.y + spread))
        doc.line(x, low, x, high, stroke: ChartPalette.svgColor(s), width: 1.5)
        doc.line(x - 4, low, x + 4, low, stroke: ChartPalette.svgColor(s), width: 1.5)
        doc.line(x - 4, high, x + 4, high, stroke: ChartPalette.svgColor(s), width: 1.5)
      }
    }
    var placed: [(x: Double, y: Double)] = []
    for (s, line) in plan.lines.enumerated() {
      let every = max(1, Int((Double(line.count) / ((right - left) / 12)).rounded(.up)))
      for (i, p) in line.enumerated() where i % every == 0 || i == line.count - 1 {
        // A marker where another already is moves sideways (9, then 18 units) so both show.
        var x = px(p.x)
        let y = py(p.y)
        for offset in [0.0, 9, -9, 18, -18]
        where !placed.contains(where: { abs($0.x - (px(p.x) + offset)) < 8 && abs($0.y - y) < 8 }) {
          x = px(p.x) + offset
          break
        }
        placed.append((x, y))
        doc.marker(
          s, x: x, y: y,
          tooltip: "\(series[s].name): \(xLabel) \(xFormat.value(p.x)), \(yLabel) \(yFormat.value(p.y))"
            + (p.spread.map { " ± \(yFormat.value($0))" } ?? ""))
      }
    }

    var height = bottom + 52
    if !(series.count == 1 && series[0].name == yLabel) {
      let entries = legendEntries
      height += doc.legend(entries.map(\.name), x: left, y: bottom + 62, maxWidth: right - left) { doc, i, x, y in
        if entries[i].reference {
          doc.line(x - 12, y, x + 12, y, stroke: ChartPalette.svgColor(i), width: 1.5, dash: "6 4")
        } else {
          doc.line(x - 12, y, x + 12, y, stroke: ChartPalette.svgColor(i), width: 2)
          doc.marker(i, x: x, y: y, tooltip: series[i].name)
        }
      }
    }
    doc.height = height
    return doc.render(title: altText)
  }

  /// X ticks at every distinct x when their labels fit side by side, otherwise at round numbers.
  private func xTicks(xMin: Double, xMax: Double, left: Double, right: Double, px: (Double) -> Double)
    -> [(Double, String)]
  {
    let distinct = plan.xValues
    func fits(_ ticks: [(Double, String)]) -> Bool {
      let spans = ticks.map { (px($0.0), SVGDocument.textWidth($0.1) / 2 + 4) }.sorted { $0.0 < $1.0 }
      return zip(spans, spans.dropFirst()).allSatisfy { $0.0 + $0.1 <= $1.0 - $1.1 }
    }
    if distinct.count <= 24 {
      let ticks = distinct.map { ($0, xFormat.value($0)) }
      if fits(ticks) { return ticks }
    }
    let integers = distinct.allSatisfy { $0 == $0.rounded() }
    var intervals = max(1, Int((right - left) / 80))
    while true {
      let ticks = AxisTicks.nice(xMin, xMax, intervals: intervals, integers: integers)
      let largest = max(abs(xMin), abs(xMax))
      let inside = ticks.values.filter { $0 >= xMin - 1e-9 * abs(xMin) && $0 <= xMax + 1e-9 * abs(xMax) }
        .map { ($0, xFormat.tick($0, step: ticks.step, largest: largest)) }
      if fits(inside) || intervals == 1 { return inside }
      intervals -= 1
    }
  }
}
