import QatOutput
/// One call of a built-in, with its arguments already bound and checked against the declaration.
public struct BuiltinCall {
  public let builtin: Builtin
  public let interpreter: Interpreter
  /// Where the call is (the `(` of the call).
  public let location: SourceLocation
  /// The caller's scope, for built-ins that evaluate their block there.
  public let environment: Environment
  /// The trailing `{ … }` block, if one was given.
  public let block: Block?
  /// Extra positional arguments (for built-ins with `variadic`).
  public let rest: [Value]
  /// Where each extra positional argument is.
  public let restLocations: [SourceLocation]
  /// The variable name of each extra positional argument written as a bare name, else nil.
  public let restNames: [String?]
  let values: [String: Value]
  let locations: [String: SourceLocation]
  let names: [String: String]
  let given: Set<String>

  /// The argument bound to parameter `name` (its default when not given).
  public func value(_ name: String) -> Value { values[name] ?? .none }

  /// True when the caller gave parameter `name` explicitly.
  public func isGiven(_ name: String) -> Bool { given.contains(name) }

  /// The argument as an Int (the registry has checked it is one).
  public func int(_ name: String) -> Int {
    if case .int(let v) = value(name) { return v }
    return 0
  }

  /// The argument as an Int, or nil when it was left out or is nil.
  public func optionalInt(_ name: String) -> Int? {
    if case .int(let v) = value(name) { return v }
    return nil
  }

  /// The argument as a Double (ints are converted).
  public func double(_ name: String) -> Double { value(name).number ?? 0 }

  public func string(_ name: String) -> String {
    if case .string(let s) = value(name) { return s }
    return ""
  }

  public func bool(_ name: String) -> Bool {
    if case .bool(let b) = value(name) { return b }
    return false
  }

  public func list(_ name: String) -> [Value] {
    if case .list(let items) = value(name) { return items }
    return []
  }

  /// The variable name argument `name` was written as (`net` in `compare(net, …)`), or nil when
  /// it was any other expression.
  public func variableName(of name: String) -> String? { names[name] }

  /// Where argument `name` was written, falling back to the call itself.
  public func location(of name: String) -> SourceLocation { locations[name] ?? location }

  /// A runtime error prefixed with the built-in's name, located at argument `argument` if given.
  public func error(_ message: String, argument: String? = nil, hint: String? = nil) -> QatsError {
    QatsError(.runtime, "`\(builtin.name)`: \(message)", at: argument.map { location(of: $0) } ?? location, hint: hint)
  }

  /// Throws if the user pressed Ctrl-C; long-running built-ins call it between steps.
  public func checkInterrupt() throws { try interpreter.checkInterrupt(at: location) }

  /// Shows `item` as part of the running cell's output.
  public func emit(_ item: any Renderable) { interpreter.output.emit(item) }
}
