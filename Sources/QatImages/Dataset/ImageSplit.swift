/// One split of a dataset (train or test): normalized pixels ready for a network, with labels.
/// Immutable, so datasets can be cached and shared between variables safely.
public final class ImageSplit: Sendable {
  /// "train" or "test".
  public let name: String
  /// Class names, shared with the dataset (label i is `classes[i]`).
  public let classes: [String]
  /// Channels (1 gray, 3 RGB), rows and columns of every image.
  public let channels: Int, height: Int, width: Int
  /// `count × channels × height × width` floats, NCHW, normalized by the training split's
  /// per-channel mean and std.
  public let pixels: [Float]
  /// The class index of each image.
  public let labels: [Int]
  /// Where each image came from.
  public let paths: [String]
  /// The per-channel statistics used to normalize (values in 0…1 units), to undo it for display.
  public let mean: [Double], std: [Double]

  public init(
    name: String, classes: [String], channels: Int, height: Int, width: Int,
    pixels: [Float], labels: [Int], paths: [String], mean: [Double], std: [Double]
  ) {
    self.name = name
    self.classes = classes
    self.channels = channels
    self.height = height
    self.width = width
    self.pixels = pixels
    self.labels = labels
    self.paths = paths
    self.mean = mean
    self.std = std
  }

  /// Number of images.
  public var count: Int { labels.count }
  /// Floats per image.
  public var imageSize: Int { channels * height * width }

  /// Images per class, in class order.
  public var countsPerClass: [Int] {
    var counts = [Int](repeating: 0, count: classes.count)
    for label in labels where label >= 0 && label < counts.count { counts[label] += 1 }
    return counts
  }

  /// Image `index` back in 8-bit form (normalization undone, rounded), for display.
  public func displayImage(_ index: Int) -> PixelImage {
    let plane = height * width
    var out = [UInt8](repeating: 0, count: imageSize)
    let base = index * imageSize
    for c in 0..<channels {
      let scale = Float(std[c] * 255), offset = Float(mean[c] * 255)
      for i in 0..<plane {
        let v = pixels[base + c * plane + i] * scale + offset
        out[i * channels + c] = UInt8(max(0, min(255, v.rounded())))
      }
    }
    return PixelImage(width: width, height: height, channels: channels, pixels: out)
  }

  /// The normalized values of image `index` (CHW).
  public func values(_ index: Int) -> ArraySlice<Float> {
    pixels[(index * imageSize)..<((index + 1) * imageSize)]
  }
}

/// A loaded image folder: both splits, the classes, and what was skipped.
public final class ImageDataset: Sendable {
  /// The folder as the user named it.
  public let path: String
  public let classes: [String]
  public let train: ImageSplit
  public let test: ImageSplit
  /// Files not loaded, with the reason.
  public let skipped: [SkippedFile]
  /// True when the folder had its own train/ and test/ folders.
  public let hasFixedSplit: Bool
  /// Seconds the load took (decoding, resizing, normalizing), and whether it came from the cache.
  public let seconds: Double
  public let fromCache: Bool
  /// How many images were resized because their size differed from the dataset's.
  public let resizedCount: Int
  /// Where the load's time went (zero when served from the cache).
  public let phases: LoadPhases

  public init(
    path: String, classes: [String], train: ImageSplit, test: ImageSplit, skipped: [SkippedFile],
    hasFixedSplit: Bool, seconds: Double, fromCache: Bool, resizedCount: Int, phases: LoadPhases = LoadPhases()
  ) {
    self.path = path
    self.classes = classes
    self.train = train
    self.test = test
    self.skipped = skipped
    self.hasFixedSplit = hasFixedSplit
    self.seconds = seconds
    self.fromCache = fromCache
    self.resizedCount = resizedCount
    self.phases = phases
  }

  /// Images loaded, both splits.
  public var count: Int { train.count + test.count }
  /// "gray" or "rgb".
  public var colorName: String { train.channels == 1 ? "gray" : "rgb" }

  /// The same data, marked as served from the cache in `seconds`.
  func cached(seconds: Double, path: String) -> ImageDataset {
    ImageDataset(
      path: path, classes: classes, train: train, test: test, skipped: skipped,
      hasFixedSplit: hasFixedSplit, seconds: seconds, fromCache: true, resizedCount: resizedCount)
  }
}
