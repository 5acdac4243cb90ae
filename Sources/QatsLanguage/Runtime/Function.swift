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
