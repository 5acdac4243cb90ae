import Foundation
import QatImages
import QatOutput
import QatsLanguage

/// Labelled images shown side by side: half-block thumbnails in the terminal, real PNG images
/// (inline data URIs, so the report stays self-contained) in HTML, plain blocks in Markdown (a
/// Markdown report writes PNG files instead, through `ImageFigure`).
public struct ImageGridView: ImageFigure {
  public var title: String?
  public var cells: [(label: String, image: PixelImage)]
  /// Thumbnail width in terminal columns.
  public var targetWidth: Int

  public init(title: String? = nil, cells: [(label: String, image: PixelImage)], targetWidth: Int = 16) {
    self.title = title
    self.cells = cells
    self.targetWidth = targetWidth
  }

  public func render(_ format: RenderFormat) -> String {
    switch format {
    case .text(let color, let width):
      return textLines(color: color, width: width).joined(separator: "\n")
    case .markdown:
      return (title.map { $0 + "\n\n" } ?? "") + "```\n" + textLines(color: false, width: 100).joined(separator: "\n")
        + "\n```"
    case .html:
      var html = title.map { "<p>" + HTMLEscaping.escape($0) + "</p>" } ?? ""
      html += "<div style=\"display:flex;flex-wrap:wrap;gap:8px\">"
      for cell in cells {
        html +=
          "<figure style=\"margin:0;text-align:center\">" + Self.imageTag(cell.image)
          + "<figcaption style=\"font-size:80%\">" + HTMLEscaping.escape(cell.label) + "</figcaption></figure>"
      }
      return html + "</div>"
    }
  }

  func textLines(color: Bool, width: Int) -> [String] {
    let thumbnails = cells.map { (label: $0.label, image: HalfBlocks.thumbnail($0.image, targetWidth: targetWidth)) }
    let grid = ThumbnailGrid(cells: thumbnails).lines(color: color, width: width)
    return (title.map { [$0] } ?? []) + grid
  }

  public var imageTitle: String? { title }

  /// Each image enlarged with crisp pixels to about `displayWidth` columns, as HTML reports show
  /// it, because a Markdown image has no size of its own and an 8×8 digit would be a speck.
  public func pngImages() -> [(label: String, png: [UInt8])] {
    cells.compactMap { cell in
      guard let png = try? PNGCodec.encode(Self.enlarged(cell.image)) else { return nil }
      return (cell.label, png)
    }
  }

  /// `image` scaled up by a whole factor (nearest neighbour) to at most `displayWidth` columns;
  /// an image that wide or wider, or an empty or malformed one, is returned as it is.
  static func enlarged(_ image: PixelImage, displayWidth: Int = 64) -> PixelImage {
    // The height bound keeps a one-pixel-wide sliver from growing into a huge image.
    let scale = min(displayWidth / max(1, image.width), 4 * displayWidth / max(1, image.height))
    guard scale > 1, image.height > 0, image.channels > 0,
      image.pixels.count == image.width * image.height * image.channels
    else { return image }
    let width = image.width * scale, height = image.height * scale, channels = image.channels
    var pixels = [UInt8](repeating: 0, count: width * height * channels)
    for y in 0..<height {
      for x in 0..<width {
        let from = ((y / scale) * image.width + x / scale) * channels
        let to = (y * width + x) * channels
        for c in 0..<channels { pixels[to + c] = image.pixels[from + c] }
      }
    }
    return PixelImage(width: width, height: height, channels: channels, pixels: pixels)
  }

  /// An `<img>` holding the image as a PNG data URI, scaled up with crisp pixels.
  static func imageTag(_ image: PixelImage, displayWidth: Int = 64) -> String {
    guard let png = try? PNGCodec.encode(image) else { return "" }
    let scale = max(1, displayWidth / max(1, image.width))
    return "<img alt=\"\" src=\"data:image/png;base64," + Data(png).base64EncodedString()
      + "\" width=\"\(image.width * scale)\" height=\"\(image.height * scale)\" style=\"image-rendering:pixelated\">"
  }
}
