/// Images in the terminal with Unicode half blocks: each character cell shows two pixel rows,
/// which makes pixels roughly square in a typical terminal font.
public enum HalfBlocks {
  /// One string per pair of pixel rows, each exactly `image.width` visible characters.
  /// With `color`, "▀" with a 24-bit foreground (top pixel) and background (bottom pixel), reset
  /// at the end of each line. Without, no escape bytes at all: pixels on the minority side of the
  /// midpoint of the image's range are "on" (so the shape, not the background, is drawn), and
  /// each cell is " ", "▀", "▄" or "█".
  public static func lines(_ image: PixelImage, color: Bool) -> [String] {
    guard image.width > 0, image.height > 0, image.pixels.count >= image.width * image.height * image.channels else {
      return []
    }
    let luminance = (0..<(image.width * image.height)).map { i -> Int in
      if image.channels < 3 { return Int(image.pixels[i * image.channels]) }
      let p = i * image.channels
      return (299 * Int(image.pixels[p]) + 587 * Int(image.pixels[p + 1]) + 114 * Int(image.pixels[p + 2]) + 500) / 1000
    }
    let low = luminance.min() ?? 0, high = luminance.max() ?? 0
    // Draw the minority as ink: a dark shape on a light background shows as the shape.
    let brightCount = luminance.filter { 2 * $0 >= low + high }.count
    let invert = high > low && 2 * brightCount > luminance.count
    func on(_ y: Int, _ x: Int) -> Bool {
      guard y < image.height, high > low else { return false }
      return (2 * luminance[y * image.width + x] >= low + high) != invert
    }
    func rgb(_ y: Int, _ x: Int) -> (Int, Int, Int) {
      guard y < image.height else { return (0, 0, 0) }
      let p = (y * image.width + x) * image.channels
      if image.channels < 3 { let v = Int(image.pixels[p]); return (v, v, v) }
      return (Int(image.pixels[p]), Int(image.pixels[p + 1]), Int(image.pixels[p + 2]))
    }
    var out: [String] = []
    for y in stride(from: 0, to: image.height, by: 2) {
      var line = ""
      for x in 0..<image.width {
        if color {
          let (r1, g1, b1) = rgb(y, x), (r2, g2, b2) = rgb(y + 1, x)
          line += "\u{1B}[38;2;\(r1);\(g1);\(b1)m\u{1B}[48;2;\(r2);\(g2);\(b2)m▀"
        } else {
          switch (on(y, x), on(y + 1, x)) {
          case (true, true): line += "█"
          case (true, false): line += "▀"
          case (false, true): line += "▄"
          case (false, false): line += " "
          }
        }
      }
      out.append(color ? line + "\u{1B}[0m" : line)
    }
    return out
  }

  /// The image at a size that reads well as a thumbnail: small images are enlarged by a whole
  /// factor (nearest neighbour, so pixels stay crisp), large ones shrunk to at most `targetWidth`.
  public static func thumbnail(_ image: PixelImage, targetWidth: Int = 16) -> PixelImage {
    guard image.width > 0, image.height > 0 else { return image }
    if image.width > targetWidth {
      let height = max(1, (image.height * targetWidth + image.width / 2) / image.width)
      return Resize.resized(image, width: targetWidth, height: height)
    }
    return ImageMosaic.enlarged(image, by: max(1, targetWidth / image.width))
  }
}
