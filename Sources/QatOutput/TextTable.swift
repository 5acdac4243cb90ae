/// A table of text cells that renders as aligned columns in the terminal, a pipe table in
/// Markdown and a `<table>` in HTML. Numeric columns are right-aligned.
public struct TextTable: Renderable, Sendable {
  public var title: String?
  public var headers: [String]
  public var rows: [[String]]
  /// Per column: true to right-align (numbers).
  public var rightAligned: [Bool]
  /// A last row set apart (totals).
  public var footer: [String]?

  public init(
    title: String? = nil, headers: [String], rows: [[String]] = [], rightAligned: [Bool]? = nil, footer: [String]? = nil
  ) {
    self.title = title
    self.headers = headers
    self.rows = rows
    self.rightAligned = rightAligned ?? headers.map { _ in false }
    self.footer = footer
  }

  public func render(_ format: RenderFormat) -> String {
    let all = [headers] + rows + (footer.map { [$0] } ?? [])
    let columns = headers.count
    func cell(_ row: [String], _ c: Int) -> String { c < row.count ? row[c] : "" }
    func right(_ c: Int) -> Bool { c < rightAligned.count && rightAligned[c] }
    switch format {
    case .text:
      let widths = (0..<columns).map { c in all.map { cell($0, c).count }.max() ?? 0 }
      func line(_ row: [String]) -> String {
        var parts: [String] = []
        for c in 0..<columns {
          let text = cell(row, c), pad = String(repeating: " ", count: widths[c] - text.count)
          parts.append(right(c) ? pad + text : text + pad)
        }
        var text = "  " + parts.joined(separator: "  ")
        while text.hasSuffix(" ") { text.removeLast() }
        return text
      }
      var lines = title.map { [$0] } ?? []
      lines.append(line(headers))
      lines += rows.map(line)
      if let footer { lines.append(line(footer)) }
      return lines.joined(separator: "\n")
    case .markdown:
      func escape(_ s: String) -> String { s.replacingOccurrences(of: "|", with: "\\|") }
      var lines = title.map { [$0, ""] } ?? []
      lines.append("| " + headers.map(escape).joined(separator: " | ") + " |")
      lines.append("|" + (0..<columns).map { right($0) ? "--:" : "---" }.joined(separator: "|") + "|")
      for row in rows + (footer.map { [$0] } ?? []) {
        lines.append("| " + (0..<columns).map { escape(cell(row, $0)) }.joined(separator: " | ") + " |")
      }
      return lines.joined(separator: "\n")
    case .html:
      func td(_ tag: String, _ text: String, _ c: Int) -> String {
        "<\(tag)\(right(c) ? " class=\"num\"" : "")>\(HTMLEscaping.escape(text))</\(tag)>"
      }
      var html = title.map { "<p>" + HTMLEscaping.escape($0) + "</p>" } ?? ""
      html +=
        "<table><thead><tr>" + headers.enumerated().map { td("th", $0.element, $0.offset) }.joined()
        + "</tr></thead><tbody>"
      for row in rows { html += "<tr>" + (0..<columns).map { td("td", cell(row, $0), $0) }.joined() + "</tr>" }
      if let footer {
        html += "<tr class=\"total\">" + (0..<columns).map { td("td", cell(footer, $0), $0) }.joined() + "</tr>"
      }
      return html + "</tbody></table>"
    }
  }
}
