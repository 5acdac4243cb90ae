import Foundation
import QatShell
import Testing

/// GitHub pipe tables in `##` narrative: an HTML table in HTML reports, a table in Markdown ones.
@Suite struct ReportTableTests {
  @Test func pipeTablesBecomeHTMLTables() {
    let markdown = """
      Results:
      | bits | method | accuracy |
      |-----:|:-------|:--------:|
      | 8 | **ptq** | 98.6 % |
      | 4 | `qat` \\| lsq |
      after
      """
    let expected = """
      <p>Results:</p>
      <table>
      <thead>
      <tr><th style="text-align: right">bits</th><th style="text-align: left">method</th>\
      <th style="text-align: center">accuracy</th></tr>
      </thead>
      <tbody>
      <tr><td style="text-align: right">8</td><td style="text-align: left"><strong>ptq</strong></td>\
      <td style="text-align: center">98.6 %</td></tr>
      <tr><td style="text-align: right">4</td><td style="text-align: left"><code>qat</code> | lsq</td>\
      <td style="text-align: center"></td></tr>
      </tbody>
      </table>
      <p>after</p>
      """
    #expect(MarkdownLite.html(markdown) == expected)
  }

  @Test(arguments: [
    ("a | b", "<p>a | b</p>"),  // no delimiter row
    ("| a | b |\n|---|", "<p>| a | b |\n|---|</p>"),  // cell counts differ
    ("| a |\n| - |", "<table>\n<thead>\n<tr><th>a</th></tr>\n</thead>\n</table>"),
    (
      "a | b\n--- | ---\nc | d",
      "<table>\n<thead>\n<tr><th>a</th><th>b</th></tr>\n</thead>\n<tbody>\n<tr><td>c</td><td>d</td></tr>\n</tbody>\n</table>"
    ),
    (
      "| <script> | [x](javascript:alert(1)) |\n|---|---|",
      "<table>\n<thead>\n<tr><th>&lt;script&gt;</th><th>[x](javascript:alert(1))</th></tr>\n</thead>\n</table>"
    ),
  ])
  func tableEdgeCases(markdown: String, expected: String) {
    #expect(MarkdownLite.html(markdown) == expected)
  }

  @Test func scriptNarrativeTablesRenderInBothReports() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let script = dir + "/t.qats"
    let lines = ["## | bits | accuracy |", "## |---|--:|", "## | 8 | 98 % |", "x = 1"]
    try lines.joined(separator: "\n").write(toFile: script, atomically: true, encoding: .utf8)
    let s = CapturedSession()
    #expect(s.session.runScript(path: script) == .success, "\(s.err)")
    try ReportWriter.write(s.session.notebook, to: dir + "/r.html", generator: "g")
    try ReportWriter.write(s.session.notebook, to: dir + "/r.md", generator: "g")
    let html = try String(contentsOfFile: dir + "/r.html", encoding: .utf8)
    let md = try String(contentsOfFile: dir + "/r.md", encoding: .utf8)
    #expect(
      html.contains(
        "<table>\n<thead>\n<tr><th>bits</th><th style=\"text-align: right\">accuracy</th></tr>\n</thead>\n<tbody>\n"
          + "<tr><td>8</td><td style=\"text-align: right\">98 %</td></tr>\n</tbody>\n</table>"))
    #expect(md.contains("\n\n| bits | accuracy |\n|---|--:|\n| 8 | 98 % |\n\n"))
    #expect(reportTagProblems(html) == [])
  }
}
