import Foundation
import Testing

@testable import QatShell

/// Long help goes through a pager only when one was given to the session (the launcher gives one
/// to interactive terminals); the decision and the fallback are tested without a terminal.
@Suite struct PagerTests {
  @Test func onlyAnInteractiveTerminalThatDrawsGetsAPager() {
    #expect(Pager.command(environment: ["TERM": "xterm"], interactive: true) == "less -R")
    #expect(Pager.command(environment: ["TERM": "xterm", "PAGER": "most"], interactive: true) == "most")
    #expect(Pager.command(environment: ["TERM": "xterm", "PAGER": "  "], interactive: true) == "less -R")
    #expect(Pager.command(environment: ["TERM": "dumb", "PAGER": "most"], interactive: true) == nil)
    #expect(Pager.command(environment: ["TERM": "xterm", "PAGER": "most"], interactive: false) == nil)
  }

  @Test func onlyTextTallerThanTheTerminalIsPaged() {
    let pager = Pager(command: "cat", rows: { 5 })
    #expect(!pager.needsPaging("1\n2\n3\n4"))
    #expect(pager.needsPaging("1\n2\n3\n4\n5"))
  }

  @Test func sessionsPrintHelpUnlessGivenAPager() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let s = CapturedSession()
    #expect(s.session.pager == nil)  // tests, scripts and pipes print
    let printed = s.input(":help")
    #expect(printed.split(separator: "\n").count > 12)

    s.session.pager = Pager(command: "cat > '\(dir)/paged'", rows: { 12 })
    for ask in [":help", "?train", "help(train)"] {
      #expect(s.input(ask).isEmpty, "\(ask) printed instead of paging")
      let paged = try String(contentsOfFile: dir + "/paged", encoding: .utf8)
      #expect(paged.split(separator: "\n").count >= 12, "\(ask): \(paged)")
    }
    // Help that fits is printed as before.
    #expect(s.input("?pi").contains("pi"))

    // A pager that cannot start: the help is printed after all.
    s.session.pager = Pager(command: "qat-no-such-pager-\(getpid())", rows: { 12 })
    #expect(s.input(":help") == printed)
  }
}
