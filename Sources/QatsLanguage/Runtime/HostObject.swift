import QatOutput
/// A value implemented by the host (a dataset, a model, a table): how later modules plug into
/// the language without the language knowing about them.
public protocol HostObject: AnyObject, Renderable {
  /// The type name shown by `type(x)` and in messages, e.g. "dataset".
  var typeName: String { get }
  /// A one-line summary, shown when the object is assigned to a variable.
  var summary: String { get }
  /// Names that `x.` completes to and that `member(_:)` answers.
  var memberNames: [String] { get }
  /// The value of `x.name`, or nil if there is no such member.
  func member(_ name: String) throws -> Value?
  /// `x[i]`, or nil if the object cannot be indexed.
  func index(_ key: Value) throws -> Value?
  /// A plain-data view (numbers, strings, lists, records) used by `json` and `write`; nil if none.
  func plainValue() -> Value?
}

extension HostObject {
  public var memberNames: [String] { [] }
  public func member(_ name: String) throws -> Value? { nil }
  public func index(_ key: Value) throws -> Value? { nil }
  public func plainValue() -> Value? { nil }
}

/// A user function or a built-in, as a value.
public final class Function {
  public enum Body {
    case user(FunctionDecl, captured: Environment)
    case builtin(Builtin)
  }

  public let body: Body
  public init(_ body: Body) { self.body = body }

  /// The name shown in messages.
  public var name: String {
    switch body {
    case .user(let decl, _): return decl.name ?? "fn"
    case .builtin(let b): return b.name
    }
  }
}

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

  /// Names visible from here, innermost first.
  public var allNames: [String] { Array(values.keys) + (parent?.allNames ?? []) }

  /// This scope's own bindings, sorted by name.
  public var localBindings: [(name: String, value: Value)] {
    values.keys.sorted().compactMap { k in values[k].map { (k, $0) } }
  }
}
