import Foundation

// Each chart is a Figure: Unicode in the terminal, a fenced text picture in Markdown cells,
// inline SVG in HTML, and an SVG file beside a Markdown report.

extension LineChart: Figure {
  /// The title, or "accuracy against bits: ptq, qat".
  public var altText: String {
    if let title { return title }
    // Series named after the y columns (`plot(…, y: ["loss", "accuracy"])`) add nothing.
    let columns = Set(yLabel.components(separatedBy: ", "))
    let names = series.map(\.name).filter { !columns.contains($0) }
    return "\(yLabel) against \(xLabel)" + (names.isEmpty ? "" : ": " + names.joined(separator: ", "))
  }
  public var drawnTitle: String? { title }
  public func svg() -> String { svgDocument() }
  public func render(_ format: RenderFormat) -> String {
    FigureRendering.render(self, format) { text(width: $0, color: $1) }
  }
}

extension BarChart: Figure {
  /// The title, or "<value label> by bar".
  public var altText: String { title ?? "\(valueLabel) per bar" }
  public var drawnTitle: String? { title }
  public func svg() -> String { svgDocument() }
  public func render(_ format: RenderFormat) -> String {
    FigureRendering.render(self, format) { text(width: $0, color: $1) }
  }
}

extension HistogramChart: Figure {
  /// The title, or "distribution of <value label>".
  public var altText: String { title ?? "distribution of \(valueLabel)" }
  public var drawnTitle: String? { title }
  public func svg() -> String { svgDocument() }
  public func render(_ format: RenderFormat) -> String {
    FigureRendering.render(self, format) { text(width: $0, color: $1) }
  }
}

extension Figure {
  /// The SVG as a file of its own (beside a Markdown report): an XML declaration, and a style
  /// that sets `currentColor` for light and dark viewers, because outside a report nothing else
  /// sets it. Inline SVG does not get the style, so the report's palette stays in charge.
  public func svgFile() -> String {
    let svg = self.svg()
    let style = "<style>svg { color: #1f2328; } @media (prefers-color-scheme: dark) { svg { color: #e3e8ee; } }</style>"
    var text = svg
    if let open = svg.range(of: "<svg"), let end = svg[open.upperBound...].firstIndex(of: ">") {
      text = String(svg[..<svg.index(after: end)]) + style + String(svg[svg.index(after: end)...])
    }
    return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + text + "\n"
  }
}

/// The text form every chart shares: `.text` draws the Unicode chart, `.markdown` puts the same
/// picture (without colour) in a code block, `.html` inlines the SVG in a `<figure>`, captioned
/// with the alt text only when the drawing shows no title of its own (else the title would be
/// printed twice, once in the SVG and once under it).
enum FigureRendering {
  /// Markdown has no terminal width; 80 columns reads well in a rendered code block.
  static let markdownWidth = 80

  static func render(_ figure: some Figure, _ format: RenderFormat, text: (Int, Bool) -> String) -> String {
    switch format {
    case .text(let color, let width): return text(width, color)
    case .markdown: return MarkdownCode.fenced(text(markdownWidth, false))
    case .html:
      let caption =
        figure.drawnTitle == nil ? "<figcaption>" + HTMLEscaping.escape(figure.altText) + "</figcaption>" : ""
      return "<figure class=\"chart\">" + figure.svg() + caption + "</figure>"
    }
  }
}

/// Fenced code blocks whose fence outlasts any backtick run inside.
enum MarkdownCode {
  static func fenced(_ text: String) -> String {
    var longest = 0, run = 0
    for ch in text {
      run = ch == "`" ? run + 1 : 0
      longest = max(longest, run)
    }
    let fence = String(repeating: "`", count: max(3, longest + 1))
    return fence + "\n" + text + "\n" + fence
  }
}
