import QatOutput
import QatsLanguage

/// Colours `.qats` source for an HTML report: keywords, strings, numbers and comments become
/// `<span class="tok-…">` around HTML-escaped text.
///
/// It reads the source with the language's own `Lexer`, so what is coloured a string is exactly
/// what the interpreter reads as one (escapes, both quote kinds, an unterminated string up to the
/// end). Comments never reach the lexer's tokens, so they are found in the text between tokens,
/// where a `#` can only start a comment.
enum CodeHighlighter {
  /// The CSS class for each kind of token that is coloured; everything else stays plain.
  enum Style: String {
    case keyword = "tok-kw"
    case string = "tok-str"
    case number = "tok-num"
    case comment = "tok-com"
  }

  /// `source` as HTML: every character escaped, coloured tokens wrapped in spans. The text is
  /// unchanged apart from escaping and the spans, so `<pre>` shows it exactly as typed.
  static func html(_ source: String) -> String {
    let text = Source(name: "", text: source)
    let scalars = text.scalars
    // The lexer recurses once per rejected character; the large stack keeps a cell of a hundred
    // thousand stray characters from overflowing the report writer's stack.
    let tokens = LargeStack.run {
      var lexer = Lexer(source: text)
      return lexer.tokenize()
    }
    var out = ""
    var cursor = 0
    for token in tokens {
      // Clamped so that no lexer recovery quirk can make a range run backwards or off the end.
      let start = min(max(token.location.offset, cursor), scalars.count)
      let end = min(max(token.end, start), scalars.count)
      out += gap(scalars[cursor..<start])
      let piece = escaped(scalars[start..<end])
      if let style = style(of: token.kind), !piece.isEmpty {
        out += "<span class=\"\(style.rawValue)\">" + piece + "</span>"
      } else {
        out += piece
      }
      cursor = end
    }
    out += gap(scalars[cursor...])
    return out
  }

  private static func style(of kind: TokenKind) -> Style? {
    switch kind {
    case .keyword: return .keyword
    case .string: return .string
    case .integer, .float: return .number
    case .narrative: return .comment
    case .identifier, .symbol, .newline, .end: return nil
    }
  }

  /// Text the lexer skipped: blanks, line continuations, comments and characters it rejected.
  /// A `#` here always starts a comment that runs to the end of its line.
  private static func gap(_ scalars: ArraySlice<Unicode.Scalar>) -> String {
    var out = ""
    var index = scalars.startIndex
    while index < scalars.endIndex {
      guard scalars[index] == "#" else {
        let next = scalars[index...].firstIndex(of: "#") ?? scalars.endIndex
        out += escaped(scalars[index..<next])
        index = next
        continue
      }
      let end = scalars[index...].firstIndex(of: "\n") ?? scalars.endIndex
      out += "<span class=\"\(Style.comment.rawValue)\">" + escaped(scalars[index..<end]) + "</span>"
      index = end
    }
    return out
  }

  private static func escaped(_ scalars: ArraySlice<Unicode.Scalar>) -> String {
    var view = String.UnicodeScalarView()
    view.append(contentsOf: scalars)
    return HTMLEscaping.escape(String(view))
  }
}
