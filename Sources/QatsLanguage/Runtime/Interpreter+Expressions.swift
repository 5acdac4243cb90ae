import QatSupport
extension Interpreter {
  /// Evaluates an expression in `env`.
  public func evaluate(_ expr: Expr, in env: Environment) throws -> Value {
    switch expr.kind {
    case .integer(let v): return .int(v)
    case .float(let v): return .float(v)
    case .string(let s): return .string(s)
    case .bool(let b): return .bool(b)
    case .nilLiteral: return .none
    case .identifier(let name): return try lookup(name, in: env, at: expr.location)
    case .list(let items):
      let values = try items.map { try evaluate($0, in: env) }
      try checkNesting(of: values, at: expr.location)
      return .list(values)
    case .record(let fields):
      var r = Record()
      for f in fields { r[f.key] = try evaluate(f.value, in: env) }
      try checkNesting(of: r.values, at: expr.location)
      return .record(r)
    case .unary(let op, let operand):
      return try unary(op, try evaluate(operand, in: env), at: expr.location)
    case .binary(let op, let l, let r):
      return try binary(op, try evaluate(l, in: env), try evaluate(r, in: env), at: expr.location)
    case .logical(let isAnd, let l, let r):
      let what = isAnd ? "`and`" : "`or`"
      let left = try truth(l, in: env, what: "the left side of \(what)")
      if isAnd ? !left : left { return .bool(left) }
      return .bool(try truth(r, in: env, what: "the right side of \(what)"))
    case .call(let calleeExpr, let arguments, let block):
      return try evaluateCall(calleeExpr, arguments, block, in: env, at: expr.location)
    case .member(let baseExpr, let name):
      return try member(name, of: try evaluate(baseExpr, in: env), at: expr.location)
    case .index(let baseExpr, let indexExpr):
      return try index(try evaluate(baseExpr, in: env), try evaluate(indexExpr, in: env), at: indexExpr.location)
    case .function(let decl):
      return .function(Function(.user(decl, captured: env)))
    }
  }

  /// Refuses a list or record of `items` that would nest deeper than `Value.maxDepth`.
  func checkNesting(of items: some Sequence<Value>, at location: SourceLocation) throws {
    let depth = 1 + items.reduce(0) { max($0, $1.depth) }
    if depth > Value.maxDepth { throw Value.tooDeep(depth, at: location) }
  }

  func lookup(_ name: String, in env: Environment, at location: SourceLocation) throws -> Value {
    if let v = env.lookup(name) { return v }
    if let v = try sessionNames?(name, location) { return v }
    if let b = registry.lookup(name) { return .function(Function(.builtin(b))) }
    var hint = Suggest.nearest(to: name, in: knownNames(in: env)).map { "did you mean `\($0)`?" }
    if name == "mode" { hint = "`mode ptq` / `mode qat` switch the quantization method; a bare `mode` shows it" }
    throw QatsError(.runtime, "unknown name `\(name)`", at: location, hint: hint)
  }

  func member(_ name: String, of base: Value, at location: SourceLocation) throws -> Value {
    switch base {
    case .record(let r):
      if let v = r[name] { return v }
      let hint =
        Suggest.nearest(to: name, in: r.keys).map { "did you mean `\($0)`?" }
        ?? (r.count == 0 ? "the record is empty" : "its fields are " + r.keys.map { "`\($0)`" }.joined(separator: ", "))
      throw QatsError(.runtime, "the record has no field `\(name)`", at: location, hint: hint)
    case .object(let o):
      if let v = try located(at: location, { try o.member(name) }) { return v }
      let hint =
        Suggest.nearest(to: name, in: o.memberNames).map { "did you mean `\($0)`?" }
        ?? (o.memberNames.isEmpty ? nil : "members: " + o.memberNames.map { "`\($0)`" }.joined(separator: ", "))
      throw QatsError(.runtime, "a \(o.typeName) has no member `\(name)`", at: location, hint: hint)
    default:
      throw QatsError(
        .runtime, "\(base.typeName) has no member `\(name)`", at: location,
        hint: base.typeName == "list" || base.typeName == "string" ? "use `len(x)` for the length" : nil)
    }
  }

  func index(_ base: Value, _ key: Value, at location: SourceLocation) throws -> Value {
    switch (base, key) {
    case (.list(let items), .int(let i)):
      return items[try listIndex(i, count: items.count, at: location)]
    case (.string(let s), .int(let i)):
      let chars = Array(s)
      return .string(String(chars[try listIndex(i, count: chars.count, at: location)]))
    case (.record(let r), .string(let k)):
      if let v = r[k] { return v }
      throw QatsError(
        .runtime, "the record has no field \(Value.quote(k))", at: location,
        hint: Suggest.nearest(to: k, in: r.keys).map { "did you mean \(Value.quote($0))?" })
    case (.object(let o), _):
      if let v = try located(at: location, { try o.index(key) }) { return v }
      throw QatsError(.runtime, "a \(o.typeName) cannot be indexed by \(key.typeName)", at: location)
    default:
      throw QatsError(
        .runtime, "cannot index \(base.typeName) with \(key.typeName)", at: location,
        hint: "lists and strings take integer indices, records take string keys")
    }
  }

  /// Runs a host object's accessor; an error it throws that is not already a qats error is
  /// reported at `location` (host objects do not know where in the script they were reached).
  func located<T>(at location: SourceLocation, _ body: () throws -> T) throws -> T {
    do {
      return try body()
    } catch let error as QatsError {
      throw error
    } catch {
      throw QatsError(.runtime, "\(error)", at: location)
    }
  }

  func evaluateCall(
    _ calleeExpr: Expr, _ arguments: [Argument], _ block: Block?, in env: Environment, at location: SourceLocation
  ) throws -> Value {
    let callee = try evaluate(calleeExpr, in: env)
    guard case .function(let function) = callee else {
      throw QatsError(.runtime, "\(callee.typeName) is not a function and cannot be called", at: calleeExpr.location)
    }
    var positional: [BuiltinRegistry.Bound] = []
    var keywords: [(String, BuiltinRegistry.Bound)] = []
    for a in arguments {
      let v = try evaluate(a.value, in: env)
      var name: String?
      if case .identifier(let n) = a.value.kind { name = n }
      if let label = a.label {
        keywords.append((label, .init(v, a.labelLocation ?? a.value.location, name: name)))
      } else {
        positional.append(.init(v, a.value.location, name: name))
      }
    }
    return try call(function, positional: positional, keywords: keywords, block: block, in: env, at: location)
  }

  /// Calls a function value: a built-in through the registry's checks, or a user function.
  public func call(
    _ function: Function, positional: [BuiltinRegistry.Bound], keywords: [(String, BuiltinRegistry.Bound)] = [],
    block: Block? = nil, in env: Environment? = nil, at location: SourceLocation
  ) throws -> Value {
    try checkInterrupt(at: location)
    switch function.body {
    case .builtin(let b):
      let bound = try registry.bind(
        b, positional: positional, keywords: keywords, block: block, interpreter: self,
        environment: env ?? globals, at: location)
      do {
        return try b.body(bound)
      } catch let e as QatsError {
        throw e.located(at: location)
      }
    case .user(let decl, let captured):
      return try callUser(
        decl, captured: captured, positional: positional, keywords: keywords, block: block, at: location)
    }
  }

  func callUser(
    _ decl: FunctionDecl, captured: Environment, positional: [BuiltinRegistry.Bound],
    keywords: [(String, BuiltinRegistry.Bound)], block: Block?, at location: SourceLocation
  ) throws -> Value {
    let name = decl.name ?? "fn"
    if let block { throw QatsError(.runtime, "`\(name)` does not take a `{ … }` block", at: block.location) }
    let params = decl.parameters
    guard positional.count <= params.count else {
      throw QatsError(
        .runtime,
        """
        `\(name)` takes \(params.count) argument\(params.count == 1 ? "" : "s") \
        (\(params.joined(separator: ", "))), got \(positional.count + keywords.count)
        """,
        at: location)
    }
    let scope = Environment(parent: captured)
    for (p, a) in zip(params, positional) { scope.define(p, a.value) }
    var bound = Set(params.prefix(positional.count))
    for (label, a) in keywords {
      guard params.contains(label) else {
        throw QatsError(
          .runtime, "`\(name)` has no parameter `\(label)`", at: a.location,
          hint: Suggest.nearest(to: label, in: params).map { "did you mean `\($0)`?" })
      }
      guard !bound.contains(label) else { throw QatsError(.runtime, "`\(label)` is given twice", at: a.location) }
      scope.define(label, a.value)
      bound.insert(label)
    }
    if let missing = params.first(where: { !bound.contains($0) }) {
      throw QatsError(
        .runtime, "`\(name)` is missing argument `\(missing)`", at: location,
        hint: "`\(name)` takes (\(params.joined(separator: ", ")))")
    }
    callDepth += 1
    defer { callDepth -= 1 }
    if callDepth > maxCallDepth {
      throw QatsError(
        .runtime, "recursion too deep: more than \(maxCallDepth) nested calls of user functions", at: location,
        hint: "check that `\(name)` has a case that stops recursing")
    }
    switch try executeBlock(decl.body, in: scope, inFunction: true) {
    case .returned(let v): return v
    case .normal: return .none
    case .broke, .continued:
      throw QatsError(.runtime, "`break`/`continue` outside a loop", at: decl.location)
    }
  }
}
