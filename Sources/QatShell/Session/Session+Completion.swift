import QatsLanguage

/// What Tab offers: keywords, built-ins, variables, and members of a dotted path.
extension Session: CompletionSource {
  public func completionNames() -> [String] {
    Array(Set(interpreter.knownNames() + ["mode"])).sorted()
  }

  /// A built-in's declared parameters (the registry), or a user function's parameters.
  public func parameterNames(ofCall callee: String) -> [String] {
    if case .function(let f)? = interpreter.globals.lookup(callee), case .user(let decl, _) = f.body {
      return decl.parameters
    }
    return interpreter.registry.lookup(callee)?.parameters.map(\.name) ?? []
  }

  /// Members of `a.b.c`, found by looking names up and reading members — never by running code.
  public func memberNames(of expression: String) -> [String] {
    let path = expression.split(separator: ".").map(String.init)
    guard let root = path.first, var value = interpreter.globals.lookup(root) else { return [] }
    for name in path.dropFirst() {
      switch value {
      case .record(let r):
        guard let next = r[name] else { return [] }
        value = next
      case .object(let o):
        guard let next = try? o.member(name) else { return [] }
        value = next
      default: return []
      }
    }
    switch value {
    case .record(let r): return r.keys
    case .object(let o): return o.memberNames
    default: return []
    }
  }
}
