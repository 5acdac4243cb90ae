import QatOutput
import QatsLanguage

/// Inline Markdown (`**bold**`, `*italic*`, `` `code` ``, `[text](url)`, `\` escapes) to HTML.
///
/// Works on an array of Characters with explicit ranges. Each search for a closing delimiter
/// that fails disables that delimiter for the rest of the range (no later opener can succeed
/// either), so unbalanced input stays close to linear instead of quadratic.
enum InlineMarkdown {
  static func html(_ text: String) -> String {
    let chars = Array(text)
    return render(chars, 0..<chars.count, links: true)
  }

  private static func render(_ c: [Character], _ range: Range<Int>, links: Bool) -> String {
    var out = ""
    var pending = ""  // plain text not yet escaped
    var boldPossible = true
    var italicPossible = true
    var i = range.lowerBound
    let end = range.upperBound

    func emit(_ html: String) {
      out += HTMLEscaping.escape(pending)
      pending = ""
      out += html
    }

    while i < end {
      let ch = c[i]
      if ch == "\\", i + 1 < end, c[i + 1].isASCII, c[i + 1].isPunctuation || c[i + 1].isSymbol {
        pending.append(c[i + 1])
        i += 2
      } else if ch == "`" {
        let run = runLength(c, at: i, end: end)
        if let close = findBacktickRun(c, length: run, from: i + run, end: end) {
          emit("<code>" + HTMLEscaping.escape(codeContent(c, (i + run)..<close)) + "</code>")
          i = close + run
        } else {
          pending += String(repeating: "`", count: run)
          i += run
        }
      } else if ch == "*", boldPossible, i + 2 < end, c[i + 1] == "*", !c[i + 2].isWhitespace {
        if let close = findStarCloser(c, bold: true, from: i + 3, end: end) {
          emit("<strong>" + render(c, (i + 2)..<close, links: links) + "</strong>")
          i = close + 2
        } else {
          boldPossible = false
          pending.append(ch)
          i += 1
        }
      } else if ch == "*", italicPossible, i + 1 < end, c[i + 1] != "*", !c[i + 1].isWhitespace {
        if let close = findStarCloser(c, bold: false, from: i + 2, end: end) {
          emit("<em>" + render(c, (i + 1)..<close, links: links) + "</em>")
          i = close + 1
        } else {
          italicPossible = false
          pending.append(ch)
          i += 1
        }
      } else if ch == "[", links, let link = parseLink(c, at: i, end: end) {
        if MarkdownLite.isSafeURL(link.url) {
          let label = render(c, link.text, links: false)  // links do not nest
          emit("<a href=\"\(HTMLEscaping.escape(link.url))\">\(label)</a>")
        } else {
          // Shown as written, so the reader sees why it is not a link.
          pending += String(c[i..<link.end])
        }
        i = link.end
      } else {
        pending.append(ch)
        i += 1
      }
    }
    emit("")
    return out
  }

  private static func runLength(_ c: [Character], at start: Int, end: Int) -> Int {
    var j = start
    while j < end, c[j] == c[start] { j += 1 }
    return j - start
  }

  /// The start of the next run of exactly `length` backticks at or after `from`.
  private static func findBacktickRun(_ c: [Character], length: Int, from: Int, end: Int) -> Int? {
    var j = from
    while j < end {
      guard c[j] == "`" else {
        j += 1
        continue
      }
      let run = runLength(c, at: j, end: end)
      if run == length { return j }
      j += run
    }
    return nil
  }

  /// Code span content: newlines become spaces, and one space is stripped from each side when
  /// both are there (so `` `` `x` `` `` can show backticks), as in CommonMark.
  private static func codeContent(_ c: [Character], _ range: Range<Int>) -> String {
    var text = String(c[range]).map { $0 == "\n" || $0 == "\r\n" ? " " : $0 }
    if text.count >= 2, text.first == " ", text.last == " ", text.contains(where: { $0 != " " }) {
      text = Array(text.dropFirst().dropLast())
    }
    return String(text)
  }

  /// Where the closing `**` (bold) or `*` (italic) starts, looking at runs of stars that follow
  /// a non-space character. A run of two closes only bold; a bold closer is the last two stars
  /// of its run, so `***x***` nests as bold around italic. Code spans are skipped.
  private static func findStarCloser(_ c: [Character], bold: Bool, from: Int, end: Int) -> Int? {
    var j = from
    while j < end {
      if c[j] == "`" {
        let run = runLength(c, at: j, end: end)
        j = (findBacktickRun(c, length: run, from: j + run, end: end)).map { $0 + run } ?? j + run
        continue
      }
      guard c[j] == "*" else {
        j += 1
        continue
      }
      let run = runLength(c, at: j, end: end)
      if !c[j - 1].isWhitespace {
        if bold && run >= 2 { return j + run - 2 }
        if !bold && run != 2 { return j + run - 1 }
      }
      j += run
    }
    return nil
  }

  /// `[text](url)` starting at `start`: the text's range, the URL (surrounding spaces trimmed)
  /// and the index just past `)`. Nil when the shape does not match, so `[` stays literal.
  private static func parseLink(_ c: [Character], at start: Int, end: Int)
    -> (text: Range<Int>, url: String, end: Int)?
  {
    var j = start + 1
    while j < end, c[j] != "]" {
      if c[j] == "[" || c[j] == "\n" { return nil }
      j += 1
    }
    guard j + 1 < end, c[j + 1] == "(" else { return nil }
    let textRange = (start + 1)..<j
    var k = j + 2
    while k < end, c[k] != ")" {
      if c[k] == "(" || c[k] == "\n" { return nil }
      k += 1
    }
    guard k < end else { return nil }
    let url = String(c[(j + 2)..<k]).trimmingCharacters(inSet: " \t")
    return (textRange, url, k + 1)
  }
}

extension String {
  fileprivate func trimmingCharacters(inSet set: String) -> String {
    let head = drop { set.contains($0) }
    return String(head.reversed().drop { set.contains($0) }.reversed())
  }
}
