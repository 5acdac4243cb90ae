import Foundation
import Testing

@testable import QatShell

/// Long help in a real terminal (tmux) goes through the pager; short help, `TERM=dumb` and a
/// missing pager print it. Skipped when tmux or the built binary is missing.
@Suite(.enabled(if: TmuxShell.isAvailable, "needs tmux and .build/debug/qat-repl"), .serialized)
struct TerminalPagerTests {
  /// A pager whose output is unmistakable: every line it shows starts with `PAGED:`.
  let marking = ["PAGER": "sed s/^/PAGED:/"]

  @Test func longHelpGoesThroughThePagerShortHelpDoesNot() throws {
    let shell = try #require(try TmuxShell.start(environment: marking))
    shell.send("?pi", literal: true)
    shell.send("Enter")
    shell.waitUntil { $0.split(separator: "\n").count >= 3 && $0.hasSuffix("ptq>") }
    #expect(!shell.screen().contains("PAGED:"), "\(shell.screen())")
    shell.send(":help", literal: true)
    shell.send("Enter")
    let screen = shell.waitFor("PAGED:")
    #expect(screen.contains("PAGED:"), "\(screen)")
  }

  @Test func lessShowsLongHelpAndQuitsBackToThePrompt() throws {
    let shell = try #require(try TmuxShell.start(environment: ["PAGER": ""]))  // blank: less -R
    shell.send(":help", literal: true)
    shell.send("Enter")
    // less takes the whole screen: the prompt is gone while it runs.
    let paging = shell.waitUntil { !$0.contains("ptq>") }
    #expect(!paging.contains("ptq>"), "\(paging)")
    shell.send("q")
    let back = shell.waitUntil { $0.hasSuffix("ptq>") || $0.hasSuffix("ptq> ") }
    #expect(back.contains("ptq>"), "\(back)")
    #expect(!shell.hasExited)
  }

  @Test func dumbTerminalsAndMissingPagersPrint() throws {
    var dumb = marking
    dumb["TERM"] = "dumb"
    let plain = try #require(try TmuxShell.start(environment: dumb))
    plain.send(":help", literal: true)
    plain.send("Enter")
    let shown = plain.waitUntil { $0.split(separator: "\n").count >= 20 }
    #expect(!shown.contains("PAGED:"), "\(shown)")

    let missing = try #require(try TmuxShell.start(environment: ["PAGER": "qat-no-such-pager"]))
    missing.send(":help", literal: true)
    missing.send("Enter")
    let printed = missing.waitUntil { $0.split(separator: "\n").count >= 20 }
    #expect(printed.split(separator: "\n").count >= 20, "\(printed)")
    #expect(!missing.hasExited)
  }
}
