import QatSupport
extension Parser {
  mutating func statement() throws -> Stmt {
    let start = current.location
    func made(_ kind: Stmt.Kind) -> Stmt { Stmt(kind: kind, location: start, end: previousEnd) }

    switch current.kind {
    case .narrative(let text):
      advance()
      return made(.narrative(text))
    case .keyword(.fn):
      if case .identifier = peekKind(1) {
        return made(.function(try functionDecl(named: true)))
      }
    case .keyword(.return):
      advance()
      switch current.kind {
      case .newline, .end, .symbol(.semicolon), .symbol(.rbrace): return made(.returnValue(nil))
      default: return made(.returnValue(try expression()))
      }
    case .keyword(.if): return try ifStatement()
    case .keyword(.for):
      advance()
      let (name, _) = try expectIdentifier("a loop variable name after `for`")
      guard isKeyword(.in) else { throw fail("expected `in` after `for \(name)`, found \(current.display)") }
      advance()
      let iterable = try header { try $0.expression() }
      let body = try block("to start the loop body")
      return made(.forIn(variable: name, iterable: iterable, body: body))
    case .keyword(.while):
      advance()
      let condition = try header { try $0.expression() }
      let body = try block("to start the loop body")
      return made(.whileLoop(condition: condition, body: body))
    case .keyword(.break): advance(); return made(.breakLoop)
    case .keyword(.continue): advance(); return made(.continueLoop)
    case .keyword(.else):
      throw fail(
        "`else` without an `if` before it", hint: "put `else` on the same line as the `}` that closes the `if`")
    case .identifier("mode"):
      if let s = try modeStatement() { return s }
    default: break
    }

    let expr = try expression()
    if let compound = assignmentOperator() {
      switch expr.kind {
      case .identifier, .member, .index: break
      default:
        throw fail(
          "cannot assign to this expression; the left of `=` must be a name, `a.b` or `a[i]`", at: expr.location)
      }
      advance()
      skipNewlines()
      let value = try expression()
      return made(.assign(target: expr, compound: compound, value: value))
    }
    return made(.expression(expr))
  }

  /// `mode ptq`, `mode qat`, or a bare `mode`. Returns nil when `mode` is used as an ordinary name.
  mutating func modeStatement() throws -> Stmt? {
    let start = current.location
    switch peekKind(1) {
    case .newline, .end, .symbol(.semicolon):
      advance()
      return Stmt(kind: .mode(nil), location: start, end: previousEnd)
    case .identifier(let word) where !tokens[min(p + 1, tokens.count - 1)].atLineStart:
      advance()
      let wordLocation = current.location
      advance()
      guard word == "ptq" || word == "qat" else {
        let guess = Suggest.nearest(to: word, in: ["ptq", "qat"])
        throw fail(
          "unknown mode `\(word)`: expected `ptq` or `qat`", at: wordLocation,
          hint: guess.map { "did you mean `\($0)`?" })
      }
      return Stmt(kind: .mode(word), location: start, end: previousEnd)
    default:
      return nil
    }
  }

  /// nil when the current token is not an assignment; `.some(nil)` for `=`; `.some(op)` for `op=`.
  func assignmentOperator() -> BinaryOperator?? {
    switch current.kind {
    case .symbol(.assign): return .some(nil)
    case .symbol(.plusAssign): return .add
    case .symbol(.minusAssign): return .subtract
    case .symbol(.timesAssign): return .multiply
    case .symbol(.divideAssign): return .divide
    default: return nil
    }
  }

  mutating func ifStatement() throws -> Stmt {
    let start = current.location
    advance()  // `if`
    let condition = try header { try $0.expression() }
    let then = try block("to start the `if` body")
    var otherwise: Block?
    if isKeyword(.else) {
      advance()
      if isKeyword(.if) {
        let elseStart = current.location
        let nestedIf = try nested { try $0.ifStatement() }
        otherwise = Block(statements: [nestedIf], location: elseStart, end: nestedIf.end)
      } else {
        otherwise = try block("after `else`")
      }
    }
    return Stmt(
      kind: .ifElse(condition: condition, then: then, otherwise: otherwise), location: start, end: previousEnd)
  }

  /// Parses an `if`/`while`/`for` header, where a `{` begins the body rather than a block argument.
  mutating func header<T>(_ body: (inout Parser) throws -> T) throws -> T {
    let saved = allowTrailingBlock
    allowTrailingBlock = false
    defer { allowTrailingBlock = saved }
    return try body(&self)
  }

  /// `{ statements }`; newlines and `;` separate statements inside.
  mutating func block(_ purpose: String) throws -> Block {
    try nested { parser in
      let open = try parser.expect(.lbrace, purpose)
      let saved = parser.allowTrailingBlock
      parser.allowTrailingBlock = true
      defer { parser.allowTrailingBlock = saved }
      var statements: [Stmt] = []
      while true {
        parser.skipSeparators()
        if parser.isSymbol(.rbrace) { break }
        if case .end = parser.current.kind {
          throw parser.fail(
            "expected `}` to close the block opened at line \(open.location.line), found the end of the input",
            at: open.location)
        }
        if let s = parser.recovering({ try $0.statement() }) { statements.append(s) }
        if parser.errors.count >= Parser.maxErrors { throw Failure() }
      }
      parser.advance()  // `}`
      return Block(statements: statements, location: open.location, end: parser.previousEnd)
    }
  }

  /// `fn name(a, b) { … }` (named) or `fn(a, b) { … }` (anonymous).
  mutating func functionDecl(named: Bool) throws -> FunctionDecl {
    let start = current.location
    advance()  // `fn`
    var name: String?
    if named { name = try expectIdentifier("a function name after `fn`").0 }
    try expect(.lparen, "after the function name")
    var parameters: [String] = []
    skipNewlines()
    while !isSymbol(.rparen) {
      let (param, loc) = try expectIdentifier("a parameter name")
      if parameters.contains(param) { throw fail("parameter `\(param)` is listed twice", at: loc) }
      parameters.append(param)
      skipNewlines()
      if isSymbol(.comma) {
        advance(); skipNewlines()
      } else if !isSymbol(.rparen) {
        throw fail("expected `,` or `)` in the parameter list, found \(current.display)")
      }
    }
    advance()  // `)`
    let body = try block("to start the function body")
    return FunctionDecl(name: name, parameters: parameters, body: body, location: start)
  }
}
