/// One PNG file made ready for a model, exactly as the folder loader prepares dataset images:
/// decoded to the model's colour, resized to its size, normalized by the training statistics.
public enum ImagePreparation {
  /// CHW floats for the PNG at `path`. Throws `PNGError` (with the reason) if it cannot be read.
  public static func prepare(path: String, channels: Int, height: Int, width: Int, mean: [Double], std: [Double])
    throws(PNGError) -> [Float]
  {
    let image = try PNGCodec.decode(path: path, color: channels == 1 ? .gray : .rgb)
    let plane = height * width
    var pixels = [Float](repeating: 0, count: channels * plane)
    pixels.withUnsafeMutableBufferPointer { buffer in
      guard let base = buffer.baseAddress else { return }
      ResizePlan(sourceWidth: image.width, sourceHeight: image.height, width: width, height: height).apply(
        image, into: base)
    }
    // The loader's own normalization, so a file and its dataset copy agree bit for bit.
    ChannelStats.normalize(&pixels, channels: channels, plane: plane, mean: mean, std: std, threads: 1)
    return pixels
  }
}
