import QatSupport
import Foundation
import QatsLanguage

/// Reads cells and runs them: through libedit on a terminal, or line by line from a pipe.
public enum ReadLoop {
  /// The interactive shell: prompts with the cell number and mode, continuation while brackets or
  /// strings are open, history, Tab completion; Ctrl-C clears the line or stops the running cell;
  /// Ctrl-D cancels an open block, and at an empty prompt (or `:quit`) leaves.
  /// With `promptOnStandardError` (stdout is a pipe), the prompts, the banner and the line ends
  /// after Ctrl-C and Ctrl-D go to stderr, so the pipe gets only the outputs.
  public static func interactive(_ session: Session, historyFile: String?, promptOnStandardError: Bool = false) {
    let completer = Completer(source: session, metaCommands: Session.metaCommands.map(\.name))
    let editor = LineEditor(
      historyFile: historyFile, completer: completer, promptOnStandardError: promptOnStandardError)
    let terminal = promptOnStandardError ? session.console.err : session.console.out
    terminal("\(Version.banner) — type :help, Tab completes, Ctrl-D exits\n")
    var buffer = ""
    // Set by a Ctrl-D that was asked to be repeated; anything else read clears it.
    var warnedBeforeLeaving = false
    while !session.quitRequested {
      let prompt = buffer.isEmpty ? session.prompt : continuationPrompt(for: session.prompt)
      let input = editor.read(prompt: prompt)
      let action = step(input, buffer: &buffer)
      defer { if action != .leave { warnedBeforeLeaving = false } }
      switch action {
      case .leave:
        // Models took minutes to train: a stray Ctrl-D must not lose them, so ask once.
        if !warnedBeforeLeaving, let warning = leavingWarning(models: session.modelsInMemory) {
          warnedBeforeLeaving = true
          terminal("\n" + warning + "\n")
          continue
        }
        terminal("\n")
        return
      case .cancelled(let ctrlC):
        // Ctrl-C at the prompt abandons the line (and any continuation) but keeps the session;
        // Ctrl-D on a continuation line abandons the block.
        if ctrlC { Interrupts.clear() }
        terminal(ctrlC ? "\n" : "\n(block cancelled)\n")
      case .more:
        continue
      case .run(let cell):
        editor.remember(cell.trimmingCharacters(in: .whitespacesAndNewlines))
        Interrupts.clear()
        Terminal.withoutControlEcho { _ = session.runInput(cell) }
        Interrupts.clear()
      }
    }
  }

  /// What Ctrl-D at an empty prompt says before leaving when `models` models would be lost, or nil.
  static func leavingWarning(models: Int) -> String? {
    guard models > 0 else { return nil }
    return "\(models) model\(models == 1 ? "" : "s") in memory; press Ctrl-D again to quit"
  }

  /// Whether the cell read so far continues on the next line: while a bracket or string is open or
  /// a line ends in an operator. A `:` command is one line (`:vars net*` ends in `*` but is whole),
  /// except `:time`, whose argument is code.
  static func needsMoreInput(_ buffer: String) -> Bool {
    let text = buffer.drop { $0 == " " || $0 == "\t" }
    if text.hasPrefix(":") && !text.hasPrefix(":time ") { return false }
    return Completeness.needsMoreInput(buffer)
  }

  /// What the interactive loop does with one read.
  enum Action: Equatable {
    /// Run this cell.
    case run(String)
    /// The block is open: read a continuation line.
    case more
    /// The pending line or block was dropped: by Ctrl-C (`true`) or by Ctrl-D on a continuation line.
    case cancelled(ctrlC: Bool)
    /// Leave the shell: Ctrl-D at an empty prompt, or the terminal went away.
    case leave
  }

  /// Adds `input` to the block in `buffer` and says what to do. Ctrl-D on a continuation line
  /// cancels the block rather than running it or leaving; a second Ctrl-D (or a terminal that has
  /// gone, which reads as Ctrl-D again) then leaves.
  static func step(_ input: LineInput, buffer: inout String) -> Action {
    switch input {
    case .endOfInput:
      if buffer.isEmpty { return .leave }
      buffer = ""
      return .cancelled(ctrlC: false)
    case .interrupted:
      buffer = ""
      return .cancelled(ctrlC: true)
    case .line(let line):
      buffer += line + "\n"
      if needsMoreInput(buffer) { return .more }
      let cell = buffer
      buffer = ""
      return cell.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? .more : .run(cell)
    }
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
