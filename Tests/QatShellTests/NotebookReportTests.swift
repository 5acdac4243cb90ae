import Foundation
import QatOutput
import QatShell
import QatsLanguage
import Testing

/// A table output as later renderers will produce it (HTML fragment with `num` cells).
private struct TableStub: Renderable {
  func render(_ format: RenderFormat) -> String {
    switch format {
    case .html:
      return "<table><thead><tr><th>model</th><th class=\"num\">bits</th></tr></thead>"
        + "<tbody><tr><td>q8</td><td class=\"num\">8</td></tr></tbody></table>"
    case .markdown: return "| model | bits |\n|---|---:|\n| q8 | 8 |"
    case .text: return "model bits\nq8 8"
    }
  }
}

/// An SVG chart output, as the chart renderers will produce it.
private struct ChartStub: Renderable {
  func render(_ format: RenderFormat) -> String {
    format == .html
      ? "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 10 10\">"
        + "<rect width=\"5\" height=\"5\"/></svg>"
      : "chart"
  }
}

/// The elements the reports and the stubs emit; anything else means something was not escaped.
private let knownElements: Set<String> = [
  "html", "head", "meta", "title", "style", "body", "header", "main", "section", "div", "span",
  "h1", "h2", "h3", "h4", "h5", "h6", "p", "pre", "code", "a", "ul", "ol", "li", "strong", "em",
  "hr", "table", "thead", "tbody", "tr", "th", "td", "svg", "rect",
]

/// A tiny tag-balance checker: every start tag is closed in order, void elements excepted,
/// and only `allowed` element names occur. Returns the problems found (empty when fine).
private func tagProblems(_ html: String, allowed: Set<String> = knownElements) -> [String] {
  let voidElements: Set<String> = ["meta", "br", "hr", "img", "link", "input"]
  var stack: [String] = []
  var problems: [String] = []
  var rest = html[...]
  while let open = rest.firstIndex(of: "<") {
    guard let close = rest[open...].firstIndex(of: ">") else {
      problems.append("unterminated tag")
      break
    }
    let inner = rest[rest.index(after: open)..<close]
    rest = rest[rest.index(after: close)...]
    if inner.hasPrefix("!") { continue }  // <!DOCTYPE html>
    let isEnd = inner.hasPrefix("/")
    let name = (isEnd ? inner.dropFirst() : inner).prefix { $0.isLetter || $0.isNumber }.lowercased()
    guard allowed.contains(name) else {
      problems.append("unexpected <\(inner)>")
      continue
    }
    if isEnd {
      guard stack.last == name else {
        problems.append("</\(name)> closes <\(stack.last ?? "nothing")>")
        continue
      }
      stack.removeLast()
    } else if !voidElements.contains(name) && !inner.hasSuffix("/") {
      stack.append(name)
    }
  }
  if !stack.isEmpty { problems.append("unclosed: \(stack)") }
  return problems
}

/// `tagProblems` with the reports' elements, for the other report test files.
func reportTagProblems(_ html: String) -> [String] { tagProblems(html) }

private func sampleNotebook() -> Notebook {
  let notebook = Notebook(title: "demo.qats")
  notebook.addNarrative("# Digits")
  notebook.addNarrative("PTQ versus **QAT**, see [docs](https://example.com/qat).")
  notebook.beginCell(input: "data = images(\"samples/digits\")", mode: "ptq")
  notebook.appendOutput(PlainText("images: 1797 PNG files"))
  notebook.beginCell(input: "net = model(data) {\n  conv(16) ; relu()\n}", mode: "ptq")
  notebook.addNarrative("- one\n- two")
  notebook.beginCell(input: "compare(a, b) < 1 && x", mode: "qat")
  notebook.appendOutput(TableStub())
  notebook.appendOutput(ChartStub())
  notebook.beginCell(input: "train(net, data, epochs: 0)", mode: "qat")
  notebook.failCurrentCell(error: "cell 4:1:18: error: epochs must be ≥ 1")
  return notebook
}

@Suite struct NotebookReportTests {
  // MARK: Notebook

  @Test func notebookNumbersCellsMergesNarrativeAndResets() throws {
    let notebook = Notebook(title: "t")
    notebook.appendOutput(PlainText("ignored: no cell yet"))
    notebook.addNarrative("a")
    notebook.addNarrative("b")
    #expect(notebook.beginCell(input: "1", mode: "ptq") == 1)
    notebook.addNarrative("after")
    notebook.appendOutput(PlainText("x"))  // still goes to cell 1
    notebook.failCurrentCell(error: "e1")
    notebook.failCurrentCell(error: "e2")
    #expect(notebook.beginCell(input: "2", mode: "qat") == 2)
    #expect(notebook.cellCount == 2)
    #expect(notebook.entries.count == 4)
    guard case .narrative(let text) = notebook.entries[0], case .cell(let first) = notebook.entries[1]
    else {
      Issue.record("unexpected entries \(notebook.entries)")
      return
    }
    #expect(text == "a\nb")
    #expect(first.outputs.count == 1)
    #expect(first.error == "e1\ne2")
    #expect(first.label == "[1] ptq>")
    notebook.reset()
    #expect(notebook.entries.isEmpty && notebook.cellCount == 0 && notebook.title == "t")
    #expect(notebook.beginCell(input: "again", mode: "ptq") == 1)
  }

  // MARK: HTML

  @Test func everyCellNumberAndEscapedInputAppearInHTML() {
    let html = HTMLReport.render(sampleNotebook(), generator: "qat-repl 0.1")
    for (number, mode) in [(1, "ptq"), (2, "ptq"), (3, "qat"), (4, "qat")] {
      #expect(html.contains("id=\"cell-\(number)\""))
      #expect(html.contains("[\(number)]</span> <span class=\"mode\">\(mode)&gt;</span>"))
    }
    #expect(html.contains("data = images(<span class=\"tok-str\">&quot;samples/digits&quot;</span>)"))
    #expect(html.contains("net = model(data) {\n  conv(<span class=\"tok-num\">16</span>) ; relu()\n}"))
    #expect(html.contains("compare(a, b) &lt; <span class=\"tok-num\">1</span> &amp;&amp; x"))
    #expect(html.contains("<pre class=\"error\">cell 4:1:18: error: epochs must be ≥ 1</pre>"))
    #expect(html.contains("<td class=\"num\">8</td>"))
    #expect(html.contains("<h2>Digits</h2>"))  // narrative headings sit under the title's <h1>
    #expect(html.contains("<a href=\"https://example.com/qat\">docs</a>"))
  }

  @Test func htmlIsOneBalancedSelfContainedDocument() {
    let html = HTMLReport.render(sampleNotebook(), generator: "qat-repl 0.1 · seed 42")
    #expect(html.hasPrefix("<!DOCTYPE html>\n"))
    #expect(html.contains("<meta charset=\"utf-8\">"))
    #expect(html.contains("<meta name=\"viewport\""))
    #expect(html.contains("<title>demo.qats</title>"))
    #expect(html.contains("qat-repl 0.1 · seed 42"))
    #expect(html.contains("prefers-color-scheme: dark"))
    #expect(html.contains("td.num") && html.contains("svg { display: block; max-width: 100%"))
    #expect(tagProblems(html) == [])
    let lower = html.lowercased()
    for forbidden in ["<script", "<link", "src=", "@import", "url(", "<iframe"] {
      #expect(!lower.contains(forbidden), "report must not load \(forbidden)")
    }
    #expect(tagProblems(HTMLReport.render(Notebook(title: "empty"), generator: "g")) == [])
  }

  @Test func scriptTagsAreEscapedEverywhere() {
    let attack = "<script>alert('x')</script>"
    let notebook = Notebook(title: attack)
    notebook.addNarrative("text \(attack) and <img src=x onerror=alert(1)>")
    notebook.beginCell(input: attack, mode: "ptq")
    notebook.appendOutput(PlainText(attack))
    notebook.failCurrentCell(error: attack)
    let html = HTMLReport.render(notebook, generator: attack)
    #expect(!html.lowercased().contains("<script"))
    #expect(!html.contains("<img"))
    #expect(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"))
    #expect(tagProblems(html) == [])
  }

  // MARK: MarkdownLite

  @Test(arguments: [
    ("# Title", "<h1>Title</h1>"),
    ("### Sub ###", "<h3>Sub</h3>"),
    ("#tag", "<p>#tag</p>"),
    ("- a\n- b *c*", "<ul>\n<li>a</li>\n<li>b <em>c</em></li>\n</ul>"),
    ("- long\n  wrapped", "<li>long\nwrapped</li>"),
    ("3. x\n4. y", "<ol start=\"3\">\n<li>x</li>\n<li>y</li>\n</ol>"),
    ("a\nb\n\nc", "<p>a\nb</p>\n<p>c</p>"),
    ("**b** and *i*", "<p><strong>b</strong> and <em>i</em></p>"),
    ("***x***", "<strong><em>x</em></strong>"),
    ("*a **b** c*", "<em>a <strong>b</strong> c</em>"),
    ("**open and * star", "<p>**open and * star</p>"),
    ("per_channel_x", "<p>per_channel_x</p>"),
    ("\\*not\\*", "<p>*not*</p>"),
    ("`a<b` and `` x`y ``", "<code>a&lt;b</code> and <code>x`y</code>"),
    ("`*no em*`", "<code>*no em*</code>"),
    (
      "```qats\nx = 1 < 2\n\n# not a heading\n```",
      "<pre><code class=\"language-qats\">x = 1 &lt; 2\n\n# not a heading</code></pre>"
    ),
    ("~~~~\n```\n~~~~", "<pre><code>```</code></pre>"),
    ("[site](https://example.com/a?b=1&c=2)", "<a href=\"https://example.com/a?b=1&amp;c=2\">site</a>"),
    ("[**b**](docs/x.html#y)", "<a href=\"docs/x.html#y\"><strong>b</strong></a>"),
    ("<b>raw</b> & co", "<p>&lt;b&gt;raw&lt;/b&gt; &amp; co</p>"),
    ("---", "<hr>"),
  ])
  func markdownLiteConverts(markdown: String, expected: String) {
    #expect(MarkdownLite.html(markdown).contains(expected))
  }

  @Test(arguments: [
    "[x](javascript:alert%281%29)", "[x](JavaScript:alert)", "[x](data:text/html;base64,PHNjcmlwdD4=)",
    "[x](//evil.example)", "[x](java\tscript:alert)", "[x](\\\\evil.example)", "[x](vbscript:msgbox)",
  ])
  func markdownLiteRejectsUnsafeLinks(markdown: String) {
    let html = MarkdownLite.html(markdown)
    #expect(!html.contains("<a"))
    #expect(!html.contains("href"))
  }

  @Test func markdownLiteHeadingOffsetAndURLRules() {
    #expect(MarkdownLite.html("# T", headingOffset: 1) == "<h2>T</h2>")
    #expect(MarkdownLite.html("###### T", headingOffset: 2) == "<h6>T</h6>")
    #expect(MarkdownLite.isSafeURL("http://a.b") && MarkdownLite.isSafeURL("HTTPS://a.b"))
    for relative in ["a/b:c", "#top", "?q=1:2", "../x.html"] { #expect(MarkdownLite.isSafeURL(relative)) }
    #expect(!MarkdownLite.isSafeURL("file:///etc/passwd") && !MarkdownLite.isSafeURL(""))
    #expect(MarkdownLite.html("") == "")
    let unclosed = MarkdownLite.html("```\nunclosed <x>")
    #expect(unclosed == "<pre><code>unclosed &lt;x&gt;</code></pre>")
  }

  // MARK: Markdown report

  @Test func markdownReportLabelsFencesAndErrors() {
    let notebook = sampleNotebook()
    notebook.beginCell(input: "s = \"```\"\nt = \"````\"", mode: "qat")
    let md = MarkdownReport.render(notebook, generator: "qat-repl 0.1")
    #expect(md.hasPrefix("# demo.qats\n\n*qat-repl 0.1*\n\n# Digits\nPTQ versus **QAT**"))
    #expect(md.contains("**[1]** ptq>\n\n```qats\ndata = images(\"samples/digits\")\n```"))
    #expect(md.contains("**[3]** qat>"))
    #expect(md.contains("| model | bits |\n|---|---:|\n| q8 | 8 |"))
    #expect(md.contains("```text\ncell 4:1:18: error: epochs must be ≥ 1\n```"))
    #expect(md.contains("\n\n- one\n- two\n\n"))
    // The input holds runs of 3 and 4 backticks, so its fence must be 5 long.
    #expect(md.contains("**[5]** qat>\n\n`````qats\ns = \"```\"\nt = \"````\"\n`````\n"))
    #expect(md.hasSuffix("\n") && !md.hasSuffix("\n\n"))
  }

  @Test func markdownReportEscapesTitleMarkup() {
    let md = MarkdownReport.render(Notebook(title: "a *b* <i>\nc"), generator: "g")
    #expect(md.hasPrefix("# a \\*b\\* \\<i\\> c\n"))
    #expect(MarkdownReport.fenced("x") == "```\nx\n```")
  }

  // MARK: ReportWriter

  private func makeTempDirectory() throws -> String {
    let path = FileManager.default.temporaryDirectory
      .appendingPathComponent("qat-report-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
    return path
  }

  @Test func writerRejectsUnknownExtensions() throws {
    let directory = try makeTempDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    for name in ["report.txt", "report", "report.html.bak", ".html"] {
      let path = directory + "/" + name
      let error = #expect(throws: ReportError.self) {
        try ReportWriter.write(sampleNotebook(), to: path, generator: "g")
      }
      #expect(error?.message.contains(path) == true)
      #expect(error?.description.contains(".html or .md") == true)
    }
    #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == [])
  }

  @Test func writerNamesAMissingDirectory() throws {
    let missing = NSTemporaryDirectory() + "qat-missing-\(UUID().uuidString)/sub"
    let error = #expect(throws: ReportError.self) {
      try ReportWriter.write(sampleNotebook(), to: missing + "/r.md", generator: "g")
    }
    #expect(error?.message.contains("the directory '\(missing)' does not exist") == true)
  }

  @Test func writerWritesAtomicallyAndLeavesNoTemporaryFiles() throws {
    let directory = try makeTempDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let html = directory + "/Report.HTML"
    let md = directory + "/report.markdown"
    try "old, longer content that must be replaced entirely".write(
      toFile: html, atomically: false, encoding: .utf8)
    try ReportWriter.write(sampleNotebook(), to: html, generator: "g")
    try ReportWriter.write(sampleNotebook(), to: md, generator: "g")
    let files = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
    #expect(files == ["Report.HTML", "report.markdown"])
    let written = try String(contentsOfFile: html, encoding: .utf8)
    #expect(written == HTMLReport.render(sampleNotebook(), generator: "g"))
    #expect(try String(contentsOfFile: md, encoding: .utf8).hasPrefix("# demo.qats\n"))
    // A destination that is a directory fails with a message and still leaves no temp file.
    let blocked = directory + "/blocked.md"
    try FileManager.default.createDirectory(atPath: blocked, withIntermediateDirectories: false)
    let error = #expect(throws: ReportError.self) {
      try ReportWriter.write(sampleNotebook(), to: blocked, generator: "g")
    }
    #expect(error?.message.contains(blocked) == true)
    #expect(try FileManager.default.contentsOfDirectory(atPath: directory).count == 3)
  }
}
