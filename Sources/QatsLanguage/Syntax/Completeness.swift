/// Decides whether typed text is a whole cell yet, so the REPL keeps reading continuation lines
/// while brackets or strings are open, or a line ends in an operator.
public enum Completeness {
  /// True when `text` needs more lines before it can be parsed.
  public static func needsMoreInput(_ text: String) -> Bool {
    let source = Source(name: "<input>", text: text)
    var lexer = Lexer(source: source)
    let tokens = lexer.tokenize()
    if lexer.errors.contains(where: { $0.message.hasPrefix("unterminated string") }) { return true }
    var depth = 0
    for t in tokens {
      switch t.kind {
      case .symbol(.lparen), .symbol(.lbracket), .symbol(.lbrace): depth += 1
      case .symbol(.rparen), .symbol(.rbracket), .symbol(.rbrace): depth -= 1
      default: break
      }
    }
    if depth > 0 { return true }
    // A line that ends in a binary operator, a comma or `=` continues on the next line.
    let meaningful = tokens.reversed().first { t in
      switch t.kind {
      case .newline, .end: return false
      default: return true
      }
    }
    guard let last = meaningful?.kind else { return false }
    switch last {
    case .symbol(let s):
      return [
        .plus, .minus, .star, .slash, .slashSlash, .percent, .power, .comma, .assign, .plusAssign,
        .minusAssign, .timesAssign, .divideAssign, .equal, .notEqual, .less, .lessEqual, .greater,
        .greaterEqual, .dot,
      ].contains(s)
    case .keyword(let k): return [.and, .or, .not, .else].contains(k)
    default:
      return text.hasSuffix("\\\n") || text.hasSuffix("\\")
    }
  }
}
