import Foundation

extension Interpreter {
  func unary(_ op: UnaryOperator, _ v: Value, at location: SourceLocation) throws -> Value {
    switch (op, v) {
    case (.negate, .int(let i)):
      guard i != Int.min else { throw overflow("-", at: location) }
      return .int(-i)
    case (.negate, .float(let d)): return .float(-d)
    case (.plus, .int), (.plus, .float): return v
    case (.not, .bool(let b)): return .bool(!b)
    default:
      throw QatsError(.runtime, "`\(op.rawValue)` does not apply to \(v.typeName)", at: location)
    }
  }

  func overflow(_ op: String, at location: SourceLocation) -> QatsError {
    QatsError(
      .runtime, "integer overflow in `\(op)`: the result does not fit in 64 bits", at: location,
      hint: "use floats for very large values, e.g. `2.0 ** 70`")
  }

  /// Caps the length of strings (in characters) and lists built by `*`, `+` and `append`, so a typo
  /// or a runaway loop (`s = s + s`) fails with an error instead of exhausting memory.
  static let maxRepeatedLength = 10_000_000

  func binary(_ op: BinaryOperator, _ l: Value, _ r: Value, at location: SourceLocation) throws -> Value {
    switch op {
    case .equal: return .bool(l.isEqual(to: r))
    case .notEqual: return .bool(!l.isEqual(to: r))
    case .less, .lessEqual, .greater, .greaterEqual: return .bool(try compare(op, l, r, at: location))
    default: break
    }
    switch (l, r) {
    case (.int(let a), .int(let b)): return try integer(op, a, b, at: location)
    case (.int, .float), (.float, .int), (.float, .float):
      return try floating(op, l.number ?? 0, r.number ?? 0, at: location)
    case (.string(let a), .string(let b)) where op == .add:
      try checkJoinedLength(a, b, at: location)
      return .string(a + b)
    case (.list(let a), .list(let b)) where op == .add:
      try checkJoinedLength(a.count, b.count, what: "list", unit: "items", at: location)
      return .list(a + b)
    case (.string(let s), .int(let n)) where op == .multiply:
      try checkRepeatedLength(n, s.count, what: "string", unit: "characters", at: location)
      return .string(String(repeating: s, count: n))
    case (.list(let a), .int(let n)) where op == .multiply:
      try checkRepeatedLength(n, a.count, what: "list", unit: "items", at: location)
      return .list(Array([[Value]](repeating: a, count: n).joined()))
    default:
      var hint: String?
      if case .string = l, r.number != nil { hint = "convert with `str(x)` to join text and numbers" }
      if case .string = r, l.number != nil { hint = "convert with `str(x)` to join text and numbers" }
      throw QatsError(
        .runtime, "`\(op.rawValue)` does not apply to \(l.typeName) and \(r.typeName)", at: location, hint: hint)
    }
  }

  /// Refuses `n` copies of something `count` long when the result would exceed `maxRepeatedLength`.
  func checkRepeatedLength(_ n: Int, _ count: Int, what: String, unit: String, at location: SourceLocation) throws {
    let (total, overflow) = n.multipliedReportingOverflow(by: max(1, count))
    guard n >= 0, !overflow, total <= Interpreter.maxRepeatedLength else {
      throw QatsError(
        .runtime, "cannot repeat a \(what) \(n) times", at: location,
        hint: "\(what)s are limited to \(Interpreter.maxRepeatedLength) \(unit)")
    }
  }

  /// Refuses joining two things `a` and `b` long when the result would exceed `maxRepeatedLength`.
  func checkJoinedLength(_ a: Int, _ b: Int, what: String, unit: String, at location: SourceLocation) throws {
    let (total, overflow) = a.addingReportingOverflow(b)
    guard !overflow, total <= Interpreter.maxRepeatedLength else {
      let limit = Interpreter.maxRepeatedLength
      throw QatsError(
        .runtime, "`+` would make a \(what) of \(overflow ? Int.max : total) \(unit); the limit is \(limit)",
        at: location, hint: "the limit keeps a runaway loop such as `s = s + s` from exhausting memory")
    }
  }

  /// `checkJoinedLength` for strings, counted in characters. The UTF-8 length is an upper bound known
  /// at once, so characters are only counted for very long strings.
  func checkJoinedLength(_ a: String, _ b: String, at location: SourceLocation) throws {
    let (bytes, overflow) = a.utf8.count.addingReportingOverflow(b.utf8.count)
    if !overflow && bytes <= Interpreter.maxRepeatedLength { return }
    try checkJoinedLength(a.count, b.count, what: "string", unit: "characters", at: location)
  }

  func integer(_ op: BinaryOperator, _ a: Int, _ b: Int, at location: SourceLocation) throws -> Value {
    switch op {
    case .add:
      let (v, o) = a.addingReportingOverflow(b); if o { throw overflow("+", at: location) }; return .int(v)
    case .subtract:
      let (v, o) = a.subtractingReportingOverflow(b); if o { throw overflow("-", at: location) }; return .int(v)
    case .multiply:
      let (v, o) = a.multipliedReportingOverflow(by: b); if o { throw overflow("*", at: location) }; return .int(v)
    case .divide:
      guard b != 0 else { throw divisionByZero(at: location) }
      return .float(Double(a) / Double(b))
    case .floorDivide, .modulo:
      guard b != 0 else { throw divisionByZero(at: location) }
      guard !(a == Int.min && b == -1) else { throw overflow(op.rawValue, at: location) }
      var q = a / b, m = a % b
      if m != 0 && ((m < 0) != (b < 0)) { q -= 1; m += b }  // floor semantics, as in Python
      return .int(op == .modulo ? m : q)
    case .power:
      if b < 0 { return .float(Foundation.pow(Double(a), Double(b))) }
      var result = 1, base = a, e = b
      while e > 0 {
        if e & 1 == 1 {
          let (v, o) = result.multipliedReportingOverflow(by: base); if o { throw overflow("**", at: location) }
          result = v
        }
        e >>= 1
        if e > 0 {
          let (v, o) = base.multipliedReportingOverflow(by: base); if o { throw overflow("**", at: location) }
          base = v
        }
      }
      return .int(result)
    default: return .none
    }
  }

  func floating(_ op: BinaryOperator, _ a: Double, _ b: Double, at location: SourceLocation) throws -> Value {
    switch op {
    case .add: return .float(a + b)
    case .subtract: return .float(a - b)
    case .multiply: return .float(a * b)
    case .divide:
      guard b != 0 else { throw divisionByZero(at: location) }
      return .float(a / b)
    case .floorDivide:
      guard b != 0 else { throw divisionByZero(at: location) }
      return .float((a / b).rounded(.down))
    case .modulo:
      guard b != 0 else { throw divisionByZero(at: location) }
      let m = a.truncatingRemainder(dividingBy: b)
      return .float(m != 0 && (m < 0) != (b < 0) ? m + b : m)
    case .power: return .float(Foundation.pow(a, b))
    default: return .none
    }
  }

  func divisionByZero(at location: SourceLocation) -> QatsError {
    QatsError(.runtime, "division by zero", at: location)
  }

  func compare(_ op: BinaryOperator, _ l: Value, _ r: Value, at location: SourceLocation) throws -> Bool {
    let order: Int
    switch (l, r) {
    case (.int(let a), .int(let b)): order = a < b ? -1 : (a > b ? 1 : 0)
    case (.string(let a), .string(let b)): order = a < b ? -1 : (a > b ? 1 : 0)
    default:
      guard let a = l.number, let b = r.number else {
        throw QatsError(
          .runtime, "cannot compare \(l.typeName) with \(r.typeName) using `\(op.rawValue)`", at: location)
      }
      if a.isNaN || b.isNaN { return false }
      order = a < b ? -1 : (a > b ? 1 : 0)
    }
    switch op {
    case .less: return order < 0
    case .lessEqual: return order <= 0
    case .greater: return order > 0
    default: return order >= 0
    }
  }
}
