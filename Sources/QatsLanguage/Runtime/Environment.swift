/// A scope: a function call's locals, or the session's globals.
public final class Environment {
  public let parent: Environment?
  private var values: [String: Value] = [:]

  public init(parent: Environment? = nil) { self.parent = parent }

  /// Looks `name` up here and in enclosing scopes.
  public func lookup(_ name: String) -> Value? {
    if let v = values[name] { return v }
    return parent?.lookup(name)
  }

  /// Binds `name` in this scope (assignment always writes the innermost scope, as in Python).
  public func define(_ name: String, _ value: Value) { values[name] = value }

  public func remove(_ name: String) { values[name] = nil }

  /// Runs `body` on `name`'s value in place if `name` is bound in this scope itself (nil if not),
  /// so a list or record held only here is changed without being copied.
  func modifyLocal<T>(_ name: String, _ body: (inout Value) throws -> T) rethrows -> T? {
    guard values[name] != nil else { return nil }
    return try body(&values[name, default: .none])
  }

  /// Names visible from here, innermost first.
  public var allNames: [String] { Array(values.keys) + (parent?.allNames ?? []) }

  /// This scope's own bindings, sorted by name.
  public var localBindings: [(name: String, value: Value)] {
    values.keys.sorted().compactMap { k in values[k].map { (k, $0) } }
  }
}
