/// The kinds of tokens the lexer produces.
public enum TokenKind: Equatable, Sendable {
  case identifier(String)
  case integer(Int)
  case float(Double)
  case string(String)
  /// A `##` line: Markdown narrative, text after `## `.
  case narrative(String)
  case keyword(Keyword)
  case symbol(Symbol)
  case newline
  case end
}

/// Reserved words.
public enum Keyword: String, CaseIterable, Sendable {
  case fn, `return`, `if`, `else`, `for`, `in`, `while`, `break`, `continue`
  case `true`, `false`, `nil`, and, or, not
}

/// Punctuation and operators.
public enum Symbol: String, CaseIterable, Sendable {
  case lparen = "(", rparen = ")", lbracket = "[", rbracket = "]", lbrace = "{", rbrace = "}"
  case comma = ",", colon = ":", dot = ".", semicolon = ";"
  case assign = "=", plusAssign = "+=", minusAssign = "-=", timesAssign = "*=", divideAssign = "/="
  case plus = "+", minus = "-", star = "*", slash = "/", slashSlash = "//", percent = "%", power = "**"
  case equal = "==", notEqual = "!=", less = "<", lessEqual = "<=", greater = ">", greaterEqual = ">="
}

/// One token with the location of its first character.
public struct Token: Sendable {
  public let kind: TokenKind
  public let location: SourceLocation
  /// Offset just past the token's last character.
  public let end: Int
  /// True when a newline (or the start of the source) came right before this token.
  public let atLineStart: Bool

  /// How the token reads in an error message ("`)`", "end of input", "a newline").
  public var display: String {
    switch kind {
    case .identifier(let n): return "`\(n)`"
    case .integer(let v): return "`\(v)`"
    case .float(let v): return "`\(v)`"
    case .string: return "a string"
    case .narrative: return "a `##` narrative line"
    case .keyword(let k): return "`\(k.rawValue)`"
    case .symbol(let s): return "`\(s.rawValue)`"
    case .newline: return "the end of the line"
    case .end: return "the end of the input"
    }
  }
}
