import Foundation
import Testing

/// The interactive shell in a real terminal (tmux): what only libedit and a tty can show.
/// Skipped when tmux or the built binary is missing.
@Suite(.enabled(if: TmuxShell.isAvailable, "needs tmux and .build/debug/qat-repl"), .serialized)
struct TerminalShellTests {
  /// The line being edited, without the prompt.
  private func editedLine(_ shell: TmuxShell) -> String {
    let line = shell.lastLine
    guard let prompt = line.range(of: "ptq>") else { return line }
    return String(line[prompt.upperBound...].dropFirst())
  }

  @Test func upAndDownSearchTheHistoryByTheTypedPrefix() throws {
    let history = ["x = 1", "train(net)", "20 * 2", "train(q)", "y = 2"]
    let shell = try #require(try TmuxShell.start(history: history))
    shell.send("tr", literal: true)
    shell.send("Up")
    shell.waitUntil { _ in editedLine(shell) == "train(q)" }
    #expect(editedLine(shell) == "train(q)")
    shell.send("Up")
    shell.waitUntil { _ in editedLine(shell) == "train(net)" }
    #expect(editedLine(shell) == "train(net)")
    // Nothing older starts with `tr`: the line stays.
    shell.send("Up")
    usleep(300_000)
    #expect(editedLine(shell) == "train(net)")
    // Down walks back, and past the newest match restores what was typed.
    shell.send("Down")
    shell.send("Down")
    shell.waitUntil { _ in editedLine(shell) == "tr" }
    #expect(editedLine(shell) == "tr")
    // The cursor is at the end of a recalled entry: typing continues it.
    shell.send("C-u")
    shell.send("Up")
    shell.send("Up")
    shell.send("Up")
    shell.send(" + 1", literal: true)
    shell.waitUntil { _ in editedLine(shell) == "20 * 2 + 1" }
    #expect(editedLine(shell) == "20 * 2 + 1")
    shell.send("Enter")
    #expect(shell.waitFor("\n41\n").contains("\n41\n"))
  }

  @Test func tabInsideAChoiceStringCompletesTheChoice() throws {
    let shell = try #require(try TmuxShell.start())
    shell.send("quantize(net, d, observer: \"mi", literal: true)
    shell.send("Tab")
    shell.waitUntil { _ in editedLine(shell).hasSuffix("\"minmax\"") }
    #expect(editedLine(shell) == "quantize(net, d, observer: \"minmax\"")
    // Several choices: a second Tab lists them.
    shell.send("C-u")
    shell.send("train(n, d, schedule: \"", literal: true)
    shell.send("Tab")
    shell.send("Tab")
    let screen = shell.waitFor("cosine")
    #expect(screen.contains("constant") && screen.contains("step"))
  }
}
