import Foundation
import QatOutput
import QatShell
import Testing

/// The `<code>` of cell 1's input in an HTML report of a notebook with that one cell.
private func highlightedInput(_ input: String) throws -> String {
  let notebook = Notebook(title: "t")
  notebook.beginCell(input: input, mode: "ptq")
  let html = HTMLReport.render(notebook, generator: "g")
  let open = "<pre class=\"input\"><code class=\"language-qats\">"
  let start = try #require(html.range(of: open)).upperBound
  let end = try #require(html.range(of: "</code></pre>", range: start..<html.endIndex)).lowerBound
  return String(html[start..<end])
}

/// Highlighted HTML back to the text it shows: spans dropped, the five entities decoded.
private func shownText(_ html: String) -> String {
  var text = html.replacingOccurrences(of: "</span>", with: "")
  for style in ["kw", "str", "num", "com"] {
    text = text.replacingOccurrences(of: "<span class=\"tok-\(style)\">", with: "")
  }
  for (entity, character) in [("&lt;", "<"), ("&gt;", ">"), ("&quot;", "\""), ("&#39;", "'"), ("&amp;", "&")] {
    text = text.replacingOccurrences(of: entity, with: character)
  }
  return text
}

@Suite struct ReportHighlightTests {
  @Test func keywordsStringsNumbersAndCommentsGetTheirClasses() throws {
    let code = try highlightedInput(
      "x = 3  # three <b>\nfor b in [1, 2.5e-3] { if not ok { print('it''s', \"a\\\"b\") } }\nmode qat")
    #expect(code.contains("x = <span class=\"tok-num\">3</span>  <span class=\"tok-com\"># three &lt;b&gt;</span>\n"))
    #expect(
      code.contains(
        "<span class=\"tok-kw\">for</span> b <span class=\"tok-kw\">in</span> [<span class=\"tok-num\">1</span>, "
          + "<span class=\"tok-num\">2.5e-3</span>]"))
    #expect(code.contains("<span class=\"tok-kw\">if</span> <span class=\"tok-kw\">not</span> ok"))
    #expect(
      code.contains("print(<span class=\"tok-str\">&#39;it&#39;</span><span class=\"tok-str\">&#39;s&#39;</span>, "))
    #expect(code.contains("<span class=\"tok-str\">&quot;a\\&quot;b&quot;</span>"))
    #expect(code.hasSuffix("\nmode qat"))  // identifiers stay plain
  }

  @Test(arguments: [
    "<script>alert('x')</script>",
    "s = \"</code></pre><script>alert(1)</script>\"",
    "# </pre><script>\nx = 1 # <img src=x onerror=alert(1)>",
    "t = \"unterminated <script>\nnext & $ @ ` \u{2212}1",
    "## narrative <b>bold</b>\nx = 'a' \\\n  + 'b'\r\n",
    "",
  ])
  func highlightedCodeIsEscapedAndShowsTheInputExactly(input: String) throws {
    let code = try highlightedInput(input)
    #expect(!code.lowercased().contains("<script"))
    #expect(!code.contains("<img") && !code.contains("</pre>"))
    #expect(shownText(code) == input)
    let notebook = Notebook(title: "t")
    notebook.beginCell(input: input, mode: "ptq")
    #expect(reportTagProblems(HTMLReport.render(notebook, generator: "g")) == [])
  }

  @Test func narrativeAndBadCharactersInCodeAreShownNotRun() throws {
    let code = try highlightedInput("## a <i>note</i>\nx = 1 & 2")
    #expect(code.hasPrefix("<span class=\"tok-com\">## a &lt;i&gt;note&lt;/i&gt;</span>\n"))
    #expect(code.hasSuffix("x = <span class=\"tok-num\">1</span> &amp; <span class=\"tok-num\">2</span>"))
  }

  @Test func aHugeCellOfStrayCharactersIsShownWhole() throws {
    let input = String(repeating: "$", count: 300_000) + " 1"
    let code = try highlightedInput(input)
    #expect(code.hasSuffix(" <span class=\"tok-num\">1</span>") && code.count == input.count + 29)
  }

  @Test func reportStylesTheTokenClasses() {
    let html = HTMLReport.render(Notebook(title: "t"), generator: "g")
    for style in [".tok-kw", ".tok-str", ".tok-num", ".tok-com"] { #expect(html.contains(style)) }
  }
}
