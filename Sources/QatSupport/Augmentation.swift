/// Data augmentation as CIFAR training uses it (torchvision's `RandomCrop(size, padding: p)` then
/// `RandomHorizontalFlip()`): each training image is cropped back to its size from a copy padded
/// with `p` black pixels on every side, then mirrored left to right with probability ½.
///
/// Only the geometry lives here, shared by the engine (which augments NHWC images while it copies
/// them into a batch) and the image built-ins (which show augmented NCHW copies), so both draw the
/// same choices from the same seed.
public struct Augmentation: Sendable, Equatable {
  /// The names `augment:` accepts, in the order they are applied.
  public static let names = ["crop", "flip"]
  /// The padding of `crop` when none is given: torchvision's CIFAR recipe, `RandomCrop(32, padding=4)`.
  public static let defaultPadding = 4

  /// Mirror left to right with probability ½.
  public var flip: Bool
  /// Pixels of padding on every side before the random crop; 0 means no crop.
  public var padding: Int

  public init(flip: Bool = false, padding: Int = 0) {
    self.flip = flip
    // Built-ins refuse a padding beyond `maxPadding`; the bound only keeps `2·padding + 1` finite.
    self.padding = max(0, min(padding, 1 << 30))
  }

  /// True when the augmentation changes anything.
  public var isActive: Bool { flip || padding > 0 }

  /// What happens to one image: mirrored or not, and where the crop window sits relative to the
  /// original image (−padding…padding on each axis; (0, 0) keeps it in place).
  public struct Choice: Sendable, Equatable {
    public var flipped: Bool
    public var dy: Int
    public var dx: Int

    public init(flipped: Bool, dy: Int, dx: Int) {
      self.flipped = flipped
      self.dy = dy
      self.dx = dx
    }

    /// The source pixel that lands at output (y, x) of a height × width image, or nil for padding.
    /// The crop comes first, then the flip, as in torchvision's usual `Compose`.
    @inline(__always) public func source(y: Int, x: Int, height: Int, width: Int) -> (y: Int, x: Int)? {
      let sy = y + dy
      let sx = (flipped ? width - 1 - x : x) + dx
      guard sy >= 0, sy < height, sx >= 0, sx < width else { return nil }
      return (sy, sx)
    }
  }

  /// The choice for the image at `position` under `seed`. A pure function of the two — never a
  /// generator shared by the threads — so a batch augments the same way on any number of cores.
  /// Training passes the batch's step seed (drawn from the session's generator, one per batch) and
  /// the image's position in the batch, which together name the image's place in the epoch.
  public func choice(seed: UInt64, position: Int) -> Choice {
    // The salt keeps these draws apart from dropout's, which also derive from the step seed.
    var random = SeededRandom(
      seed: (seed ^ 0x6175_676D_656E_7421) &+ UInt64(truncatingIfNeeded: position) &* 0x9E37_79B9_7F4A_7C15)
    let span = UInt64(2 * padding + 1)
    let dy = padding > 0 ? Int(random.next() % span) - padding : 0
    let dx = padding > 0 ? Int(random.next() % span) - padding : 0
    let flipped = flip && random.next() >> 63 == 1
    return Choice(flipped: flipped, dy: dy, dx: dx)
  }

  /// The normalized value of a black pixel in each channel, (0 − mean) / std (a zero std counts as
  /// 1): torchvision pads raw pixels with 0 before `Normalize`, and our images are stored normalized.
  public static func black(mean: [Double], std: [Double]) -> [Float] {
    zip(mean, std).map { m, s in Float(-m / (s != 0 ? s : 1)) }
  }

  /// The largest padding an image of this size accepts: every crop must keep at least one row and
  /// one column of the image.
  public static func maxPadding(height: Int, width: Int) -> Int { max(0, min(height, width) - 1) }
}
