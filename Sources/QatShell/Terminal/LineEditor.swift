import CLineEdit
import Foundation

/// One result of reading a line at the prompt.
public enum LineInput: Equatable, Sendable {
  /// A line the user entered, without its newline.
  case line(String)
  /// Ctrl-C at the prompt: drop what was typed (and any pending continuation lines).
  case interrupted
  /// Ctrl-D on an empty line, or the terminal went away: leave the shell.
  case endOfInput
}

/// Interactive line input through libedit; use only when stdin and stdout are both terminals.
///
/// libedit is one instance per process, so create one `LineEditor` per process. It brings
/// Up/Down and Ctrl-R history, Tab completion through the `Completer`, and a history file
/// that is rewritten whole after each entry.
public final class LineEditor {
  /// The most entries kept in memory and in the history file.
  public static let historyLimit = 1000

  // The C completion callback cannot capture context, so it reads the completer from
  // here. Set on the main thread before the first read and only read during `read`.
  nonisolated(unsafe) static var currentCompleter: Completer?

  private let historyFile: String?
  private var lastEntry: String?

  /// Why the history file could not be written the last time, or `nil` if it was.
  public private(set) var historyError: String?

  /// Sets up libedit, installs the Ctrl-C handler (`Interrupts.install()`), installs
  /// `completer` for Tab and loads the history file if it exists.
  /// - Parameters:
  ///   - historyFile: the file to load history from and rewrite after each entry; `nil`
  ///     keeps history in memory only.
  ///   - completer: what Tab offers.
  ///   - promptOnStandardError: draw the prompt and the edited line on stderr (stdout is a pipe).
  public init(historyFile: String?, completer: Completer, promptOnStandardError: Bool = false) {
    self.historyFile = historyFile
    if promptOnStandardError { qle_prompt_on_stderr() }
    qle_init()
    // Without the handler, Ctrl-C at the prompt would kill the process instead of
    // making readline return.
    Interrupts.install()
    Self.currentCompleter = completer
    qle_set_completer { line, cursor, candidates in
      guard let line, let completer = LineEditor.currentCompleter else { return -1 }
      let text = String(cString: line)
      let characterCursor = LineEditor.characterOffset(ofScalarOffset: Int(cursor), in: text)
      let completion = completer.complete(line: text, cursor: characterCursor)
      guard !completion.candidates.isEmpty else { return -1 }
      for candidate in completion.candidates {
        candidate.withCString { qle_candidates_add(candidates, $0) }
      }
      return Int32(LineEditor.scalarOffset(ofCharacterOffset: completion.start, in: text))
    }
    qle_history_stifle(Int32(Self.historyLimit))
    if let historyFile {
      _ = qle_history_read(historyFile)  // a missing file is a first run, not an error
    }
  }

  /// Shows `prompt` and reads one edited line.
  ///
  /// Ctrl-C makes libedit's readline return nothing, as Ctrl-D does; the interrupt flag
  /// tells them apart. The flag is cleared before reading (a Ctrl-C that arrived after the
  /// last computation is stale) and after an interruption; it is left alone after a line,
  /// so a Ctrl-C right after Enter still stops the cell that line starts. After
  /// `.interrupted` the cursor is still on the prompt's line: print a newline.
  /// - Parameter prompt: the prompt; wrap escape codes in `\u{01}` … `\u{02}` so libedit
  ///   does not count them as columns.
  public func read(prompt: String) -> LineInput {
    Interrupts.clear()
    guard let raw = qle_readline(prompt) else {
      if Interrupts.isPending {
        Interrupts.clear()
        return .interrupted
      }
      return .endOfInput
    }
    defer { qle_free(raw) }
    return .line(String(cString: raw))
  }

  /// Adds an entry to the history and rewrites the history file (at most `historyLimit`
  /// entries). Blank entries and repeats of the previous entry are skipped.
  ///
  /// A multi-line cell is one entry with its newlines kept: libedit stores it escaped in
  /// the file (`\012`) and Up recalls it whole; entering the recalled text returns it as
  /// one string with embedded newlines, which the session should evaluate as one cell.
  public func remember(_ entry: String) {
    var entry = entry
    while entry.last?.isNewline == true { entry.removeLast() }
    guard !entry.allSatisfy(\.isWhitespace), entry != lastEntry else { return }
    lastEntry = entry
    qle_history_add(entry)
    guard let historyFile else { return }
    let status = qle_history_write(historyFile, Int32(Self.historyLimit))
    historyError = status == 0 ? nil : String(cString: strerror(status))
  }

  // MARK: - Positions: libedit counts code points, Swift counts Characters

  /// The number of whole Characters before code point `scalarOffset` of `line`.
  static func characterOffset(ofScalarOffset scalarOffset: Int, in line: String) -> Int {
    let scalars = line.unicodeScalars
    let target = scalars.index(scalars.startIndex, offsetBy: min(max(scalarOffset, 0), scalars.count))
    var count = 0
    var index = line.startIndex
    while index < line.endIndex {
      let next = line.index(after: index)
      if next > target { break }
      count += 1
      index = next
    }
    return count
  }

  /// The number of code points before Character `characterOffset` of `line`.
  static func scalarOffset(ofCharacterOffset characterOffset: Int, in line: String) -> Int {
    let index = line.index(line.startIndex, offsetBy: min(max(characterOffset, 0), line.count))
    return line.unicodeScalars.distance(from: line.unicodeScalars.startIndex, to: index)
  }
}
