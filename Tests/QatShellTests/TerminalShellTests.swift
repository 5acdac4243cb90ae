import Foundation
import Testing

@testable import QatShell

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

  @Test func ctrlDWithModelsInMemoryAsksOnce() throws {
    let shell = try #require(try TmuxShell.start())
    shell.send("m = model(input: [1, 4, 4]) { flatten(); dense(2) }", literal: true)
    shell.send("Enter")
    shell.waitFor("[2] ptq>")
    shell.send("C-d")
    #expect(shell.waitFor("1 model in memory; press Ctrl-D again to quit").contains("press Ctrl-D again"))
    #expect(!shell.hasExited)
    // The second Ctrl-D in a row leaves.
    shell.send("C-d")
    shell.waitUntil { _ in shell.hasExited }
    #expect(shell.hasExited)
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

/// Ctrl-D with models in memory asks once; the count and the wording.
@Suite struct LeavingTests {
  @Test func modelsInMemoryAreCountedOnce() {
    let s = CapturedSession()
    #expect(s.session.modelsInMemory == 0)
    #expect(ReadLoop.leavingWarning(models: 0) == nil)
    s.input("a = model(input: [1, 4, 4]) { flatten(); dense(2) }", "b = a", "c = copy(a)", "x = 3")
    #expect(s.session.modelsInMemory == 2)
    #expect(ReadLoop.leavingWarning(models: 2) == "2 models in memory; press Ctrl-D again to quit")
    #expect(ReadLoop.leavingWarning(models: 1) == "1 model in memory; press Ctrl-D again to quit")
  }
}
