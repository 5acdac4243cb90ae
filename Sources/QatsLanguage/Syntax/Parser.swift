/// Recursive-descent parser for qats. One method per grammar rule (docs/language.md has the grammar).
///
/// Error recovery: a statement that fails to parse is recorded and skipped up to the next newline or
/// `;`, so one cell reports all of its syntax errors.
public struct Parser {
  /// Thrown inside the parser to abandon the current statement; never escapes `parseProgram`.
  struct Failure: Error {}

  /// Deepest allowed syntax tree: nesting plus operators chained in one expression (`1 + 1 + …` is a
  /// left-deep tree). Deeper trees would overflow the stack when evaluated, so they are errors.
  static let maxDepth = 200
  static let maxErrors = 20

  var tokens: [Token]
  var p = 0
  var errors: [QatsError] = []
  var depth = 0
  /// False while parsing an `if`/`while`/`for` header, where `x {` starts the body, not a block argument.
  var allowTrailingBlock = true

  public init(source: Source) {
    var lexer = Lexer(source: source)
    tokens = lexer.tokenize()
    errors = lexer.errors
  }

  /// Parses a whole script or cell. Throws `QatsErrors` with every syntax error found.
  public static func parse(_ source: Source) throws -> [Stmt] {
    var parser = Parser(source: source)
    let statements = parser.parseProgram()
    if !parser.errors.isEmpty { throw QatsErrors(Array(parser.errors.prefix(maxErrors))) }
    return statements
  }

  mutating func parseProgram() -> [Stmt] {
    var statements: [Stmt] = []
    while true {
      skipSeparators()
      if case .end = current.kind { break }
      if case .symbol(.rbrace) = current.kind {
        fail("unexpected `}` with no matching `{`")
        advance()
        continue
      }
      if let s = recovering({ try $0.statement() }) { statements.append(s) }
      if errors.count >= Parser.maxErrors { break }
    }
    return statements
  }

  /// Runs `body`; on failure skips to the next statement boundary and returns nil.
  mutating func recovering(_ body: (inout Parser) throws -> Stmt) -> Stmt? {
    let saved = (depth, allowTrailingBlock)
    do {
      let s = try body(&self)
      try expectStatementEnd()
      return s
    } catch {
      (depth, allowTrailingBlock) = saved
      synchronize()
      return nil
    }
  }

  mutating func synchronize() {
    var nesting = 0
    while true {
      switch current.kind {
      case .end: return
      case .newline, .symbol(.semicolon): if nesting <= 0 { return }
      case .symbol(.lbrace), .symbol(.lparen), .symbol(.lbracket): nesting += 1
      case .symbol(.rbrace): if nesting <= 0 { return }; nesting -= 1
      case .symbol(.rparen), .symbol(.rbracket): nesting -= 1
      default: break
      }
      advance()
    }
  }

  // MARK: - Token helpers

  var current: Token { tokens[min(p, tokens.count - 1)] }
  func peekKind(_ k: Int) -> TokenKind { tokens[min(p + k, tokens.count - 1)].kind }

  mutating func advance() { if p < tokens.count - 1 { p += 1 } }

  mutating func skipNewlines() {
    while case .newline = current.kind { advance() }
  }

  mutating func skipSeparators() {
    while true {
      switch current.kind {
      case .newline, .symbol(.semicolon): advance()
      default: return
      }
    }
  }

  func isSymbol(_ s: Symbol) -> Bool {
    if case .symbol(s) = current.kind { return true }
    return false
  }

  func isKeyword(_ k: Keyword) -> Bool {
    if case .keyword(k) = current.kind { return true }
    return false
  }

  @discardableResult
  mutating func expect(_ s: Symbol, _ what: String) throws -> Token {
    guard isSymbol(s) else { throw fail("expected `\(s.rawValue)` \(what), found \(current.display)") }
    let t = current
    advance()
    return t
  }

  mutating func expectIdentifier(_ what: String) throws -> (String, SourceLocation) {
    guard case .identifier(let name) = current.kind else {
      var hint: String?
      if case .keyword(let k) = current.kind { hint = "`\(k.rawValue)` is a reserved word; pick another name" }
      throw fail("expected \(what), found \(current.display)", hint: hint)
    }
    let loc = current.location
    advance()
    return (name, loc)
  }

  mutating func expectStatementEnd() throws {
    switch current.kind {
    case .newline, .end, .symbol(.semicolon), .symbol(.rbrace): return
    default: throw fail("expected a newline or `;` after the statement, found \(current.display)")
    }
  }

  /// Records an error at the current token and returns the failure to throw.
  @discardableResult
  mutating func fail(_ message: String, at location: SourceLocation? = nil, hint: String? = nil) -> Failure {
    errors.append(QatsError(.syntax, message, at: location ?? current.location, hint: hint))
    return Failure()
  }

  /// Offset just past the previous token.
  var previousEnd: Int { p > 0 ? tokens[p - 1].end : 0 }

  /// Counts one more level of tree depth for an operator in a chain.
  mutating func deepen() throws {
    depth += 1
    if depth > Parser.maxDepth { throw tooDeep() }
  }

  mutating func tooDeep() -> Failure {
    fail(
      "expression is nested too deeply or chains too many operators (more than \(Parser.maxDepth) levels)",
      hint: "split it into smaller steps with variables")
  }

  mutating func nested<T>(_ body: (inout Parser) throws -> T) throws -> T {
    depth += 1
    defer { depth -= 1 }
    if depth > Parser.maxDepth { throw tooDeep() }
    return try body(&self)
  }
}
