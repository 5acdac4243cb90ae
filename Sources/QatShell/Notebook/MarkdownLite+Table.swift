import QatOutput

/// A GitHub-flavoured Markdown pipe table in narrative:
///
///     | bits | accuracy |
///     |-----:|:--------:|
///     | 8    | 98.6 %   |
///
/// A header row, then a delimiter row with as many cells (`---`, `:--`, `--:`, `:-:` for left,
/// right and centred), then body rows up to the first blank line or line without a `|`. Body rows
/// with too few cells are padded and extra cells dropped, as GitHub does. Cells hold inline
/// Markdown, escaped like every other narrative text.
struct MarkdownTable {
  enum Alignment { case none, left, center, right }

  let header: [String]
  let alignments: [Alignment]
  var rows: [[String]] = []

  /// The table starting at `lines[index]`, and the index of the first line after it; nil when
  /// `lines[index]` and the line after it do not open a table.
  static func parse(_ lines: [String], at index: Int) -> (table: MarkdownTable, next: Int)? {
    guard index + 1 < lines.count, let header = cells(lines[index]),
      let alignments = delimiter(lines[index + 1]), header.count == alignments.count
    else { return nil }
    var table = MarkdownTable(header: header, alignments: alignments)
    var next = index + 2
    while next < lines.count, let row = cells(lines[next]) {
      let fitted = Array(row.prefix(header.count)) + Array(repeating: "", count: max(0, header.count - row.count))
      table.rows.append(fitted)
      next += 1
    }
    return (table, next)
  }

  /// The table as HTML, alignment as a `text-align` style (the report's CSP allows inline styles).
  var html: String {
    func cell(_ tag: String, _ text: String, _ column: Int) -> String {
      let style: String
      switch alignments[column] {
      case .none: style = ""
      case .left: style = " style=\"text-align: left\""
      case .center: style = " style=\"text-align: center\""
      case .right: style = " style=\"text-align: right\""
      }
      return "<\(tag)\(style)>\(InlineMarkdown.html(text))</\(tag)>"
    }
    var lines = ["<table>", "<thead>"]
    lines.append("<tr>" + header.indices.map { cell("th", header[$0], $0) }.joined() + "</tr>")
    lines.append("</thead>")
    if !rows.isEmpty {
      lines.append("<tbody>")
      for row in rows { lines.append("<tr>" + row.indices.map { cell("td", row[$0], $0) }.joined() + "</tr>") }
      lines.append("</tbody>")
    }
    lines.append("</table>")
    return lines.joined(separator: "\n")
  }

  /// A row's cells, trimmed, or nil when `line` is blank, indented as code or has no unescaped `|`.
  /// The outer pipes are optional; `\|` stays in the cell (the inline pass shows it as `|`).
  static func cells(_ line: String) -> [String]? {
    let indent = line.prefix { $0 == " " }.count
    guard indent <= 3 else { return nil }
    var cells: [String] = []
    var current = ""
    var sawPipe = false
    var escaped = false
    for ch in line.dropFirst(indent) {
      if escaped {
        current.append(ch)
        escaped = false
      } else if ch == "\\" {
        current.append(ch)
        escaped = true
      } else if ch == "|" {
        sawPipe = true
        cells.append(current)
        current = ""
      } else {
        current.append(ch)
      }
    }
    guard sawPipe else { return nil }
    cells.append(current)
    var trimmed = cells.map { String($0.drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed()) }
    // A leading or trailing pipe closes no cell of its own.
    if trimmed.first == "" { trimmed.removeFirst() }
    // An empty last cell means only blanks follow the last unescaped pipe: a trailing pipe.
    if trimmed.last == "" { trimmed.removeLast() }
    return trimmed.isEmpty ? nil : trimmed
  }

  /// The alignments of a delimiter row such as `|:---|---:|`, or nil if `line` is not one.
  static func delimiter(_ line: String) -> [Alignment]? {
    guard let cells = cells(line) else { return nil }
    var alignments: [Alignment] = []
    for cell in cells {
      let left = cell.hasPrefix(":"), right = cell.hasSuffix(":")
      let dashes = cell.dropFirst(left ? 1 : 0).dropLast(right && cell.count > 1 ? 1 : 0)
      guard !dashes.isEmpty, dashes.allSatisfy({ $0 == "-" }) else { return nil }
      alignments.append(left && right ? .center : left ? .left : right ? .right : .none)
    }
    return alignments
  }
}
