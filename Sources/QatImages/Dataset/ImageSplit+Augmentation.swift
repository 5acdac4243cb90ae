import QatSupport

extension ImageSplit {
  /// The normalized value of a black pixel in each channel, (0 − mean) / std: what torchvision's
  /// zero padding (of raw pixels, before `Normalize`) becomes in our normalized images.
  public var blackValues: [Float] { Augmentation.black(mean: mean, std: std) }

  /// A new split holding the images at `indices`, each augmented with the choice drawn for its
  /// position in `indices` under `seed` (the first image is position 0), so a user sees exactly what
  /// training does to an image. Labels, paths and normalization are kept; padding is black.
  public func augmented(_ indices: [Int], with augmentation: Augmentation, seed: UInt64, name: String) -> ImageSplit {
    let plane = height * width
    let fill = blackValues
    var out = [Float](repeating: 0, count: indices.count * imageSize)
    for (position, index) in indices.enumerated() {
      let choice = augmentation.choice(seed: seed, position: position)
      let source = index * imageSize, target = position * imageSize
      for c in 0..<channels {
        for y in 0..<height {
          for x in 0..<width {
            let value: Float
            if let s = choice.source(y: y, x: x, height: height, width: width) {
              value = pixels[source + c * plane + s.y * width + s.x]
            } else {
              value = fill[c]
            }
            out[target + c * plane + y * width + x] = value
          }
        }
      }
    }
    return ImageSplit(
      name: name, classes: classes, channels: channels, height: height, width: width, pixels: out,
      labels: indices.map { labels[$0] }, paths: indices.map { paths[$0] }, mean: mean, std: std)
  }
}
