/// Several images pasted into one picture (for `show(…, path:)`): a grid of up to `columns`
/// per row, each enlarged by a whole factor to about `cellSize` pixels, with a gap between.
public enum ImageMosaic {
  public static func compose(
    _ images: [PixelImage], columns: Int = 8, cellSize: Int = 32, gap: Int = 2,
    background: UInt8 = 128
  ) -> PixelImage? {
    guard !images.isEmpty else { return nil }
    let channels = images.contains { $0.channels == 3 } ? 3 : 1
    let cells = images.map { image -> PixelImage in
      let rgbOrGray = channels == 3 ? image.asRGB() : image
      let factor = max(1, cellSize / max(1, max(image.width, image.height)))
      return enlarged(rgbOrGray, by: factor)
    }
    let cellWidth = cells.map(\.width).max() ?? 1, cellHeight = cells.map(\.height).max() ?? 1
    let columns = max(1, min(columns, cells.count))
    let rows = (cells.count + columns - 1) / columns
    let width = columns * cellWidth + (columns + 1) * gap, height = rows * cellHeight + (rows + 1) * gap
    var pixels = [UInt8](repeating: background, count: width * height * channels)
    for (n, cell) in cells.enumerated() {
      let left = gap + (n % columns) * (cellWidth + gap), top = gap + (n / columns) * (cellHeight + gap)
      for y in 0..<cell.height {
        let from = y * cell.width * channels, to = ((top + y) * width + left) * channels
        pixels.replaceSubrange(
          to..<(to + cell.width * channels), with: cell.pixels[from..<(from + cell.width * channels)])
      }
    }
    return PixelImage(width: width, height: height, channels: channels, pixels: pixels)
  }

  /// Nearest-neighbour enlargement by a whole factor (pixels stay crisp).
  static func enlarged(_ image: PixelImage, by factor: Int) -> PixelImage {
    guard factor > 1 else { return image }
    let width = image.width * factor, height = image.height * factor, c = image.channels
    var pixels = [UInt8](repeating: 0, count: width * height * c)
    for y in 0..<height {
      for x in 0..<width {
        let source = ((y / factor) * image.width + x / factor) * c, target = (y * width + x) * c
        for k in 0..<c { pixels[target + k] = image.pixels[source + k] }
      }
    }
    return PixelImage(width: width, height: height, channels: c, pixels: pixels)
  }
}
