/// A Renderable that is a picture: reports draw it as SVG (inline in HTML, a file beside a
/// Markdown report) while the terminal gets the Unicode rendering.
public protocol Figure: Renderable {
  /// A complete, standalone `<svg>` element (with `xmlns`), drawn with `currentColor` for text
  /// and axes so it follows a report's light or dark palette.
  func svg() -> String
  /// A one-line description for `alt` text and captions.
  var altText: String { get }
  /// The title the drawing shows itself, if any: a report then adds no caption repeating it.
  var drawnTitle: String? { get }
}

extension Figure {
  public var drawnTitle: String? { nil }
}

/// An output made of several renderables shown in order (a table with its chart). Reports
/// flatten composites so that every figure inside is still drawn as SVG.
public protocol CompositeRenderable: Renderable {
  /// The pieces, in order; a piece may itself be composite.
  var parts: [any Renderable] { get }
}

/// Several renderables shown as one output, in order.
public struct RenderableGroup: CompositeRenderable {
  public var parts: [any Renderable]
  public init(_ parts: [any Renderable]) { self.parts = parts }

  public func render(_ format: RenderFormat) -> String {
    switch format {
    case .text: return parts.map { $0.render(format) }.joined(separator: "\n")
    case .markdown, .html: return parts.map { $0.render(format) }.joined(separator: "\n\n")
    }
  }
}
