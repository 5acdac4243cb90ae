extension Interpreter {
  /// The value of `text` when it is a plain variable path — a name followed by `.member` and
  /// `[literal]` steps (`net.layers[0]`, `d.test[-1]`, `cfg["bits"]`) — else nil.
  ///
  /// Tab completion uses it to list the members after an index. Nothing else is evaluated: a
  /// call, an operator or a computed index anywhere in the path gives nil, so completing never
  /// runs user code, trains, prints or changes a variable. Errors (an index out of range, a
  /// missing member) also give nil.
  public func plainPathValue(_ text: String) -> Value? {
    let source = Source(name: "<completion>", text: text)
    guard let statements = try? Parser.parse(source), statements.count == 1,
      case .expression(let expression) = statements[0].kind
    else { return nil }
    return plainValue(of: expression)
  }

  private func plainValue(of expression: Expr) -> Value? {
    switch expression.kind {
    case .identifier(let name):
      if let value = globals.lookup(name) { return value }
      return (try? sessionNames?(name, expression.location)) ?? nil
    case .member(let base, let name):
      guard let value = plainValue(of: base) else { return nil }
      return try? member(name, of: value, at: expression.location)
    case .index(let base, let key):
      guard let value = plainValue(of: base), let literal = Self.literalKey(key) else { return nil }
      return try? index(value, literal, at: expression.location)
    default:
      return nil
    }
  }

  /// An index written as a literal: an integer (optionally negated) or a string.
  private static func literalKey(_ key: Expr) -> Value? {
    switch key.kind {
    case .integer(let i): return .int(i)
    case .string(let s): return .string(s)
    case .unary(.negate, let inner):
      guard case .integer(let i) = inner.kind, i != Int.min else { return nil }
      return .int(-i)
    default: return nil
    }
  }
}
