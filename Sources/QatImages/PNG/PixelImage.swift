/// An 8-bit image in memory: rows top to bottom, channels interleaved (gray, or R G B).
/// This is what decoding produces and what resizing, thumbnails and encoding consume.
public struct PixelImage: Sendable, Equatable {
  /// Columns.
  public var width: Int
  /// Rows.
  public var height: Int
  /// 1 (gray) or 3 (RGB).
  public var channels: Int
  /// `height × width × channels` samples, row-major, channels interleaved.
  public var pixels: [UInt8]

  public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) {
    self.width = width
    self.height = height
    self.channels = channels
    self.pixels = pixels
  }

  /// The sample at row `y`, column `x`, channel `c`.
  @inlinable public subscript(y: Int, x: Int, c: Int) -> UInt8 {
    pixels[(y * width + x) * channels + c]
  }

  /// The same picture with three channels (gray is replicated); RGB images are returned unchanged.
  public func asRGB() -> PixelImage {
    if channels == 3 { return self }
    var out = [UInt8](repeating: 0, count: width * height * 3)
    for i in 0..<(width * height) {
      let v = pixels[i]
      out[3 * i] = v; out[3 * i + 1] = v; out[3 * i + 2] = v
    }
    return PixelImage(width: width, height: height, channels: 3, pixels: out)
  }
}
