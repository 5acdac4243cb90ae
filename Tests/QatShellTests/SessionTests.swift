import Foundation
import Testing
@testable import QatShell
import QatsLanguage

@Suite struct SessionTests {
  @Test func cellsShowValuesAndNumbersAdvance() {
    let s = CapturedSession()
    #expect(s.session.prompt == "[1] ptq> ")
    #expect(s.input("x = 2", "x * 21", "mode qat") == "42\n")
    #expect(s.session.prompt == "[4] qat> ")
  }

  @Test func runtimeErrorKeepsTheSessionAndItsVariables() {
    let s = CapturedSession()
    s.input("keep = [1, 2]")
    let shown = s.input("keep[5]")
    #expect(shown.contains("<cell 2>:1:6: error: index 5 is out of range for a list of 2 items"))
    #expect(s.input("keep") == "[1, 2]\n")
  }

  @Test func colourOnlyWhenAskedFor() {
    var out = ""
    let coloured = Session(
      options: SessionOptions(color: true), console: Console(out: { out += $0 }, err: { out += $0 }))
    coloured.runInput("nope")
    #expect(out.contains("\u{1B}[1;31merror\u{1B}[0m"))
    let plain = CapturedSession()
    #expect(!plain.input("nope").contains("\u{1B}"))
  }

  @Test func syntaxErrorsOfACellAreAllReported() {
    let s = CapturedSession()
    let shown = s.input("a = (1 +)\nb = ]")
    #expect(shown.components(separatedBy: "syntax error").count - 1 == 2)
  }

  @Test func metaCommands() throws {
    let s = CapturedSession()
    s.input("alpha = 1.5", "## just narrative")
    #expect(s.input(":vars") == "alpha  float  1.5\n")
    #expect(s.input(":help range").hasPrefix("range(a, b: int?, step: 1)\n  The integers from"))
    #expect(s.input(":help rnage").contains("did you mean `range`?"))
    #expect(s.input(":hlep").contains("unknown command :hlep\n  did you mean :help?"))
    #expect(s.input(":help").contains(":save FILE.qats"))
    #expect(s.input(":time 1 + 1").hasPrefix("2\ntime: "))
    #expect(s.input(":save").contains(":save needs a file name ending in .qats"))
    #expect(s.input(":reset").hasPrefix("session reset"))
    #expect(s.session.prompt == "[1] ptq> ")
    #expect(s.input("alpha").contains("unknown name `alpha`"))
  }

  @Test func saveWritesARunnableScriptOfSuccessfulInputs() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let s = CapturedSession()
    s.input("mode qat", "xs = [1,\n 2]", "broken(", "nope + 1", "total = sum(xs)", ":save \(dir)/s.qats")
    let script = try String(contentsOfFile: dir + "/s.qats", encoding: .utf8)
    #expect(script.hasSuffix("mode qat\nxs = [1,\n 2]\ntotal = sum(xs)\n"))
    let replay = CapturedSession()
    #expect(replay.session.runScript(path: dir + "/s.qats") == .success)
    #expect(replay.input("total") == "3\n")
    #expect(replay.session.interpreter.mode == "qat")
    #expect(s.input(":save \(dir)/missing/s.qats").contains("the directory '\(dir)/missing' does not exist"))
  }

  @Test func saveAndExportKeepAnExistingFileUnlessGivenTheBangForm() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try "keep me".write(toFile: dir + "/s.qats", atomically: false, encoding: .utf8)
    try "keep me".write(toFile: dir + "/r.md", atomically: false, encoding: .utf8)
    let s = CapturedSession()
    s.input("x = 1")
    #expect(
      s.input(":save \(dir)/s.qats")
        == "error: :save: '\(dir)/s.qats' already exists and was left as it is\n"
        + "  `:save! \(dir)/s.qats` replaces it, or choose another file name\n")
    #expect(s.input(":export \(dir)/r.md").contains("`:export! \(dir)/r.md` replaces it"))
    #expect(try String(contentsOfFile: dir + "/s.qats", encoding: .utf8) == "keep me")
    #expect(try String(contentsOfFile: dir + "/r.md", encoding: .utf8) == "keep me")
    #expect(s.input(":save! \(dir)/s.qats") == "saved 1 input to \(dir)/s.qats\n")
    #expect(s.input(":export! \(dir)/r.md") == "exported 1 cell to \(dir)/r.md\n")
    #expect(try String(contentsOfFile: dir + "/s.qats", encoding: .utf8).hasSuffix("\nx = 1\n"))
    // Bad paths are refused before anything is written: a directory, a missing one, a wrong extension.
    #expect(s.input(":export \(dir)").contains("unknown file type; use a .html or .md file name"))
    try FileManager.default.createDirectory(atPath: dir + "/d.html", withIntermediateDirectories: false)
    #expect(s.input(":export! \(dir)/d.html").contains("'\(dir)/d.html': it is a directory"))
    #expect(s.input(":save! \(dir)").contains("'\(dir)': it is a directory"))
    #expect(s.input(":export \(dir)/no/r.md").contains("the directory '\(dir)/no' does not exist"))
    #expect(!FileManager.default.fileExists(atPath: dir + "/no"))
  }

  @Test func exportWritesEveryCell() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let s = CapturedSession()
    s.input("## # Title", "x = 1 + 1", "x", "\"<b>\"", "undefined_thing")
    #expect(s.input(":export \(dir)/n.html").hasPrefix("exported 4 cells"))
    let html = try String(contentsOfFile: dir + "/n.html", encoding: .utf8)
    for n in 1...4 { #expect(html.contains("id=\"cell-\(n)\"")) }
    #expect(html.contains("&lt;b&gt;"))
    #expect(html.contains("unknown name"))
    s.input(":export \(dir)/n.md")
    let md = try String(contentsOfFile: dir + "/n.md", encoding: .utf8)
    #expect(md.contains("x = 1 + 1"))
    #expect(s.input(":export \(dir)/n.pdf").contains(".html or .md"))
  }

  @Test func printsInOneCellBecomeOneOutputBlock() {
    let s = CapturedSession()
    s.input("for i in range(3) { print(i) }")
    guard case .cell(let cell)? = s.session.notebook.entries.last else { Issue.record("no cell"); return }
    #expect(cell.outputs.count == 1)
    #expect(cell.outputs.first?.render(.plain) == "0\n1\n2")
  }

  @Test func scriptStatuses() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    func status(_ text: String) -> (QatShell.ExitStatus, String) {
      let path = dir + "/s.qats"
      _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
      let s = CapturedSession()
      let st = s.session.runScript(path: path)
      return (st, s.out + s.err)
    }
    #expect(status("x = 1\nx").0 == .success)
    let (syntax, syntaxText) = status("print(\"ran\")\nx = (1 +\ny = ]")
    #expect(syntax == .syntax)
    #expect(!syntaxText.contains("ran"))  // parsed whole before any cell runs
    #expect(syntaxText.contains("s.qats:3:3: syntax error: expected `)` to close the parenthesis opened at line 2"))
    let (runtime, runtimeText) = status("print(\"first\")\n1 / 0\nprint(\"never\")")
    #expect(runtime == .runtime)
    #expect(runtimeText.contains("first") && !runtimeText.contains("never"))
    #expect(runtimeText.contains("s.qats:2:3: error: division by zero\n  1 / 0\n    ^"))
    let s = CapturedSession()
    #expect(s.session.runScript(path: dir + "/nothing.qats") == .usage)
    #expect(s.err.contains("nothing.qats: no such file"))
    _ = FileManager.default.createFile(atPath: dir + "/bad.qats", contents: Data([0x78, 0x0A, 0x79, 0xFF, 0x0A]))
    #expect(s.session.runScript(path: dir + "/bad.qats") == .usage)
    #expect(s.err.contains("bad.qats:2: the file is not valid UTF-8"))
  }

  @Test func pipedInputRunsCellsAndNamesRealLines() {
    let s = CapturedSession()
    var lines = ["x = [1,", "  2]", "", "len(x)", "oops(", ")", "x[9]", "x"][...]
    let status = ReadLoop.piped(s.session) { lines.popFirst() }
    #expect(status == .runtime)
    #expect(s.out == "2\n[1, 2]\n")
    #expect(s.err.contains("<stdin>:5:1: error: unknown name `oops`"))
    #expect(s.err.contains("<stdin>:7:3: error: index 9 is out of range"))
  }

  @Test func completionSourceReadsVariablesAndMembers() {
    let s = CapturedSession()
    s.input("cfg = {bits: 4, inner: {depth: 2}}")
    #expect(s.session.completionNames().contains("cfg"))
    #expect(s.session.completionNames().contains("print"))
    #expect(s.session.memberNames(of: "cfg") == ["bits", "inner"])
    #expect(s.session.memberNames(of: "cfg.inner") == ["depth"])
    #expect(s.session.memberNames(of: "nothing.here") == [])
  }
}

@Suite struct DocsTests {
  /// docs/language.md's built-in section is generated from the registry; QAT_UPDATE_DOCS=1 rewrites it.
  @Test func languageDocMatchesTheRegistry() throws {
    let path = repoRoot.appendingPathComponent("docs/language.md").path
    let doc = try String(contentsOfFile: path, encoding: .utf8)
    let begin = "<!-- BEGIN BUILTINS -->\n", end = "<!-- END BUILTINS -->"
    guard let b = doc.range(of: begin), let e = doc.range(of: end) else {
      Issue.record("docs/language.md lacks the BEGIN/END BUILTINS markers")
      return
    }
    let registry = CapturedSession().session.interpreter.registry
    let generated = BuiltinDocs.markdown(registry) + "\n"
    if ProcessInfo.processInfo.environment["QAT_UPDATE_DOCS"] == "1" {
      let updated = String(doc[..<b.upperBound]) + generated + String(doc[e.lowerBound...])
      try updated.write(toFile: path, atomically: true, encoding: .utf8)
      return
    }
    #expect(String(doc[b.upperBound..<e.lowerBound]) == generated, "run scripts/update-docs")
  }
}
