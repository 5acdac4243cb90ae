import Foundation

/// Builds one standalone SVG document for a chart: `xmlns`, a `viewBox` with matching intrinsic
/// size, `role="img"` and a `<title>`. Text and axes use `currentColor`, so inline charts follow
/// the report's light or dark palette; series use `ChartPalette`. Every piece of text goes
/// through XML escaping, and nothing refers outside the document (no scripts, links or fonts).
struct SVGDocument {
  let width: Double
  var height: Double
  private var body: [String] = []

  /// Sans-serif text at these sizes reads well at the 560-unit width charts are drawn at.
  static let fontSize = 14.0
  static let titleSize = 16.0
  static let fontFamily = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"

  init(width: Double, height: Double) {
    self.width = width
    self.height = height
  }

  /// An estimate of how wide `text` is drawn at `size`, for layout (there is no font metrics
  /// engine here; 0.6 em per character is a safe upper bound for digits and lower-case text).
  static func textWidth(_ text: String, size: Double = fontSize) -> Double { Double(text.count) * size * 0.6 }

  /// Numbers in attributes: at most two decimals, no trailing zeros, never "-0".
  static func n(_ x: Double) -> String {
    guard x.isFinite else { return "0" }
    var s = String(format: "%.2f", x)
    while s.hasSuffix("0") { s.removeLast() }
    if s.hasSuffix(".") { s.removeLast() }
    return s == "-0" ? "0" : s
  }

  static func escape(_ text: String) -> String { HTMLEscaping.escape(text) }

  mutating func raw(_ element: String) { body.append(element) }

  mutating func line(
    _ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, stroke: String = "currentColor",
    opacity: Double? = nil, width: Double = 1, dash: String? = nil
  ) {
    var attrs =
      "x1=\"\(Self.n(x1))\" y1=\"\(Self.n(y1))\" x2=\"\(Self.n(x2))\" y2=\"\(Self.n(y2))\" stroke=\"\(stroke)\""
    if width != 1 { attrs += " stroke-width=\"\(Self.n(width))\"" }
    if let opacity { attrs += " stroke-opacity=\"\(Self.n(opacity))\"" }
    if let dash { attrs += " stroke-dasharray=\"\(dash)\"" }
    body.append("<line \(attrs)/>")
  }

  mutating func rect(
    _ x: Double, _ y: Double, _ w: Double, _ h: Double, fill: String, opacity: Double? = nil,
    tooltip: String? = nil
  ) {
    var element =
      """
      <rect x=\"\(Self.n(x))\" y=\"\(Self.n(y))\" width=\"\(Self.n(max(0, w)))\" height=\"\(Self.n(max(0, h)))\" \
      fill=\"\(fill)\"
      """
    if let opacity { element += " fill-opacity=\"\(Self.n(opacity))\"" }
    element += tooltip.map { "><title>\(Self.escape($0))</title></rect>" } ?? "/>"
    body.append(element)
  }

  enum Anchor: String { case start, middle, end }

  /// The chart's title at the top left, in a smaller font when it is too long for `width` (down to
  /// 11 px), and cut with an ellipsis if even that is too long, so it never runs off the drawing.
  mutating func title(_ content: String, width: Double) {
    let room = width - 32
    var size = Self.titleSize
    while size > 11 && Self.textWidth(content, size: size) > room { size -= 0.5 }
    var shown = content
    let fits = Int(room / (size * 0.6))
    if shown.count > fits && fits > 1 { shown = String(shown.prefix(fits - 1)) + "…" }
    text(shown, x: 16, y: 24, size: size, bold: true)
  }

  mutating func text(
    _ content: String, x: Double, y: Double, anchor: Anchor = .start, size: Double? = nil,
    bold: Bool = false, opacity: Double? = nil, rotate: Bool = false
  ) {
    var attrs = "x=\"\(Self.n(x))\" y=\"\(Self.n(y))\""
    if anchor != .start { attrs += " text-anchor=\"\(anchor.rawValue)\"" }
    if let size { attrs += " font-size=\"\(Self.n(size))\"" }
    if bold { attrs += " font-weight=\"600\"" }
    if let opacity { attrs += " fill-opacity=\"\(Self.n(opacity))\"" }
    if rotate { attrs += " transform=\"rotate(-90 \(Self.n(x)) \(Self.n(y)))\"" }
    body.append("<text \(attrs)>\(Self.escape(content))</text>")
  }

  /// Series `series`' marker (circle, square, triangle, diamond, down-triangle, ring) centred on
  /// (`x`, `y`), with a tooltip.
  mutating func marker(_ series: Int, x: Double, y: Double, tooltip: String) {
    let color = ChartPalette.svgColor(series)
    let r = 4.0
    let tip = "<title>\(Self.escape(tooltip))</title>"
    switch series % ChartPalette.markers.count {
    case 0:
      body.append(
        "<circle cx=\"\(Self.n(x))\" cy=\"\(Self.n(y))\" r=\"\(Self.n(r))\" fill=\"\(color)\">\(tip)</circle>")
    case 1:
      body.append(
        """
        <rect x=\"\(Self.n(x - r))\" y=\"\(Self.n(y - r))\" width=\"\(Self.n(2 * r))\" height=\"\(Self.n(2 * r))\" \
        fill=\"\(color)\">\(tip)</rect>
        """
      )
    case 2: polygon([(x, y - r - 1), (x + r + 1, y + r), (x - r - 1, y + r)], color, tip)
    case 3: polygon([(x, y - r - 1), (x + r + 1, y), (x, y + r + 1), (x - r - 1, y)], color, tip)
    case 4: polygon([(x - r - 1, y - r), (x + r + 1, y - r), (x, y + r + 1)], color, tip)
    default:
      body.append(
        """
        <circle cx=\"\(Self.n(x))\" cy=\"\(Self.n(y))\" r=\"\(Self.n(r))\" fill=\"none\" stroke=\"\(color)\" \
        stroke-width=\"2\">\(tip)</circle>
        """
      )
    }
  }

  private mutating func polygon(_ points: [(Double, Double)], _ color: String, _ tip: String) {
    let list = points.map { "\(Self.n($0.0)),\(Self.n($0.1))" }.joined(separator: " ")
    body.append("<polygon points=\"\(list)\" fill=\"\(color)\">\(tip)</polygon>")
  }

  mutating func polyline(_ points: [(Double, Double)], stroke: String, width: Double = 2) {
    let list = points.map { "\(Self.n($0.0)),\(Self.n($0.1))" }.joined(separator: " ")
    body.append(
      """
      <polyline points=\"\(list)\" fill=\"none\" stroke=\"\(stroke)\" stroke-width=\"\(Self.n(width))\" \
      stroke-linejoin=\"round\" stroke-linecap=\"round\"/>
      """
    )
  }

  /// Legend entries laid out left to right from `x`, wrapping within `maxWidth`; returns the
  /// height used. `draw` draws entry i's swatch centred on the point it is given.
  mutating func legend(
    _ names: [String], x: Double, y: Double, maxWidth: Double,
    swatch: (inout SVGDocument, Int, Double, Double) -> Void
  ) -> Double {
    var cx = x, cy = y
    let rowHeight = 20.0
    for (i, name) in names.enumerated() {
      let w = 30 + Self.textWidth(name) + 18
      if cx > x && cx + w > x + maxWidth {
        cx = x
        cy += rowHeight
      }
      swatch(&self, i, cx + 12, cy)
      text(name, x: cx + 28, y: cy + 4)
      cx += w
    }
    return names.isEmpty ? 0 : cy - y + rowHeight
  }

  /// Every chart is drawn this many units wide; the text sizes above are chosen for it.
  static let chartWidth = 560.0

  /// A chart's document with its title drawn (when it has one), and the y where the drawing
  /// below the title starts.
  static func chart(title: String?) -> (document: SVGDocument, top: Double) {
    let top = 14.0 + (title == nil ? 0 : 32)
    var doc = SVGDocument(width: chartWidth, height: top + 40)
    if let title { doc.title(title, width: chartWidth) }
    return (doc, top)
  }

  /// A chart with nothing to draw, finished: `message` centred under the title.
  func empty(_ message: String, top: Double, alt: String) -> String {
    var doc = self
    doc.text(message, x: width / 2, y: top + 20, anchor: .middle, opacity: 0.7)
    return doc.render(title: alt)
  }

  /// The finished document. The title is the accessible name (`role="img"` + `<title>`).
  func render(title: String) -> String {
    """
    <svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(Self.n(width)) \(Self.n(height))\" \
    width=\"\(Self.n(width))\" height=\"\(Self.n(height))\"
    """
      + " role=\"img\" font-family=\"\(Self.fontFamily)\" font-size=\"\(Self.n(Self.fontSize))\" fill=\"currentColor\">"
      + "<title>\(Self.escape(title))</title>" + body.joined() + "</svg>"
  }
}
