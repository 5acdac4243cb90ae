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
      let value = try evaluate(valueExpr, in: env)
      if let op = compound {
        try assign(.combine(op, value, at: statement.location), to: target, in: env)
      } else {
        try assign(.set(value), to: target, in: env)
      }
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

  /// What an assignment does to its target: `x = v` sets it, `x += v` combines it with `v`.
  enum Change {
    case set(Value)
    case combine(BinaryOperator, Value, at: SourceLocation)

    var operand: Value {
      switch self {
      case .set(let v), .combine(_, let v, _): return v
      }
    }
  }

  /// One step from a variable to the element an assignment changes, `.name` or `[key]`, with the
  /// location of the expression the step ends (`r.a` for the `.a` of `r.a.b = v`) and of the key.
  enum PathStep {
    case field(String, at: SourceLocation)
    case index(Value, at: SourceLocation, keyAt: SourceLocation)
  }

  /// Assigns to a name, a record field (`r.key = v`) or a list/record element (`xs[i] = v`), or
  /// combines the target with a value (`xs += [v]`). Lists and records are values, so only the
  /// variable named on the left changes. It changes in place: the containers on the way are taken
  /// out of it while their element changes, so their storage is not shared and nothing is copied —
  /// filling a list or record element by element, or growing one with `+=`, takes time in
  /// proportion to what is added. Keys are evaluated first, left to right.
  func assign(_ change: Change, to target: Expr, in env: Environment) throws {
    var steps: [PathStep] = []
    var keys: [Expr] = []
    var root = target
    while true {
      if case .member(let base, let name) = root.kind {
        steps.append(.field(name, at: root.location))
        root = base
      } else if case .index(let base, let keyExpr) = root.kind {
        steps.append(.index(.none, at: root.location, keyAt: keyExpr.location))
        keys.append(keyExpr)
        root = base
      } else {
        break
      }
    }
    steps.reverse()
    var evaluatedKeys = try keys.reversed().map { try evaluate($0, in: env) }.makeIterator()
    for i in steps.indices {
      if case .index(_, let at, let keyAt) = steps[i], let key = evaluatedKeys.next() {
        steps[i] = .index(key, at: at, keyAt: keyAt)
      }
    }
    guard case .identifier(let name) = root.kind else {
      throw QatsError(
        .runtime, "cannot assign to this expression", at: root.location,
        hint: "the left of `=` must be a variable, or a field or element of one: `x`, `x.a`, `x[i]`")
    }
    if steps.isEmpty, case .set(let value) = change {
      env.define(name, value)
      return
    }
    // The new value sits `steps.count` levels inside the variable's value.
    if !steps.isEmpty {
      let depth = steps.count + change.operand.depth
      if depth > Value.maxDepth { throw Value.tooDeep(depth, at: target.location) }
    }
    let path = steps[...]
    let changedHere = try env.modifyLocal(name) { value in
      try self.apply(change, to: &value, along: path)
      return true
    }
    if changedHere == nil {
      // Defined in an enclosing scope (or a built-in's name): the changed copy is defined here, as
      // assignment always writes the innermost scope.
      var value = try lookup(name, in: env, at: root.location)
      try apply(change, to: &value, along: path)
      env.define(name, value)
    }
  }

  /// Applies `change` to the element of `value` that `path` leads to, in place. Each container on
  /// the way is taken out of its parent while its element changes and put back afterwards, also
  /// when the change fails (which then leaves it as it was).
  func apply(_ change: Change, to value: inout Value, along path: ArraySlice<PathStep>) throws {
    guard let step = path.first else {
      try apply(change, to: &value)
      return
    }
    let rest = path.dropFirst()
    switch step {
    case .field(let name, let location):
      guard case .record(var r) = value else {
        // Reading the field fails first, with its own message, as evaluating `a.b` would.
        if !rest.isEmpty { _ = try member(name, of: value, at: location) }
        throw QatsError(
          .runtime, "cannot set `.\(name)` on \(value.typeName); only record fields can be assigned", at: location)
      }
      value = .none
      defer { value = .record(r) }
      try apply(change, toField: name, of: &r, along: rest) { record in
        _ = try self.member(name, of: .record(record), at: location)
      }
    case .index(let key, let location, let keyLocation):
      if case .list(var items) = value, case .int(let i) = key {
        let k = try listIndex(i, count: items.count, at: keyLocation)
        value = .none
        defer { value = .list(items) }
        if rest.isEmpty, case .set(let new) = change {
          items[k] = new
          return
        }
        var element = items[k]
        items[k] = .none
        defer { items[k] = element }
        try apply(change, to: &element, along: rest)
      } else if case .record(var r) = value, case .string(let field) = key {
        value = .none
        defer { value = .record(r) }
        try apply(change, toField: field, of: &r, along: rest) { record in
          _ = try self.index(.record(record), key, at: keyLocation)
        }
      } else {
        // Reading the element fails first, with its own message, as evaluating `a[i]` would.
        if !rest.isEmpty { _ = try index(value, key, at: keyLocation) }
        throw QatsError(
          .runtime, "cannot assign to \(value.typeName)[\(key.typeName)]", at: location,
          hint: "lists take integer indices, records take string keys")
      }
    }
  }

  /// `apply` for field `name` of record `r`; `missing` throws the error for a field that must
  /// exist but does not (one on the way to the target, or one that `+=` combines).
  func apply(
    _ change: Change, toField name: String, of r: inout Record, along rest: ArraySlice<PathStep>,
    missing: (Record) throws -> Void
  ) throws {
    if rest.isEmpty, case .set(let new) = change {
      r[name] = new
      return
    }
    guard var element = r[name] else {
      try missing(r)
      return
    }
    r[name] = Value.none
    defer { r[name] = element }
    try apply(change, to: &element, along: rest)
  }

  /// Sets or combines the target itself. `+=` of a list or a string grows it in place.
  func apply(_ change: Change, to value: inout Value) throws {
    switch change {
    case .set(let new):
      value = new
    case .combine(let op, let operand, let location):
      if op == .add, case .list(var items) = value, case .list(let more) = operand {
        try checkJoinedLength(items.count, more.count, what: "list", unit: "items", at: location)
        value = .none
        items.append(contentsOf: more)
        value = .list(items)
      } else if op == .add, case .string(var text) = value, case .string(let more) = operand {
        try checkJoinedLength(text, more, at: location)
        value = .none
        text += more
        value = .string(text)
      } else {
        value = try binary(op, value, operand, at: location)
      }
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
