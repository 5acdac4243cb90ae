import QatOutput
import QatSupport

extension EvaluationValue {
  /// The confusion matrix as an HTML table whose cells are shaded by their share of the row (the
  /// images of that true class): the diagonal in green, mistakes in red, so a glance shows which
  /// classes are confused with which, whatever the class sizes. Each cell's `title` gives the
  /// share as a percentage; the count stays the cell's text.
  func confusionHTML(_ confusion: [[Int]]) -> String {
    var html = "<p>" + HTMLEscaping.escape(summary + " · confusion (rows: true class, columns: predicted)") + "</p>"
    html += "<table class=\"confusion\"><thead><tr><th>true \\ predicted</th>"
    for name in classes { html += "<th class=\"num\">" + HTMLEscaping.escape(name) + "</th>" }
    html += "</tr></thead><tbody>"
    for (row, counts) in confusion.enumerated() {
      let name = classes.indices.contains(row) ? classes[row] : "\(row)"
      // Wrapping sum: counts are image counts, far from overflow, but nothing here may trap.
      let total = counts.reduce(0, &+)
      html += "<tr><th scope=\"row\">" + HTMLEscaping.escape(name) + "</th>"
      for (column, count) in counts.enumerated() {
        html += Self.shadedCell(count: count, rowTotal: total, diagonal: row == column)
      }
      html += "</tr>"
    }
    return html + "</tbody></table>"
  }

  /// One `<td>`: a zero stays unshaded so the eye finds the non-zero cells; any other count is at
  /// least faintly tinted, and a whole row in one cell is at most 60 % opaque so the number stays
  /// readable in light and dark mode.
  static func shadedCell(count: Int, rowTotal: Int, diagonal: Bool) -> String {
    let kind = diagonal ? "diag" : "off"
    guard count > 0, rowTotal > 0 else {
      return "<td class=\"num \(kind)\">\(count)</td>"
    }
    let share = min(1, Double(count) / Double(rowTotal))
    let alpha = ((0.08 + 0.52 * share) * 100).rounded() / 100
    let rgb = diagonal ? "46, 160, 67" : "218, 54, 51"
    let percent = Units.percent(share)
    return "<td class=\"num \(kind)\" style=\"background: rgba(\(rgb), \(alpha))\" "
      + "title=\"\(count) of \(rowTotal) (\(HTMLEscaping.escape(percent)))\">\(count)</td>"
  }
}
