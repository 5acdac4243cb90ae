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
  /// `fill`. Unflipped rows are one contiguous copy of the pixels that stay inside (NHWC keeps a pixel's
  /// channels together, so a shifted row is still one run); flipped rows go pixel by pixel.
  func copyImage(
    _ index: Int, to destination: UnsafeMutablePointer<Float>, choice: Augmentation.Choice, fill: [Float]
  ) {
    let h = shape.height, w = shape.width, c = shape.channels
    let source = pixels.pointer + index * shape.elements
    let row = w * c
    // One padded pixel, all channels (a missing channel pads with 0).
    let black = (0..<c).map { $0 < fill.count ? fill[$0] : 0 }
    func pad(_ out: UnsafeMutablePointer<Float>, pixels: Range<Int>) {
      for x in pixels { (out + x * c).update(from: black, count: c) }
    }
    for y in 0..<h {
      let out = destination + y * row
      let sy = y + choice.dy
      guard sy >= 0, sy < h else {
        pad(out, pixels: 0..<w)
        continue
      }
      let from = source + sy * row
      if choice.flipped {
        for x in 0..<w {
          let sx = w - 1 - x + choice.dx
          if sx >= 0, sx < w {
            (out + x * c).update(from: from + sx * c, count: c)
          } else {
            pad(out, pixels: x..<(x + 1))
          }
        }
      } else {
        // Output x reads source x + dx: inside for x in [max(0, −dx), min(w, w − dx)).
        let first = min(w, max(0, -choice.dx)), end = max(first, min(w, w - choice.dx))
        pad(out, pixels: 0..<first)
        (out + first * c).update(from: from + (first + choice.dx) * c, count: (end - first) * c)
        pad(out, pixels: end..<w)
      }
    }
  }
}
