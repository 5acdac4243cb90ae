import QatOutput
import QatsLanguage

/// A small, safe Markdown-to-HTML converter for notebook narrative.
///
/// Blocks: ATX headings (`#` to `######`), paragraphs, `- `/`* `/`+ ` bullet lists, `1. ` numbered
/// lists, fenced code blocks (```` ``` ```` or `~~~`, any longer fence too), `---` rules and GFM
/// pipe tables (`MarkdownTable`).
/// Inline: `**bold**`, `*italic*`, `` `code` ``, `[text](url)` and backslash escapes.
/// Everything else is shown as escaped text: raw HTML is never passed through, and a link is kept
/// only for http, https and relative URLs, so narrative from a script cannot run code in a report.
public enum MarkdownLite {
  /// Converts `markdown` to an HTML fragment.
  /// - Parameters:
  ///   - markdown: the Markdown source; `\n`, `\r\n` and `\r` all end lines.
  ///   - headingOffset: added to each heading level (capped at 6), so a report whose title is
  ///     the `<h1>` can show the narrative's `#` as `<h2>`.
  /// - Returns: block-level HTML, one block per line.
  public static func html(_ markdown: String, headingOffset: Int = 0) -> String {
    var blocks = BlockBuilder(headingOffset: max(0, headingOffset))
    let lines = markdown.split(omittingEmptySubsequences: false) {
      $0 == "\n" || $0 == "\r\n" || $0 == "\r"
    }.map(String.init)
    var index = 0
    while index < lines.count {
      let line = lines[index]
      index += 1
      if let fence = Fence(opening: line) {
        var body: [String] = []
        while index < lines.count, !fence.isClosed(by: lines[index]) {
          body.append(lines[index])
          index += 1
        }
        index += 1  // the closing fence; an unclosed fence runs to the end, as in CommonMark
        blocks.code(body, language: fence.language)
      } else if let (table, next) = MarkdownTable.parse(lines, at: index - 1) {
        blocks.table(table)
        index = next
      } else {
        blocks.line(line)
      }
    }
    return blocks.finish()
  }

  /// Whether `url` may become an `href`: http, https or a relative reference.
  ///
  /// Rejects any other scheme (`javascript:`, `data:`, `file:`…), protocol-relative `//host`,
  /// and URLs with spaces, control characters or backslashes (browsers read `\` as `/`).
  public static func isSafeURL(_ url: String) -> Bool {
    if url.isEmpty || url.hasPrefix("//") { return false }
    if url.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value == 0x7F || $0 == "\\" }) {
      return false
    }
    if let colon = url.firstIndex(of: ":") {
      let beforeColon = url[..<colon]
      // A colon after the first `/`, `?` or `#` is part of a path or query, not a scheme.
      if !beforeColon.contains(where: { $0 == "/" || $0 == "?" || $0 == "#" }) {
        let scheme = beforeColon.lowercased()
        return scheme == "http" || scheme == "https"
      }
    }
    return true
  }
}

/// An opening code fence and what closes it.
private struct Fence {
  let marker: Character
  let length: Int
  let language: String

  init?(opening line: String) {
    let rest = line.dropLeadingSpaces(upTo: 3)
    guard let first = rest.first, first == "`" || first == "~" else { return nil }
    let run = rest.prefix { $0 == first }.count
    guard run >= 3 else { return nil }
    let info = rest.dropFirst(run)
    // A backtick fence's info string may not hold backticks; otherwise it is inline code.
    if first == "`" && info.contains("`") { return nil }
    marker = first
    length = run
    let word = info.split(whereSeparator: \.isWhitespace).first ?? ""
    language = String(word.filter { $0.isLetter || $0.isNumber || "+-_.#".contains($0) })
  }

  func isClosed(by line: String) -> Bool {
    let rest = line.dropLeadingSpaces(upTo: 3)
    let run = rest.prefix { $0 == marker }.count
    return run >= length && rest.dropFirst(run).allSatisfy(\.isWhitespace)
  }
}

/// Accumulates blocks line by line: paragraphs and lists stay open until something ends them.
private struct BlockBuilder {
  let headingOffset: Int
  private var html: [String] = []
  private var paragraph: [String] = []
  private var listOrdered = false
  private var listStart = 1
  private var items: [String] = []

  init(headingOffset: Int) { self.headingOffset = headingOffset }

  mutating func line(_ line: String) {
    let rest = line.dropLeadingSpaces(upTo: 3)
    if rest.allSatisfy(\.isWhitespace) {
      closeAll()
    } else if let (level, text) = Self.heading(rest) {
      closeAll()
      let tag = "h\(min(level + headingOffset, 6))"
      html.append("<\(tag)>\(InlineMarkdown.html(text))</\(tag)>")
    } else if Self.isRule(rest) {
      closeAll()
      html.append("<hr>")
    } else if let (ordered, start, text) = Self.listItem(rest) {
      closeParagraph()
      if !items.isEmpty && ordered != listOrdered { closeList() }
      if items.isEmpty {
        listOrdered = ordered
        listStart = start
      }
      items.append(text)
    } else if !items.isEmpty {
      // Indented or lazy continuation of the last item, as when a long item is wrapped.
      items[items.count - 1] += "\n" + line.trimmingLeadingWhitespace()
    } else {
      paragraph.append(line.trimmingLeadingWhitespace())
    }
  }

  mutating func code(_ body: [String], language: String) {
    closeAll()
    let attribute = language.isEmpty ? "" : " class=\"language-\(HTMLEscaping.escape(language))\""
    let text = body.joined(separator: "\n")
    html.append("<pre><code\(attribute)>\(HTMLEscaping.escape(text))</code></pre>")
  }

  /// A table interrupts a paragraph or list, as on GitHub.
  mutating func table(_ table: MarkdownTable) {
    closeAll()
    html.append(table.html)
  }

  mutating func finish() -> String {
    closeAll()
    return html.joined(separator: "\n")
  }

  private mutating func closeAll() {
    closeParagraph()
    closeList()
  }

  private mutating func closeParagraph() {
    guard !paragraph.isEmpty else { return }
    html.append("<p>\(InlineMarkdown.html(paragraph.joined(separator: "\n")))</p>")
    paragraph.removeAll()
  }

  private mutating func closeList() {
    guard !items.isEmpty else { return }
    let open = listOrdered ? (listStart == 1 ? "<ol>" : "<ol start=\"\(listStart)\">") : "<ul>"
    html.append(open)
    for item in items { html.append("<li>\(InlineMarkdown.html(item))</li>") }
    html.append(listOrdered ? "</ol>" : "</ul>")
    items.removeAll()
  }

  /// `# Title` → (1, "Title"); a closing run of `#` is dropped; `#tag` is not a heading.
  private static func heading(_ line: Substring) -> (Int, String)? {
    let level = line.prefix { $0 == "#" }.count
    guard (1...6).contains(level) else { return nil }
    let after = line.dropFirst(level)
    guard after.isEmpty || after.first?.isWhitespace == true else { return nil }
    var text = after.trimmingWhitespace()
    let closing = text.reversed().prefix { $0 == "#" }.count
    if closing == text.count {
      text = ""
    } else if closing > 0, text.dropLast(closing).last?.isWhitespace == true {
      text = text.dropLast(closing).trimmingWhitespace()
    }
    return (level, text)
  }

  /// `---`, `***` or `___` (spaces allowed between), three or more.
  private static func isRule(_ line: Substring) -> Bool {
    let marks = line.filter { !$0.isWhitespace }
    guard let first = marks.first, "-*_".contains(first), marks.count >= 3 else { return false }
    return marks.allSatisfy { $0 == first }
  }

  /// `- text`, `* text`, `+ text` → unordered; `12. text` or `12) text` → ordered from 12.
  private static func listItem(_ line: Substring) -> (Bool, Int, String)? {
    if let first = line.first, "-*+".contains(first) {
      let after = line.dropFirst()
      guard after.first == " " || after.first == "\t" else { return nil }
      return (false, 1, after.trimmingWhitespace())
    }
    let digits = line.prefix { $0.isASCII && $0.isNumber }
    guard (1...9).contains(digits.count), let start = Int(digits) else { return nil }
    let after = line.dropFirst(digits.count)
    guard after.first == "." || after.first == ")" else { return nil }
    let text = after.dropFirst()
    guard text.first == " " || text.first == "\t" else { return nil }
    return (true, start, text.trimmingWhitespace())
  }
}

extension StringProtocol {
  /// Drops at most `limit` leading spaces (Markdown allows up to three before a block marker).
  fileprivate func dropLeadingSpaces(upTo limit: Int) -> SubSequence {
    let spaces = prefix { $0 == " " }.count
    return dropFirst(Swift.min(spaces, limit))
  }

  fileprivate func trimmingLeadingWhitespace() -> String {
    String(drop { $0.isWhitespace })
  }

  fileprivate func trimmingWhitespace() -> String {
    let head = drop { $0.isWhitespace }
    return String(head.reversed().drop { $0.isWhitespace }.reversed())
  }
}
