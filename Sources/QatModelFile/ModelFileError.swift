import QatSupport

/// Why a model file could not be read or written: the path, what is wrong, and what to do.
public struct ModelFileError: Error, Equatable, Sendable, CustomStringConvertible {
  /// What went wrong, in the terms of the file (not the code).
  public enum Kind: Sendable, Equatable {
    /// Nothing at the path.
    case notFound
    /// A directory, a device or a pipe where a file was expected.
    case notAFile
    /// The file exists but cannot be read (permissions, I/O error).
    case unreadable
    /// The file has no bytes.
    case empty
    /// Some other kind of file (a PNG, text, …): not a model file at all.
    case foreign
    /// A model file written by a newer qat-repl, in a format this build does not know.
    case newerVersion
    /// The file ends early.
    case truncated
    /// A checksum mismatch, damage from a text-mode transfer, bytes after the end, or a structure
    /// that is invalid although the checksum matches.
    case corrupted
    /// The model cannot be encoded (a value does not fit its bits, a shape does not match, …).
    case invalidModel
    /// Writing failed (missing directory, permissions, full disk, …).
    case cannotWrite
  }

  public var kind: Kind
  /// The file concerned; nil when encoding or decoding bytes that have no path.
  public var path: String?
  /// What is wrong, e.g. "truncated: 120 bytes of 4,096".
  public var reason: String
  /// What to do about it, e.g. "save the model again".
  public var hint: String?

  public init(_ kind: Kind, path: String?, reason: String, hint: String? = nil) {
    self.kind = kind
    self.path = path
    self.reason = reason
    self.hint = hint
  }

  /// One line: the operation, the path and the reason ("cannot load 'm.qnet': the file is empty").
  public var message: String {
    let verb: String
    switch kind {
    case .invalidModel, .cannotWrite: verb = path == nil ? "cannot encode the model" : "cannot save"
    default: verb = path == nil ? "cannot decode the model" : "cannot load"
    }
    return (path.map { "\(verb) '\(PrintableName.of($0))'" } ?? verb) + ": " + reason
  }

  /// The message, then the hint on a second line (the layout of the language's own errors).
  public var description: String { message + (hint.map { "\n  " + $0 } ?? "") }

  /// The same error about `path` (encoding errors learn their path when a write fails).
  func at(_ path: String) -> ModelFileError {
    var copy = self
    copy.path = path
    return copy
  }
}
