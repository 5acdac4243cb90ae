import QatSupport

/// What training does to its images on the fly: the augmentation and the value of a padded pixel.
public struct TrainingAugmentation: Sendable, Equatable {
  public var augmentation: Augmentation
  /// Per channel, the normalized value of a black pixel, (0 − mean) / std: torchvision pads the raw
  /// pixels with 0 before `Normalize`, and our images are stored normalized, so padding with 0 here
  /// would pad with the mean colour instead of black.
  public var fill: [Float]

  public init(_ augmentation: Augmentation, fill: [Float]) {
    self.augmentation = augmentation
    self.fill = fill
  }
}

extension LabeledImages {
  /// Copies image `index` into `destination` (NHWC) cropped and flipped as `choice` says, padding with
  /// `fill`. Whole rows that stay in place and unflipped are copied at once; the rest pixel by pixel,
  /// all channels of a pixel together.
  func copyImage(
    _ index: Int, to destination: UnsafeMutablePointer<Float>, choice: Augmentation.Choice, fill: [Float]
  ) {
    let h = shape.height, w = shape.width, c = shape.channels
    let source = pixels.pointer + index * shape.elements
    let row = w * c
    for y in 0..<h {
      let out = destination + y * row
      let sy = y + choice.dy
      guard sy >= 0, sy < h else {
        for x in 0..<w {
          for ch in 0..<c { out[x * c + ch] = ch < fill.count ? fill[ch] : 0 }
        }
        continue
      }
      if !choice.flipped && choice.dx == 0 {
        out.update(from: source + sy * row, count: row)
        continue
      }
      for x in 0..<w {
        let sx = (choice.flipped ? w - 1 - x : x) + choice.dx
        if sx >= 0, sx < w {
          (out + x * c).update(from: source + (sy * w + sx) * c, count: c)
        } else {
          for ch in 0..<c { out[x * c + ch] = ch < fill.count ? fill[ch] : 0 }
        }
      }
    }
  }
}
