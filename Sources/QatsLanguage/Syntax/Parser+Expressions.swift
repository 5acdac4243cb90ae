extension Parser {
  mutating func expression() throws -> Expr {
    try nested { try $0.orExpr() }
  }

  mutating func orExpr() throws -> Expr {
    try chain(next: { try $0.andExpr() }) { p in p.isKeyword(.or) ? { .logical(isAnd: false, $0, $1) } : nil }
  }

  mutating func andExpr() throws -> Expr {
    try chain(next: { try $0.notExpr() }) { p in p.isKeyword(.and) ? { .logical(isAnd: true, $0, $1) } : nil }
  }

  mutating func notExpr() throws -> Expr {
    if isKeyword(.not) {
      let loc = current.location
      advance()
      return Expr(.unary(.not, try nested { try $0.notExpr() }), at: loc)
    }
    return try comparison()
  }

  mutating func comparison() throws -> Expr {
    try binaryChain([.equal, .notEqual, .less, .lessEqual, .greater, .greaterEqual]) { try $0.additive() }
  }

  mutating func additive() throws -> Expr {
    try binaryChain([.add, .subtract]) { try $0.multiplicative() }
  }

  mutating func multiplicative() throws -> Expr {
    try binaryChain([.multiply, .divide, .floorDivide, .modulo]) { try $0.unary() }
  }

  mutating func binaryChain(_ operators: [BinaryOperator], next: (inout Parser) throws -> Expr) throws -> Expr {
    try chain(next: next) { p in p.binaryOperator(operators).map { op in { .binary(op, $0, $1) } } }
  }

  /// A left-associative chain `a op b op c`. Each operator deepens the (left-deep) tree, so long
  /// chains count toward the depth limit; a line may continue after an operator.
  mutating func chain(
    next: (inout Parser) throws -> Expr, node: (Parser) -> ((Expr, Expr) -> Expr.Kind)?
  ) throws -> Expr {
    let savedDepth = depth
    defer { depth = savedDepth }
    var left = try next(&self)
    while let make = node(self) {
      let loc = current.location
      try deepen()
      advance(); skipNewlines()
      left = Expr(make(left, try next(&self)), at: loc)
    }
    return left
  }

  mutating func unary() throws -> Expr {
    if isSymbol(.minus) || isSymbol(.plus) {
      let loc = current.location
      let op: UnaryOperator = isSymbol(.minus) ? .negate : .plus
      advance()
      let operand = try nested { try $0.unary() }
      // Fold `-5` into a literal so that `-9223372036854775808` style edge cases and printing stay simple.
      if op == .negate, case .float(let v) = operand.kind { return Expr(.float(-v), at: loc) }
      if op == .negate, case .integer(let v) = operand.kind, v != Int.min { return Expr(.integer(-v), at: loc) }
      return Expr(.unary(op, operand), at: loc)
    }
    return try power()
  }

  /// `**` binds tighter than unary minus on its left and is right-associative: `-2 ** 2 == -4`.
  mutating func power() throws -> Expr {
    let base = try postfix()
    if isSymbol(.power) {
      let loc = current.location
      advance(); skipNewlines()
      return Expr(.binary(.power, base, try nested { try $0.unary() }), at: loc)
    }
    return base
  }

  func binaryOperator(_ allowed: [BinaryOperator]) -> BinaryOperator? {
    guard case .symbol(let s) = current.kind, let op = BinaryOperator(rawValue: s.rawValue) else { return nil }
    return allowed.contains(op) ? op : nil
  }

  mutating func postfix() throws -> Expr {
    var expr = try primary()
    while true {
      if isSymbol(.lparen), !current.atLineStart {
        let loc = current.location
        let arguments = try argumentList()
        let block = try trailingBlock()
        expr = Expr(.call(callee: expr, arguments: arguments, block: block), at: loc)
      } else if isSymbol(.dot) {
        advance()
        let (name, loc) = try expectIdentifier("a member name after `.`")
        expr = Expr(.member(expr, name: name), at: loc)
      } else if isSymbol(.lbracket), !current.atLineStart {
        let loc = current.location
        advance(); skipNewlines()
        let index = try inBrackets { try $0.expression() }
        skipNewlines()
        try expect(.rbracket, "to close the index")
        expr = Expr(.index(expr, index), at: loc)
      } else if case .identifier = expr.kind, isSymbol(.lbrace), allowTrailingBlock, !current.atLineStart,
        let block = try trailingBlock()
      {
        // `name { … }`: a call with no arguments and a block.
        expr = Expr(.call(callee: expr, arguments: [], block: block), at: block.location)
      } else {
        return expr
      }
    }
  }

  /// A `{ … }` block right after a call, on the same line, handed to the callee.
  mutating func trailingBlock() throws -> Block? {
    guard allowTrailingBlock, isSymbol(.lbrace), !current.atLineStart else { return nil }
    return try block("to start the block")
  }

  /// Inside `()` and `[]`, newlines are layout and blocks may follow calls again.
  mutating func inBrackets<T>(_ body: (inout Parser) throws -> T) throws -> T {
    let saved = allowTrailingBlock
    allowTrailingBlock = true
    defer { allowTrailingBlock = saved }
    return try nested(body)
  }

  mutating func argumentList() throws -> [Argument] {
    let open = try expect(.lparen, "")
    return try inBrackets { parser in
      var arguments: [Argument] = []
      var labels = Set<String>()
      parser.skipNewlines()
      while !parser.isSymbol(.rparen) {
        if case .end = parser.current.kind {
          throw parser.fail("expected `)` to close the call opened at line \(open.location.line)", at: open.location)
        }
        var label: String?, labelLocation: SourceLocation?
        if case .identifier(let name) = parser.current.kind, case .symbol(.colon) = parser.peekKind(1) {
          if labels.contains(name) { throw parser.fail("argument `\(name)` is given twice") }
          labels.insert(name)
          label = name
          labelLocation = parser.current.location
          parser.advance(); parser.advance()
          parser.skipNewlines()
        } else if !labels.isEmpty {
          throw parser.fail("a positional argument cannot follow keyword arguments")
        }
        arguments.append(Argument(label: label, labelLocation: labelLocation, value: try parser.expression()))
        parser.skipNewlines()
        if case .end = parser.current.kind {
          throw parser.fail("expected `)` to close the call opened at line \(open.location.line)", at: open.location)
        }
        if parser.isSymbol(.comma) {
          parser.advance(); parser.skipNewlines()
        } else if !parser.isSymbol(.rparen) {
          throw parser.fail("expected `,` or `)` in the argument list, found \(parser.current.display)")
        }
      }
      parser.advance()  // `)`
      return arguments
    }
  }

  mutating func primary() throws -> Expr {
    let t = current
    let loc = t.location
    switch t.kind {
    case .integer(let v): advance(); return Expr(.integer(v), at: loc)
    case .float(let v): advance(); return Expr(.float(v), at: loc)
    case .string(let v): advance(); return Expr(.string(v), at: loc)
    case .keyword(.true): advance(); return Expr(.bool(true), at: loc)
    case .keyword(.false): advance(); return Expr(.bool(false), at: loc)
    case .keyword(.nil): advance(); return Expr(.nilLiteral, at: loc)
    case .identifier(let name): advance(); return Expr(.identifier(name), at: loc)
    case .keyword(.fn): return Expr(.function(try functionDecl(named: false)), at: loc)
    case .symbol(.lparen):
      advance()
      let inner = try inBrackets { p -> Expr in
        p.skipNewlines()
        let e = try p.expression()
        p.skipNewlines()
        return e
      }
      try expect(.rparen, "to close the parenthesis opened at line \(loc.line)")
      return inner
    case .symbol(.lbracket): return try listLiteral()
    case .symbol(.lbrace): return try recordLiteral()
    case .end, .newline:
      throw fail("expected an expression, found \(t.display)")
    default:
      throw fail("expected an expression, found \(t.display)")
    }
  }

  mutating func listLiteral() throws -> Expr {
    let open = current
    advance()
    return try inBrackets { p in
      var items: [Expr] = []
      p.skipNewlines()
      while !p.isSymbol(.rbracket) {
        if case .end = p.current.kind {
          throw p.fail("expected `]` to close the list opened at line \(open.location.line)", at: open.location)
        }
        items.append(try p.expression())
        p.skipNewlines()
        if case .end = p.current.kind {
          throw p.fail("expected `]` to close the list opened at line \(open.location.line)", at: open.location)
        }
        if p.isSymbol(.comma) {
          p.advance(); p.skipNewlines()
        } else if !p.isSymbol(.rbracket) {
          throw p.fail("expected `,` or `]` in the list, found \(p.current.display)")
        }
      }
      p.advance()
      return Expr(.list(items), at: open.location)
    }
  }

  mutating func recordLiteral() throws -> Expr {
    let open = current
    advance()
    return try inBrackets { p in
      var fields: [RecordField] = []
      p.skipNewlines()
      while !p.isSymbol(.rbrace) {
        if case .end = p.current.kind {
          throw p.fail("expected `}` to close the record opened at line \(open.location.line)", at: open.location)
        }
        let keyLocation = p.current.location
        let key: String
        switch p.current.kind {
        case .identifier(let k), .string(let k): key = k
        case .keyword(let k): key = k.rawValue
        default:
          throw p.fail(
            "expected a field name in the record, found \(p.current.display)",
            hint: "records look like `{bits: 4, per_channel: true}`")
        }
        if fields.contains(where: { $0.key == key }) { throw p.fail("field `\(key)` is given twice", at: keyLocation) }
        p.advance()
        try p.expect(.colon, "after the field name `\(key)`")
        p.skipNewlines()
        fields.append(RecordField(key: key, keyLocation: keyLocation, value: try p.expression()))
        p.skipNewlines()
        if case .end = p.current.kind {
          throw p.fail("expected `}` to close the record opened at line \(open.location.line)", at: open.location)
        }
        if p.isSymbol(.comma) {
          p.advance(); p.skipNewlines()
        } else if !p.isSymbol(.rbrace) {
          throw p.fail("expected `,` or `}` in the record, found \(p.current.display)")
        }
      }
      p.advance()
      return Expr(.record(fields), at: open.location)
    }
  }
}
