import QatOutput
import QatsLanguage

/// Renders a notebook as one self-contained HTML5 document.
///
/// Everything is inline (CSS, and SVG from the renderers); nothing is loaded from the network,
/// and a Content-Security-Policy forbids scripts and remote resources, so a report can be mailed
/// or opened offline and stays inert even if some output were to contain markup by mistake.
public enum HTMLReport {
  /// The whole document for `notebook`.
  /// - Parameters:
  ///   - notebook: the narrative and cells to show.
  ///   - generator: a line naming what made the report, e.g. `qat-repl 0.1 · seed 42`.
  /// - Returns: the HTML text, ending with a newline.
  public static func render(_ notebook: Notebook, generator: String) -> String {
    let title = HTMLEscaping.escape(notebook.title)
    var html = """
      <!DOCTYPE html>
      <html lang="en">
      <head>
      <meta charset="utf-8">
      <meta name="viewport" content="width=device-width, initial-scale=1">
      <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
      <meta name="generator" content="\(HTMLEscaping.escape(generator))">
      <title>\(title)</title>
      <style>
      \(stylesheet)
      </style>
      </head>
      <body>
      <header>
      <h1>\(title)</h1>
      <p class="generator">\(HTMLEscaping.escape(generator))</p>
      </header>
      <main>

      """
    if notebook.entries.isEmpty {
      html += "<p class=\"empty\">This notebook has no cells.</p>\n"
    }
    for entry in notebook.entries {
      switch entry {
      case .narrative(let markdown):
        // Offset 1: the report title is the document's only <h1>.
        html += "<section class=\"narrative\">\n"
        html += MarkdownLite.html(markdown, headingOffset: 1)
        html += "\n</section>\n"
      case .cell(let cell):
        html += render(cell)
      }
    }
    html += "</main>\n</body>\n</html>\n"
    return html
  }

  /// One cell: label, input, outputs (already HTML fragments), then the error if any.
  private static func render(_ cell: NotebookCell) -> String {
    let failed = cell.error == nil ? "" : " failed"
    var html = "<section class=\"cell\(failed)\" id=\"cell-\(cell.number)\">\n"
    html += "<div class=\"label\"><span class=\"cell-number\">[\(cell.number)]</span> "
    html += "<span class=\"mode\">\(HTMLEscaping.escape(cell.mode))&gt;</span></div>\n"
    html += "<pre class=\"input\"><code class=\"language-qats\">"
    html += CodeHighlighter.html(cell.input) + "</code></pre>\n"
    for item in cell.outputs.flatMap(ReportParts.flatten) {
      html += "<div class=\"output\">\n" + item.render(.html) + "\n</div>\n"
    }
    if let error = cell.error {
      html += "<pre class=\"error\">" + HTMLEscaping.escape(error) + "</pre>\n"
    }
    html += "</section>\n"
    return html
  }

  // Colours are CSS variables so that dark mode only swaps the palette; SVG charts that draw
  // with `currentColor` or these variables follow it too.
  private static let stylesheet = """
    :root { color-scheme: light dark; --bg: #fdfdfc; --fg: #1f2328; --muted: #59636e;
      --border: #d1d9e0; --code-bg: #f4f5f7; --accent: #0a62b8; --err: #b42318; --err-bg: #fef3f2;
      --head-bg: #eef1f4; --stripe: #f8f9fa; --kw: #8250df; --str: #0a7f3f; --num: #0550ae;
      --com: #6e7781; }
    @media (prefers-color-scheme: dark) {
      :root { --bg: #0f1216; --fg: #e3e8ee; --muted: #949ea9; --border: #333b45; --code-bg: #171c22;
        --accent: #6cb0ff; --err: #ff8a80; --err-bg: #2b1517; --head-bg: #1b2129; --stripe: #13181e;
        --kw: #d2a8ff; --str: #7ee787; --num: #79c0ff; --com: #8b949e; }
    }
    * { box-sizing: border-box; }
    body { margin: 0; background: var(--bg); color: var(--fg);
      font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
        sans-serif; }
    header, main { max-width: 62rem; margin: 0 auto; padding: 0 1.25rem; }
    header { padding-top: 2rem; padding-bottom: 1rem; border-bottom: 1px solid var(--border); }
    h1 { font-size: 1.9rem; line-height: 1.2; margin: 0 0 .3rem; overflow-wrap: anywhere; }
    h2, h3, h4, h5, h6 { line-height: 1.25; margin: 1.4rem 0 .5rem; }
    .generator, .empty { margin: 0; color: var(--muted); font-size: .9rem; }
    main { padding-top: .5rem; padding-bottom: 3rem; }
    a { color: var(--accent); }
    hr { border: 0; border-top: 1px solid var(--border); margin: 1.5rem 0; }
    code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace;
      font-size: .9em; }
    :not(pre) > code { background: var(--code-bg); padding: .1em .35em; border-radius: 4px; }
    pre { background: var(--code-bg); padding: .7rem 1rem; border-radius: 6px; overflow-x: auto;
      margin: .4rem 0; line-height: 1.4; }
    .narrative { margin: 1.5rem 0 .75rem; }
    .cell { margin: 1.1rem 0 1.4rem; }
    .label { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .85rem;
      color: var(--muted); margin-bottom: .1rem; }
    .label .mode { color: var(--accent); }
    pre.input { border-left: 3px solid var(--accent); }
    .cell.failed pre.input { border-left-color: var(--err); }
    .tok-kw { color: var(--kw); font-weight: 600; } .tok-str { color: var(--str); }
    .tok-num { color: var(--num); } .tok-com { color: var(--com); font-style: italic; }
    .output { margin: .4rem 0; overflow-x: auto; }
    pre.out { background: transparent; padding: .2rem 0 .2rem 1rem; margin: 0; }
    p.note { color: var(--muted); font-size: .88rem; margin: .3rem 0; }
    pre.error { color: var(--err); background: var(--err-bg); border-left: 3px solid var(--err); }
    table { border-collapse: collapse; margin: .4rem 0; font-size: .92rem;
      font-variant-numeric: tabular-nums; }
    caption { text-align: left; color: var(--muted); padding-bottom: .3rem; }
    th, td { border: 1px solid var(--border); padding: .3rem .7rem; text-align: left;
      vertical-align: top; }
    th { background: var(--head-bg); font-weight: 600; }
    tbody tr:nth-child(even) { background: var(--stripe); }
    th.num, td.num { text-align: right; white-space: nowrap; }
    svg { display: block; max-width: 100%; height: auto; color: var(--fg); }
    figure.chart { margin: .6rem 0 1rem; max-width: 35rem; }
    figure.chart figcaption { color: var(--muted); font-size: .85rem; margin-top: .2rem; }
    img { max-width: 100%; height: auto; }
    @media print {
      :root { --bg: #fff; --fg: #000; --code-bg: #f4f5f7; --stripe: #fff; }
      pre:not(.error) { white-space: pre-wrap; }
      .cell { break-inside: avoid; }
    }
    """
}
