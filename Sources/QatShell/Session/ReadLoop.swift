import Foundation
import QatsLanguage

/// Reads cells and runs them: through libedit on a terminal, or line by line from a pipe.
public enum ReadLoop {
  /// The interactive shell: prompts with the cell number and mode, continuation while brackets or
  /// strings are open, history, Tab completion; Ctrl-C clears the line or stops the running cell;
  /// Ctrl-D (or `:quit`) leaves.
  public static func interactive(_ session: Session, historyFile: String?) {
    let completer = Completer(source: session, metaCommands: Session.metaCommands.map(\.name))
    let editor = LineEditor(historyFile: historyFile, completer: completer)
    session.console.out("\(Version.banner) — type :help, Tab completes, Ctrl-D exits\n")
    var buffer = ""
    while !session.quitRequested {
      let prompt = buffer.isEmpty ? session.prompt : continuationPrompt(for: session.prompt)
      switch editor.read(prompt: prompt) {
      case .endOfInput:
        session.console.out("\n")
        return
      case .interrupted:
        // Ctrl-C at the prompt abandons the line (and any continuation) but keeps the session.
        Interrupts.clear()
        buffer = ""
        session.console.out("\n")
      case .line(let line):
        buffer += line + "\n"
        if needsMoreInput(buffer) { continue }
        let cell = buffer
        buffer = ""
        let trimmed = cell.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty { continue }
        editor.remember(trimmed)
        Interrupts.clear()
        Terminal.withoutControlEcho { _ = session.runInput(cell) }
        Interrupts.clear()
      }
    }
  }

  /// Whether the cell read so far continues on the next line: while a bracket or string is open or
  /// a line ends in an operator. A `:` command is one line (`:vars net*` ends in `*` but is whole),
  /// except `:time`, whose argument is code.
  static func needsMoreInput(_ buffer: String) -> Bool {
    let text = buffer.drop { $0 == " " || $0 == "\t" }
    if text.hasPrefix(":") && !text.hasPrefix(":time ") { return false }
    return Completeness.needsMoreInput(buffer)
  }

  /// `   ...> ` lined up under the prompt.
  static func continuationPrompt(for prompt: String) -> String {
    String(repeating: " ", count: max(0, prompt.count - 5)) + "...> "
  }

  /// Piped input: no prompts, no escape codes; each complete cell runs as it arrives and errors name
  /// `<stdin>` with the real line number. Returns the status of the last failing cell (or success).
  public static func piped(_ session: Session, readLine: () -> String? = { Swift.readLine(strippingNewline: true) })
    -> ExitStatus
  {
    var status = ExitStatus.success
    var buffer = "", firstLine = 1, lineNumber = 0
    while !session.quitRequested, let line = readLine() {
      lineNumber += 1
      if buffer.isEmpty { firstLine = lineNumber }
      buffer += line + "\n"
      if needsMoreInput(buffer) { continue }
      let cell = buffer
      buffer = ""
      if let e = session.runInput(cell, sourceName: "<stdin>", firstLine: firstLine) {
        status = ExitStatus(e.kind)
        if e.kind == .interrupted { return status }
      }
    }
    if !buffer.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty,
      let e = session.runInput(buffer, sourceName: "<stdin>", firstLine: firstLine)
    {
      status = ExitStatus(e.kind)
    }
    return status
  }
}
