/// The key under which a module keeps one object for the session (the image loader's dataset
/// cache, say), typed by that object: `Interpreter.sessionObject(_:orMake:)` hands back a `T` with
/// no cast at the call site. Two keys are the same when their names and object types are.
/// Declare a key next to the type it keeps: `static let sessionKey = SessionKey<Cache>("images.cache")`.
public struct SessionKey<Object: AnyObject>: Sendable {
  /// A name for the key, unique among keys for the same object type.
  public let name: String

  public init(_ name: String) { self.name = name }

  /// What the interpreter's storage is keyed by: the name and the object type.
  var identity: SessionKeyIdentity { SessionKeyIdentity(name: name, type: ObjectIdentifier(Object.self)) }
}

/// A `SessionKey` with its object type erased, for the interpreter's storage.
struct SessionKeyIdentity: Hashable, Sendable {
  let name: String
  let type: ObjectIdentifier
}
