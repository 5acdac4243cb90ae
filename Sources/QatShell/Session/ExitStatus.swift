import QatsLanguage

/// Process exit statuses in script mode (SPEC §10; the BSD sysexits values).
public enum ExitStatus: Int32, Sendable {
  case success = 0
  /// Bad command-line usage, or a script file that cannot be read.
  case usage = 64
  /// The script is not valid qats.
  case syntax = 65
  /// A cell failed while running.
  case runtime = 70
  /// Ctrl-C.
  case interrupted = 130

  /// The status for an error of the given kind.
  public init(_ kind: QatsError.Kind) {
    switch kind {
    case .syntax: self = .syntax
    case .runtime: self = .runtime
    case .interrupted: self = .interrupted
    }
  }
}
