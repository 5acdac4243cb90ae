/// Why a folder could not be loaded as a dataset: a sentence naming the path, and what to do.
public struct ImageFolderError: Error, Sendable, Equatable, CustomStringConvertible {
  public var message: String
  public var hint: String?
  public init(_ message: String, hint: String? = nil) {
    self.message = message
    self.hint = hint
  }
  public var description: String { message + (hint.map { " (\($0))" } ?? "") }
}

/// A file that was not loaded, and why.
public struct SkippedFile: Sendable, Equatable {
  public var path: String
  public var reason: String
}

/// Loading was stopped by Ctrl-C.
public struct LoadInterrupted: Error, Sendable {}
