extension BarChart {
  /// The SVG drawing: one horizontal bar per label, values in a right-aligned column after the
  /// bars, notes after them; negative values grow left from a zero line in the alert colour.
  func svgDocument() -> String {
    var (doc, top) = SVGDocument.chart(title: title)
    let width = doc.width
    guard !bars.isEmpty else { return doc.empty("(no bars)", top: top, alt: altText) }

    let values = bars.map { format.value($0.value) }
    let valueWidth = values.map { SVGDocument.textWidth($0) }.max() ?? 0
    // Labels take at most 30 % of the width and notes 25 %, so bars keep room to be compared.
    let maxLabelChars = Int(width * 0.3 / (SVGDocument.fontSize * 0.6))
    let labels = bars.map { $0.label.truncated(to: maxLabelChars) }
    let labelWidth = labels.map { SVGDocument.textWidth($0) }.max() ?? 0
    let maxNoteChars = Int(width * 0.25 / (SVGDocument.fontSize * 0.6))
    let notes = bars.map { $0.note?.truncated(to: maxNoteChars) }
    let noteWidth = notes.compactMap { $0.map { SVGDocument.textWidth($0) } }.max() ?? 0
    let barLeft = 16 + labelWidth + 12
    let barRight = width - 16 - (noteWidth > 0 ? noteWidth + 14 : 0) - valueWidth - 10
    let finite = bars.map(\.value).filter(\.isDrawable)
    let positive = max(0, finite.max() ?? 0), negative = max(0, -(finite.min() ?? 0))
    let span = positive + negative
    let zero = span > 0 ? barLeft + (barRight - barLeft) * negative / span : barLeft
    func px(_ v: Double) -> Double { span > 0 ? zero + v / span * (barRight - barLeft) : zero }

    doc.text(valueLabel, x: barRight + 10 + valueWidth, y: top + 10, anchor: .end, opacity: 0.8)
    let rowHeight = 26.0, first = top + 22
    for (i, bar) in bars.enumerated() {
      let y = first + Double(i) * rowHeight
      doc.text(labels[i], x: barLeft - 10, y: y + 13, anchor: .end)
      if bar.value.isDrawable && bar.value != 0 {
        let end = px(bar.value)
        doc.rect(
          min(zero, end), y + 2, max(1.5, abs(end - zero)), rowHeight - 8,
          fill: bar.value < 0 ? ChartPalette.alertSVG : ChartPalette.svgColor(0),
          tooltip: "\(bar.label): \(values[i])" + (bar.note.map { " (\($0))" } ?? ""))
      }
      doc.text(values[i], x: barRight + 10 + valueWidth, y: y + 13, anchor: .end)
      if let note = notes[i] { doc.text(note, x: barRight + 24 + valueWidth, y: y + 13, opacity: 0.7) }
    }
    let last = first + Double(bars.count) * rowHeight
    doc.line(zero, first - 4, zero, last - 2, opacity: 0.55)
    doc.height = last + 10
    return doc.render(title: altText)
  }
}
