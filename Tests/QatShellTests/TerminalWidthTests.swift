import Foundation
import Testing
import QatShell
import QatsLanguage

/// A terminal session follows the window's width: charts are drawn for the width at the time
/// they are shown, and progress lines are cut so that erasing them never leaves wrapped rows.
@Suite struct TerminalWidthTests {
  final class Columns: @unchecked Sendable {
    var value = 60
  }

  func session(_ columns: Columns, progress: Bool) -> (Session, () -> String) {
    var out = ""
    let session = Session(
      options: SessionOptions(
        color: false, width: 100, seed: 0, title: "t", progress: progress, liveWidth: { columns.value }),
      console: Console(out: { out += $0 }, err: { out += $0 }))
    return (session, { out })
  }

  @Test func chartsFollowTheCurrentWidth() {
    let columns = Columns()
    let (s, output) = session(columns, progress: false)
    for width in [60, 35, 90] {
      columns.value = width
      let before = output().count
      s.runInput("plot([{x: 1, y: 2}, {x: 2, y: 5}, {x: 3, y: 4}], x: \"x\", y: \"y\")")
      let lines = String(output().dropFirst(before)).split(separator: "\n")
      #expect(lines.count > 8)
      #expect(lines.map(\.count).max() ?? 0 <= width, "width \(width)")
      #expect(lines.map(\.count).max() ?? 0 >= width - 10, "the chart uses the width it has (\(width))")
    }
  }

  @Test func progressLinesAreCutToTheWidth() {
    let columns = Columns()
    columns.value = 30
    let (s, output) = session(columns, progress: true)
    s.runInput("d = images(\"\(repoRoot.appendingPathComponent("samples/digits").path)\")")
    s.runInput("net = model(d) { flatten(); dense(10) }")
    s.runInput("train(net, d, epochs: 1)")
    // Every redraw is "\r ESC[2K" followed by the progress line (no newline; a segment with one
    // is the clear before a regular output): none may be as wide as the terminal.
    let redraws = output().components(separatedBy: "\r\u{1B}[2K").dropFirst().filter {
      !$0.contains("\n") && !$0.isEmpty
    }
    #expect(!redraws.isEmpty)
    for line in redraws {
      #expect(line.count < 30, "\(line)")
    }
  }
}
