import Foundation

/// Every error the language reports: where it happened, what went wrong, and what to do.
public struct QatsError: Error, Sendable, CustomStringConvertible {
  /// Which stage failed; the shell maps these to exit statuses (SPEC §10).
  public enum Kind: Sendable, Equatable {
    /// The text is not valid qats (exit status 65).
    case syntax
    /// A cell failed while running (exit status 70).
    case runtime
    /// The user pressed Ctrl-C (exit status 130).
    case interrupted
  }

  public let kind: Kind
  public let message: String
  public let location: SourceLocation?
  /// An optional second line: a hint such as "did you mean `maxpool`?".
  public let hint: String?

  public init(_ kind: Kind, _ message: String, at location: SourceLocation?, hint: String? = nil) {
    self.kind = kind
    self.message = QatsError.shortened(message)
    self.location = location
    self.hint = hint.map { QatsError.shortened($0) }
  }

  /// The longest message or hint an error keeps: a path or value a user built from millions of
  /// characters is cut in the middle, so that showing the error stays quick and readable.
  public static let maxMessageLength = 2_000

  static func shortened(_ text: String) -> String {
    guard text.utf8.count > maxMessageLength else { return text }
    let scalars = Array(text.unicodeScalars)
    guard scalars.count > maxMessageLength else { return text }
    let keep = maxMessageLength / 2
    var out = String.UnicodeScalarView()
    out.append(contentsOf: scalars[..<keep])
    out.append(contentsOf: " … (\(scalars.count - 2 * keep) characters left out) … ".unicodeScalars)
    out.append(contentsOf: scalars[(scalars.count - keep)...])
    return String(out)
  }

  /// The same error with a location, if it had none.
  public func located(at location: SourceLocation?) -> QatsError {
    self.location == nil ? QatsError(kind, message, at: location, hint: hint) : self
  }

  /// `file:line:col: error: message`, the source line, a caret under the column, and the hint.
  public var description: String { formatted(color: false) }

  /// The description, with the label in bold red, the caret in green and the hint in cyan when
  /// `color` is true (terminals only; never with NO_COLOR or --no-color).
  public func formatted(color: Bool) -> String {
    func paint(_ text: String, _ code: String) -> String { color ? "\u{1B}[\(code)m" + text + "\u{1B}[0m" : text }
    let label = paint(kind == .syntax ? "syntax error" : (kind == .interrupted ? "interrupted" : "error"), "1;31")
    let hint = self.hint.map { paint($0, "36") }
    guard let location else {
      return "\(label): \(message)" + (hint.map { "\n  \($0)" } ?? "")
    }
    let (line, column) = location.source.lineAndColumn(of: location.offset)
    var text = "\(location.source.name):\(line):\(column): \(label): \(message)"
    let raw = location.source.lineText(line)
    // Very long lines are cut around the column so the caret stays readable.
    let chars = Array(raw.unicodeScalars)
    var shown = raw, caretColumn = column
    if chars.count > 120 {
      let from = max(0, min(column - 60, chars.count - 120))
      var s = String.UnicodeScalarView()
      s.append(contentsOf: chars[from..<min(chars.count, from + 120)])
      shown = (from > 0 ? "…" : "") + String(s) + (from + 120 < chars.count ? "…" : "")
      caretColumn = column - from + (from > 0 ? 1 : 0)
    }
    let expanded = shown.replacingOccurrences(of: "\t", with: " ")
    text += "\n  " + expanded + "\n  " + String(repeating: " ", count: max(0, caretColumn - 1)) + paint("^", "1;32")
    if let hint { text += "\n  " + hint }
    return text
  }
}

/// A group of errors found in one pass (the parser reports every syntax error of a cell).
public struct QatsErrors: Error, Sendable, CustomStringConvertible {
  public let errors: [QatsError]
  public init(_ errors: [QatsError]) { self.errors = errors }
  public var description: String { errors.map(\.description).joined(separator: "\n") }
}
