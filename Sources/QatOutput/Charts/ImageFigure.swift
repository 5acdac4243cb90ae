/// A Renderable that shows pixel images (thumbnails of a dataset, one sample): a Markdown report
/// writes each image as a PNG file beside it and links it, where the output's own Markdown can
/// only draw them as text.
public protocol ImageFigure: Renderable {
  /// A line shown above the images, if any.
  var imageTitle: String? { get }
  /// Each image as the bytes of a PNG file, with its label for the alt text. An image that cannot
  /// be encoded is left out rather than failing the report.
  func pngImages() -> [(label: String, png: [UInt8])]
}
