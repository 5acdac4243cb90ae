/// An expression node with the location of its first character.
public struct Expr {
  public indirect enum Kind {
    case integer(Int)
    case float(Double)
    case string(String)
    case bool(Bool)
    case nilLiteral
    case identifier(String)
    case list([Expr])
    case record([RecordField])
    case unary(UnaryOperator, Expr)
    case binary(BinaryOperator, Expr, Expr)
    /// `and` / `or`, which evaluate their right side only when needed.
    case logical(isAnd: Bool, Expr, Expr)
    case call(callee: Expr, arguments: [Argument], block: Block?)
    case member(Expr, name: String)
    case index(Expr, Expr)
    case function(FunctionDecl)
  }

  public let kind: Kind
  public let location: SourceLocation

  public init(_ kind: Kind, at location: SourceLocation) {
    self.kind = kind
    self.location = location
  }
}

/// `key: value` inside a record literal.
public struct RecordField {
  public let key: String
  public let keyLocation: SourceLocation
  public let value: Expr
}

/// One argument of a call: positional (`label == nil`) or keyword.
public struct Argument {
  public let label: String?
  public let labelLocation: SourceLocation?
  public let value: Expr
}

public enum UnaryOperator: String, Sendable { case negate = "-", plus = "+", not = "not" }

public enum BinaryOperator: String, Sendable {
  case add = "+", subtract = "-", multiply = "*", divide = "/", floorDivide = "//", modulo = "%", power = "**"
  case equal = "==", notEqual = "!=", less = "<", lessEqual = "<=", greater = ">", greaterEqual = ">="
}

/// A `{ … }` list of statements: a function body, a loop body, or a trailing block handed to a built-in.
public struct Block {
  public let statements: [Stmt]
  public let location: SourceLocation
  /// Offset just past the closing brace.
  public let end: Int
}

/// `fn name(a, b) { … }`, or an anonymous `fn(a) { … }`.
public final class FunctionDecl {
  public let name: String?
  public let parameters: [String]
  public let body: Block
  public let location: SourceLocation

  init(name: String?, parameters: [String], body: Block, location: SourceLocation) {
    self.name = name
    self.parameters = parameters
    self.body = body
    self.location = location
  }
}

/// A statement node: what a cell is made of.
public struct Stmt {
  public indirect enum Kind {
    case expression(Expr)
    /// `target = value`, or a compound `target += value` (operator given).
    case assign(target: Expr, compound: BinaryOperator?, value: Expr)
    case function(FunctionDecl)
    case returnValue(Expr?)
    case ifElse(condition: Expr, then: Block, otherwise: Block?)
    case forIn(variable: String, iterable: Expr, body: Block)
    case whileLoop(condition: Expr, body: Block)
    case breakLoop
    case continueLoop
    /// `mode ptq` / `mode qat`; `nil` for a bare `mode`, which shows the current mode.
    case mode(String?)
    /// A `##` narrative line (Markdown).
    case narrative(String)
  }

  public let kind: Kind
  public let location: SourceLocation
  /// Offset just past the statement's last token, so the statement's source text can be recovered.
  public let end: Int

  /// The statement's own source text (what a notebook cell shows as input).
  public var sourceText: String { location.source.text(from: location.offset, to: end) }
}
