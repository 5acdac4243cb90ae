/// One PNG file made ready for a model, exactly as the folder loader prepares dataset images:
/// decoded to the model's colour, resized to its size, normalized by the training statistics.
public enum ImagePreparation {
  /// A prepared file: its pixels, and what had to change for the model to read it.
  public struct Prepared: Sendable, Equatable {
    /// CHW floats, normalized.
    public var pixels: [Float]
    /// `note: 32×32 RGB image converted to 8×8 gray, as the model expects` when the file's size or
    /// colour mode differed from the model's input; nil when the file was already what the model reads.
    public var conversionNote: String?
  }

  /// CHW floats for the PNG at `path`. Throws `PNGError` (with the reason) if it cannot be read.
  public static func prepare(path: String, channels: Int, height: Int, width: Int, mean: [Double], std: [Double])
    throws(PNGError) -> Prepared
  {
    let (image, source) = try PNGCodec.decodeWithInfo(path: path, color: channels == 1 ? .gray : .rgb)
    let plane = height * width
    var pixels = [Float](repeating: 0, count: channels * plane)
    pixels.withUnsafeMutableBufferPointer { buffer in
      guard let base = buffer.baseAddress else { return }
      ResizePlan(sourceWidth: image.width, sourceHeight: image.height, width: width, height: height).apply(
        image, into: base)
    }
    // The loader's own normalization, so a file and its dataset copy agree bit for bit.
    ChannelStats.normalize(&pixels, channels: channels, plane: plane, mean: mean, std: std, threads: 1)
    return Prepared(
      pixels: pixels,
      conversionNote: conversionNote(
        source: source, sourceWidth: image.width, sourceHeight: image.height, channels: channels, height: height,
        width: width))
  }

  /// The note for a file whose size or colour mode is not the model's, or nil. A silent resize or
  /// colour conversion can explain a surprising prediction, so the user is told what was done.
  static func conversionNote(
    source: PNGSourceInfo, sourceWidth: Int, sourceHeight: Int, channels: Int, height: Int, width: Int
  ) -> String? {
    let from = modeName(colorType: source.colorType)
    let to = channels == 1 ? "gray" : "RGB"
    guard from != to || sourceWidth != width || sourceHeight != height else { return nil }
    return "note: \(sourceWidth)×\(sourceHeight) \(from) image converted to \(width)×\(height) \(to), "
      + "as the model expects"
  }

  /// The PNG colour type (IHDR) in the words the notes use.
  static func modeName(colorType: Int) -> String {
    switch colorType {
    case 0: return "gray"
    case 2: return "RGB"
    case 3: return "palette"
    case 4: return "gray+alpha"
    case 6: return "RGBA"
    default: return "colour type \(colorType)"
    }
  }
}
