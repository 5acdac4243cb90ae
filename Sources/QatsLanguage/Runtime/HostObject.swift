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
