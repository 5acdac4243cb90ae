import QatSupport
extension HistogramChart {
  /// The SVG drawing: one bar per bin, the clipped regions shaded and their bars in the alert
  /// colour, dashed lines at the clip ends, a tick under the axis at every quantization level
  /// (or a note when they are too dense), and a key with the share of values clipped.
  func svgDocument() -> String {
    var (doc, top) = SVGDocument.chart(title: title)
    let width = doc.width
    guard !counts.isEmpty, lower.isDrawable, upper.isDrawable, upper > lower else {
      return doc.empty("(no values to show)", top: top, alt: altText)
    }

    let ticks = AxisTicks.nice(0, Double(counts.max() ?? 0), intervals: 4, integers: true)
    let top1 = max(ticks.upper, 1)
    let yLabels = ticks.values.map { AxisFormat.number.tick($0, step: ticks.step, largest: ticks.upper) }
    let left = 34 + (yLabels.map { SVGDocument.textWidth($0) }.max() ?? 0), right = width - 20
    let plotHeight = 200.0, bottom = top + plotHeight
    func px(_ x: Double) -> Double { left + (x - lower) / (upper - lower) * (right - left) }
    func py(_ c: Double) -> Double { bottom - c / top1 * plotHeight }

    if let clipRange {
      // Shade what the grid cannot represent: those values are clipped to the nearest end.
      for (a, b) in [(lower, clipRange.lowerBound), (clipRange.upperBound, upper)] where b > a {
        let x0 = px(max(a, lower)), x1 = px(min(b, upper))
        guard x1 > x0 else { continue }
        doc.rect(x0, top, x1 - x0, plotHeight, fill: "currentColor", opacity: 0.07)
        if x1 - x0 > SVGDocument.textWidth("clipped") * 0.9 {  // the estimate is generous
          doc.text("clipped", x: (x0 + x1) / 2, y: top + 14, anchor: .middle, opacity: 0.7)
        }
      }
    }
    for (t, label) in zip(ticks.values, yLabels) {
      doc.line(left, py(t), right, py(t), opacity: 0.14)
      doc.text(label, x: left - 8, y: py(t) + 4, anchor: .end)
    }
    let binWidth = (upper - lower) / Double(counts.count)
    for (i, count) in counts.enumerated() where count > 0 {
      // Edges snapped to zero, so a bin ending at 0 does not read "−5.6e-17".
      let a = snapped(lower + Double(i) * binWidth), b = snapped(lower + Double(i + 1) * binWidth)
      let outside = clipRange.map { !$0.contains((a + b) / 2) } ?? false
      doc.rect(
        px(a), py(Double(count)), max(0.6, px(b) - px(a) - (counts.count <= 120 ? 1 : 0)), bottom - py(Double(count)),
        fill: outside ? ChartPalette.alertSVG : ChartPalette.svgColor(0),
        tooltip: "\(AxisFormat.compact(a)) … \(AxisFormat.compact(b)): \(count)")
    }
    doc.line(left, top, left, bottom, opacity: 0.55)
    doc.line(left, bottom, right, bottom, opacity: 0.55)
    if let clipRange {
      for end in [clipRange.lowerBound, clipRange.upperBound] where end >= lower && end <= upper {
        doc.line(px(end), top, px(end), bottom, stroke: ChartPalette.alertSVG, width: 1.5, dash: "4 3")
      }
    }

    let visible = levels.filter { $0 >= lower && $0 <= upper }
    let tooDense = Double(visible.count) > (right - left) / 3
    if !tooDense {
      for level in visible { doc.line(px(level), bottom + 2, px(level), bottom + 9, opacity: 0.8) }
    }
    var edges = [(lower, TextAnchorEdge.start), (upper, .end)]
    if let clipRange {
      edges += [clipRange.lowerBound, clipRange.upperBound].filter { $0 > lower && $0 < upper }.map { ($0, .middle) }
    }
    var placed: [(Double, Double)] = []
    for (x, edge) in edges {
      let text = AxisFormat.compact(x), w = SVGDocument.textWidth(text)
      let start = edge == .start ? px(x) : edge == .end ? px(x) - w : px(x) - w / 2
      if placed.contains(where: { start < $0.1 + 6 && $0.0 < start + w + 6 }) { continue }
      placed.append((start, start + w))
      doc.text(text, x: start, y: bottom + 24)
    }
    doc.text(valueLabel, x: (left + right) / 2, y: bottom + 44, anchor: .middle, opacity: 0.8)
    doc.text("count", x: 16, y: (top + bottom) / 2, anchor: .middle, opacity: 0.8, rotate: true)

    var key: [String] = []
    if tooDense {
      key.append("\(levels.count) levels (too dense to mark)")
    } else if !levels.isEmpty {
      key.append("\(levels.count) quantization \(levels.count == 1 ? "level" : "levels")")
    }
    if let share = clippedShare() { key.append("clipped: " + Units.percent(share) + " of values") }
    // Each span (another range for the same values) on a row of its own, labelled at its right end.
    for (i, span) in spans.enumerated() where span.lower.isDrawable && span.upper.isDrawable {
      let y = bottom + 62 + 16 * Double(i)
      let x0 = px(max(lower, span.lower)), x1 = px(min(upper, span.upper))
      doc.line(x0, y, x1, y, stroke: ChartPalette.svgColor(0), width: 2)
      for x in [x0, x1] { doc.line(x, y - 4, x, y + 4, stroke: ChartPalette.svgColor(0), width: 1.5) }
      doc.text(span.name, x: x1 + 6, y: y + 4)
    }
    var height = bottom + 56 + 16 * Double(spans.count)
    height += doc.legend(key, x: left, y: height + 10, maxWidth: right - left) { doc, i, x, y in
      if key[i].hasPrefix("clipped") {
        doc.rect(x - 6, y - 6, 12, 12, fill: ChartPalette.alertSVG)
      } else if !tooDense {
        doc.line(x, y - 6, x, y + 6, opacity: 0.8)
      }
    }
    doc.height = height
    return doc.render(title: altText)
  }

  private enum TextAnchorEdge { case start, middle, end }

  private func snapped(_ x: Double) -> Double { abs(x) < 1e-9 * (upper - lower) ? 0 : x }
}
