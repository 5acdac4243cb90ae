import Foundation
import QatShell
import Testing

/// `:export --no-errors FILE` leaves the failed cells out of the report.
@Suite struct ExportOptionTests {
  @Test func exportCanLeaveFailedCellsOut() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let s = CapturedSession()
    s.input("## intro", "x = 1", "y = nope", "x + 1", "1 / 0")
    #expect(s.input(":export --no-errors \(dir)/r.html") == "exported 2 cells (2 failed left out) to \(dir)/r.html\n")
    #expect(s.input(":export --no-errors \(dir)/r.md") == "exported 2 cells (2 failed left out) to \(dir)/r.md\n")
    #expect(s.input(":export \(dir)/all.html") == "exported 4 cells to \(dir)/all.html\n")
    let html = try String(contentsOfFile: dir + "/r.html", encoding: .utf8)
    let md = try String(contentsOfFile: dir + "/r.md", encoding: .utf8)
    let all = try String(contentsOfFile: dir + "/all.html", encoding: .utf8)
    // Cells keep their session numbers, so `[3]` still means cell 3.
    #expect(html.contains("id=\"cell-1\"") && html.contains("id=\"cell-3\""))
    #expect(!html.contains("id=\"cell-2\"") && !html.contains("id=\"cell-4\""))
    #expect(!html.contains("class=\"cell failed\""))
    #expect(!html.contains("<pre class=\"error\">"))
    #expect(html.contains("<p>intro</p>"))
    #expect(md.contains("**[1]**") && md.contains("**[3]**") && !md.contains("**[2]**") && !md.contains("nope"))
    #expect(all.contains("id=\"cell-2\"") && all.contains("<pre class=\"error\">"))
    // The session's own notebook is untouched.
    #expect(s.session.notebook.cellCount == 4)
    // `!` and the option combine; the option alone is not a file name.
    #expect(s.input(":export! --no-errors \(dir)/r.html").hasPrefix("exported 2 cells (2 failed left out)"))
    #expect(s.input(":export --no-errors").contains(":export needs a file name ending in .html or .md"))
    #expect(s.input(":export --no-errors").contains("usage: :export [--no-errors] FILE"))
    // Nothing failed: nothing to mention.
    let clean = CapturedSession()
    clean.input("x = 1")
    #expect(clean.input(":export --no-errors \(dir)/c.md") == "exported 1 cell to \(dir)/c.md\n")
  }

  @Test func helpListsTheExportOption() {
    let help = CapturedSession().input(":help")
    #expect(help.contains("  :export [--no-errors] FILE  write the notebook so far as a .html or .md report"))
    let topic = CapturedSession().input(":help :export")
    #expect(topic.hasPrefix(":export [--no-errors] FILE\n") && topic.contains("failed cells out"))
  }
}
