import QatsLanguage

/// What Tab offers: keywords, built-ins, variables, members of a plain path, and the choices
/// of a choice parameter.
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

  /// The choices the built-in's parameter declares (`ParameterType.choice`), so Tab offers
  /// exactly what the registry accepts; nil for user functions and other parameters.
  public func choices(for slot: ArgumentSlot) -> [String]? {
    if case .function(let f)? = interpreter.globals.lookup(slot.callee), case .user = f.body { return nil }
    guard let builtin = interpreter.registry.lookup(slot.callee) else { return nil }
    let parameter: Parameter?
    switch slot.key {
    case .keyword(let name): parameter = builtin.parameters.first { $0.name == name }
    case .position(let n):
      let positional = builtin.positionalParameters
      parameter = n < positional.count ? positional[n] : nil
    }
    guard let choices = parameter?.type.choices(inList: slot.inList), !choices.isEmpty else { return nil }
    return choices
  }

  /// Members of a plain path such as `data.train` or `net.layers[0]`, found by looking names
  /// up, reading members and indexing by literals (`Interpreter.plainPathValue`): never by
  /// running a call.
  public func memberNames(of expression: String) -> [String] {
    switch interpreter.plainPathValue(expression) {
    case .record(let r)?: return r.keys
    case .object(let o)?: return o.memberNames
    default: return []
    }
  }
}
