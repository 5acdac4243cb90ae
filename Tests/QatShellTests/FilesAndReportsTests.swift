import Foundation
import QatOutput
@testable import QatShell
import QatsLanguage
import Testing

/// Files the shell reads and writes (named pipes, names with escape codes, symbolic links, file
/// modes), Markdown reports that outputs cannot break out of, and Ctrl-D on a continuation line.
@Suite struct FilesAndReportsTests {
  /// Runs `body`, which may open the named pipe `fifo`; should it block there (the bug being
  /// tested), a writer opens the pipe after two seconds, so the test fails instead of hanging.
  func withPipeReleased<R>(_ fifo: String, _ body: () -> R) -> R {
    let done = DispatchSemaphore(value: 0)
    DispatchQueue.global().async {
      if done.wait(timeout: .now() + 2) == .timedOut {
        let fd = open(fifo, O_RDWR | O_NONBLOCK)
        if fd >= 0 { close(fd) }
      }
    }
    let result = body()
    done.signal()
    return result
  }

  @Test func aNamedPipeAsAScriptIsRefusedWithoutWaiting() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let fifo = dir + "/pipe.qats"
    #expect(mkfifo(fifo, 0o600) == 0)
    let start = Date()
    let s = CapturedSession()
    let loaded = withPipeReleased(fifo) { s.input(":load \(fifo)") }
    #expect(loaded == "error: \(fifo) is a named pipe (FIFO), not a regular file; give the path of a .qats script\n")
    let status = withPipeReleased(fifo) { s.session.runScript(path: fifo) }
    #expect(status == .usage)
    #expect(
      s.err.hasSuffix("error: \(fifo) is a named pipe (FIFO), not a regular file; give the path of a .qats script\n"))
    let model = withPipeReleased(fifo) { s.input("load(\"\(fifo)\")") }
    #expect(model.contains("cannot load '\(fifo)': it is not a regular file (a named pipe (FIFO))"))
    #expect(Date().timeIntervalSince(start) < 1)
  }

  @Test func scriptNamesWithEscapeCodesArePrintedEscaped() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = dir + "/\u{1B}[2Jx.qats"
    try "1 / 0\n".write(toFile: path, atomically: false, encoding: .utf8)
    let s = CapturedSession()
    let text = s.input(":load \(path)")
    #expect(text.contains("\(dir)/\\u{1b}[2Jx.qats:1:3: error: division by zero"))
    #expect(!text.contains("\u{1B}"))
    #expect(!s.input(":load \(dir)/\u{1B}missing.qats").contains("\u{1B}"))
    #expect(!s.input(":save \(dir)/\u{1B}[31m.qats").contains("\u{1B}"))
  }

  @Test func saveGoesThroughASymbolicLinkAndKeepsTheMode() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let target = dir + "/private.qats"
    try "old".write(toFile: target, atomically: false, encoding: .utf8)
    #expect(chmod(target, 0o600) == 0)
    try FileManager.default.createSymbolicLink(atPath: dir + "/link.qats", withDestinationPath: "private.qats")
    let s = CapturedSession()
    #expect(s.input("x = 1", ":save! \(dir)/link.qats") == "saved 1 input to \(dir)/link.qats\n")
    #expect(try FileManager.default.destinationOfSymbolicLink(atPath: dir + "/link.qats") == "private.qats")
    #expect(try String(contentsOfFile: target, encoding: .utf8).hasSuffix("\nx = 1\n"))
    #expect((try FileManager.default.attributesOfItem(atPath: target)[.posixPermissions] as? Int) == 0o600)
    // A file name as long as the file system allows (255 bytes) can be saved.
    let long = dir + "/" + String(repeating: "s", count: 250) + ".qats"
    #expect(s.input(":save \(long)").hasPrefix("saved 1 input"))
    #expect(FileManager.default.fileExists(atPath: long))
  }

  // MARK: Markdown reports

  /// The lines of `markdown` outside fenced code blocks, by CommonMark's rules.
  func linesOutsideCode(_ markdown: String) -> [String] {
    var outside: [String] = []
    var fence: (Character, Int)? = nil
    for line in markdown.split(separator: "\n", omittingEmptySubsequences: false) {
      let body = line.drop { $0 == " " }
      let run = body.prefix { $0 == body.first }
      let isFence = line.count - body.count <= 3 && run.count >= 3 && (run.first == "`" || run.first == "~")
      if let (character, length) = fence {
        if isFence, run.first == character, run.count >= length, body.dropFirst(run.count).allSatisfy({ $0 == " " }) {
          fence = nil
        }
      } else if isFence, let character = run.first {
        fence = (character, run.count)
      } else {
        outside.append(String(line))
      }
    }
    #expect(fence == nil, "a code block is left open")
    return outside
  }

  /// An output that puts its text in a fixed ``` fence after a title, as the image grid does.
  struct FixedFenceOutput: Renderable {
    var title: String
    var text: String
    func render(_ format: RenderFormat) -> String {
      format == .markdown ? title + "\n\n```\n" + text + "\n```" : text
    }
  }

  @Test func outputsCannotBreakOutOfTheirCodeBlocks() {
    let notebook = Notebook(title: "t")
    notebook.beginCell(input: "x", mode: "ptq")
    notebook.appendOutput(PlainText("before\n```\n<script>alert(1)</script>\n````\nafter"))
    notebook.appendOutput(FixedFenceOutput(title: "grid <b>", text: "```\n<img src=x onerror=alert(1)>"))
    notebook.appendOutput(
      TextTable(title: "classes", headers: ["class", "n"], rows: [["<script>alert(2)</script>", "1"]]))
    notebook.appendOutput(NoteText(lines: ["<iframe src=x>", "`<b>`"]))
    notebook.beginCell(input: "y", mode: "ptq")
    notebook.appendOutput(PlainText("```"))
    let md = MarkdownReport.render(notebook, generator: "g")
    // The text of each output is whole, inside a fence longer than any backtick run in it.
    #expect(md.contains("`````\nbefore\n```\n<script>alert(1)</script>\n````\nafter\n`````"))
    #expect(md.contains("grid &lt;b>\n\n````\n```\n<img src=x onerror=alert(1)>\n````"))
    #expect(md.contains("````\n```\n````"))
    // No tag starts outside code: every "<" there is written &lt;.
    let outside = linesOutsideCode(md)
    #expect(!outside.contains { $0.contains("<") }, "\(outside.filter { $0.contains("<") })")
    #expect(outside.contains("| &lt;script>alert(2)&lt;/script> | 1 |"))
    // Both cells are still there, the second after the first.
    #expect(md.contains("**[2]** ptq>"))
  }

  @Test func anExportedMarkdownReportKeepsStringsInTheirBlocks() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let s = CapturedSession()
    s.input("x = \"```\\n<script>alert(1)</script>\"", "x", "print(\"<b>bold</b>\")")
    #expect(s.input(":export \(dir)/r.md") == "exported 3 cells to \(dir)/r.md\n")
    let md = try String(contentsOfFile: dir + "/r.md", encoding: .utf8)
    #expect(md.contains("````\n```\n<script>alert(1)</script>\n````"))
    #expect(!linesOutsideCode(md).contains { $0.contains("<") })
  }

  // MARK: The read loop

  @Test func ctrlDOnAContinuationLineCancelsTheBlock() {
    var buffer = ""
    #expect(ReadLoop.step(.line("xs = [1,"), buffer: &buffer) == .more)
    #expect(ReadLoop.step(.endOfInput, buffer: &buffer) == .cancelled(ctrlC: false))
    #expect(buffer.isEmpty)
    // At an empty prompt Ctrl-D leaves (a terminal that went away reads the same, twice at most).
    #expect(ReadLoop.step(.endOfInput, buffer: &buffer) == .leave)
    #expect(ReadLoop.step(.line("1 +"), buffer: &buffer) == .more)
    #expect(ReadLoop.step(.interrupted, buffer: &buffer) == .cancelled(ctrlC: true))
    #expect(ReadLoop.step(.line("  "), buffer: &buffer) == .more)
    #expect(ReadLoop.step(.line("f(1,"), buffer: &buffer) == .more)
    #expect(ReadLoop.step(.line("2)"), buffer: &buffer) == .run("f(1,\n2)\n"))
    #expect(buffer.isEmpty)
  }

  @Test func aHistoryFileThatIsNotARegularFileIsNotUsed() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    #expect(Launcher.usableHistoryFile(nil) == (nil, nil))
    #expect(Launcher.usableHistoryFile(dir + "/new") == (dir + "/new", nil))
    #expect(mkfifo(dir + "/fifo", 0o600) == 0)
    let fifo = Launcher.usableHistoryFile(dir + "/fifo")
    #expect(fifo.path == nil)
    #expect(fifo.warning?.contains("'\(dir)/fifo' is not a regular file") == true)
    #expect(Launcher.usableHistoryFile(dir).path == nil)
  }
}
