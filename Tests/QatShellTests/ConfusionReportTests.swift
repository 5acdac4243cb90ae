import Foundation
import QatShell
import Testing

/// `evaluate(…, confusion: true)` in an HTML report: cells shaded by their share of the row.
@Suite struct ConfusionReportTests {
  let digits = repoRoot.appendingPathComponent("samples/digits").path

  @Test func confusionMatrixCellsAreShadedByTheirShareOfTheRow() throws {
    let s = CapturedSession()
    // Untrained, so the predictions spread over several columns: both kinds of cell occur.
    s.input("d = images(\"\(digits)\")", "m = model(d) { flatten(); dense(10) }", "evaluate(m, d, confusion: true)")
    let html = HTMLReport.render(s.session.notebook, generator: "g")
    #expect(reportTagProblems(html) == [])
    let start = try #require(html.range(of: "<table class=\"confusion\">")).upperBound
    let end = try #require(html.range(of: "</table>", range: start..<html.endIndex)).lowerBound
    let table = String(html[start..<end])
    let header = "<thead><tr><th>true \\ predicted</th>" + (0...9).map { "<th class=\"num\">\($0)</th>" }.joined()
    #expect(table.hasPrefix(header + "</tr></thead><tbody>"))
    let rows = table.components(separatedBy: "<tr><th scope=\"row\">").dropFirst()
    #expect(rows.count == 10)
    var shaded = (diagonal: 0, off: 0)
    var images = 0
    for (row, text) in rows.enumerated() {
      #expect(text.hasPrefix("\(row)</th><td"))
      let cells = text.components(separatedBy: "<td ").dropFirst().map { piece in
        "<td " + (piece.range(of: "</td>").map { String(piece[..<$0.upperBound]) } ?? piece)
      }
      #expect(cells.count == 10)
      let counts = try cells.map { cell in
        let open = try #require(cell.firstIndex(of: ">"))
        let close = try #require(cell.range(of: "</td>")).lowerBound
        return try #require(Int(cell[cell.index(after: open)..<close]))
      }
      let total = counts.reduce(0, +)
      images += total
      for (column, (cell, count)) in zip(cells, counts).enumerated() {
        let kind = row == column ? "diag" : "off"
        if count == 0 {
          #expect(cell == "<td class=\"num \(kind)\">0</td>")
          continue
        }
        let alpha = ((0.08 + 0.52 * Double(count) / Double(total)) * 100).rounded() / 100
        let rgb = row == column ? "46, 160, 67" : "218, 54, 51"
        let percent = String(format: "%.2f %%", Double(count) / Double(total) * 100)
        #expect(
          cell
            == "<td class=\"num \(kind)\" style=\"background: rgba(\(rgb), \(alpha))\" "
            + "title=\"\(count) of \(total) (\(percent))\">\(count)</td>")
        if row == column { shaded.diagonal += 1 } else { shaded.off += 1 }
      }
    }
    #expect(images == 360)
    #expect(shaded.diagonal > 0 && shaded.off > 0)
    // The terminal and Markdown keep the plain table.
    #expect(s.input("evaluate(m, d, confusion: true)").contains("true \\ predicted"))
    #expect(MarkdownReport.render(s.session.notebook, generator: "g").contains("| true \\ predicted |"))
  }
}
