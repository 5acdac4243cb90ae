import QatOutput
/// How a statement finished: normally, or by `return`, `break` or `continue`.
enum Flow {
  case normal
  case returned(Value)
  case broke
  case continued
}

extension Interpreter {
  func execute(_ statement: Stmt, in env: Environment, inFunction: Bool) throws -> Flow {
    switch statement.kind {
    case .expression(let e):
      _ = try evaluate(e, in: env)
    case .assign(let target, let compound, let valueExpr):
      var value = try evaluate(valueExpr, in: env)
      if let op = compound {
        let old = try evaluate(target, in: env)
        value = try binary(op, old, value, at: statement.location)
      }
      try assign(value, to: target, in: env)
    case .function(let decl):
      if let name = decl.name { env.define(name, .function(Function(.user(decl, captured: env)))) }
    case .returnValue(let e):
      guard inFunction else { throw QatsError(.runtime, "`return` outside a function", at: statement.location) }
      return .returned(try e.map { try evaluate($0, in: env) } ?? .none)
    case .ifElse(let condition, let then, let otherwise):
      if try truth(condition, in: env, what: "`if` condition") {
        return try executeBlock(then, in: env, inFunction: inFunction)
      } else if let otherwise {
        return try executeBlock(otherwise, in: env, inFunction: inFunction)
      }
    case .forIn(let variable, let iterableExpr, let body):
      let iterable = try evaluate(iterableExpr, in: env)
      let items: [Value]
      switch iterable {
      case .list(let list): items = list
      case .string(let s): items = s.map { .string(String($0)) }
      case .record(let r): items = r.keys.map { .string($0) }
      default:
        throw QatsError(
          .runtime, "cannot loop over \(iterable.typeName); `for` needs a list, a string or a record",
          at: iterableExpr.location, hint: "to repeat n times, write `for i in range(n) { … }`")
      }
      for item in items {
        try checkInterrupt(at: statement.location)
        env.define(variable, item)
        switch try executeBlock(body, in: env, inFunction: inFunction) {
        case .broke: return .normal
        case .returned(let v): return .returned(v)
        case .normal, .continued: continue
        }
      }
    case .whileLoop(let condition, let body):
      while try truth(condition, in: env, what: "`while` condition") {
        try checkInterrupt(at: statement.location)
        switch try executeBlock(body, in: env, inFunction: inFunction) {
        case .broke: return .normal
        case .returned(let v): return .returned(v)
        case .normal, .continued: continue
        }
      }
    case .breakLoop: return .broke
    case .continueLoop: return .continued
    case .mode(let m):
      if let m { mode = m } else { output.emit(PlainText("mode: \(mode)")) }
    case .narrative(let text):
      output.emit(PlainText(text))
    }
    return .normal
  }

  /// Blocks of `if`/`for`/`while` share the enclosing scope, as in Python.
  func executeBlock(_ block: Block, in env: Environment, inFunction: Bool) throws -> Flow {
    for s in block.statements {
      let flow = try execute(s, in: env, inFunction: inFunction)
      if case .normal = flow { continue }
      return flow
    }
    return .normal
  }

  func truth(_ e: Expr, in env: Environment, what: String) throws -> Bool {
    let v = try evaluate(e, in: env)
    guard case .bool(let b) = v else {
      throw QatsError(
        .runtime, "\(what) must be true or false, got \(v.typeName) \(BuiltinRegistry.describe(v))",
        at: e.location, hint: "compare explicitly, e.g. `x != 0` or `len(xs) > 0`")
    }
    return b
  }

  /// Assigns to a name, a record field (`r.key = v`) or a list/record element (`xs[i] = v`).
  /// Lists and records are values, so the container is rebuilt and assigned back to its own target.
  func assign(_ value: Value, to target: Expr, in env: Environment) throws {
    switch target.kind {
    case .identifier(let name):
      env.define(name, value)
    case .member(let baseExpr, let name):
      let base = try evaluate(baseExpr, in: env)
      switch base {
      case .record(var r):
        r[name] = value
        try assign(.record(r), to: baseExpr, in: env)
      default:
        throw QatsError(
          .runtime, "cannot set `.\(name)` on \(base.typeName); only record fields can be assigned",
          at: target.location)
      }
    case .index(let baseExpr, let indexExpr):
      let base = try evaluate(baseExpr, in: env)
      let index = try evaluate(indexExpr, in: env)
      switch (base, index) {
      case (.list(var items), .int(let i)):
        let k = try listIndex(i, count: items.count, at: indexExpr.location)
        items[k] = value
        try assign(.list(items), to: baseExpr, in: env)
      case (.record(var r), .string(let key)):
        r[key] = value
        try assign(.record(r), to: baseExpr, in: env)
      default:
        throw QatsError(
          .runtime, "cannot assign to \(base.typeName)[\(index.typeName)]", at: target.location,
          hint: "lists take integer indices, records take string keys")
      }
    default:
      throw QatsError(.runtime, "cannot assign to this expression", at: target.location)
    }
  }

  /// Resolves a possibly negative index, or throws a located out-of-range error.
  func listIndex(_ i: Int, count: Int, at location: SourceLocation) throws -> Int {
    let k = i < 0 ? count + i : i
    guard k >= 0, k < count else {
      throw QatsError(
        .runtime, "index \(i) is out of range for a list of \(count) item\(count == 1 ? "" : "s")",
        at: location, hint: count == 0 ? nil : "valid indices are 0…\(count - 1) (or -\(count)…-1 from the end)")
    }
    return k
  }
}
