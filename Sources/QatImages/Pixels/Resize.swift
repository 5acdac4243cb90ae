/// Resizing with the rules of SPEC §6: each axis on its own, pixel centres at (i + 0.5)·scale,
/// area averaging when an axis shrinks, bilinear interpolation when it grows, an exact copy when
/// it keeps its size. Rows are resized first, then columns.
public struct ResizePlan: Sendable {
  /// For one axis: which source samples feed each destination sample, and with what weight.
  struct AxisTable: Sendable {
    var starts: [Int]  // first source index of destination i
    var weights: [[Float]]  // weights of source starts[i], starts[i] + 1, …

    init(source: Int, destination: Int) {
      starts = []
      weights = []
      let scale = Double(source) / Double(destination)
      for i in 0..<destination {
        if source == destination {
          starts.append(i); weights.append([1])
        } else if destination < source {
          // Area: the mean over the source interval [i·scale, (i+1)·scale), partial pixels weighted.
          let lo = Double(i) * scale, hi = Double(i + 1) * scale
          let first = Int(lo.rounded(.down)), last = min(source - 1, Int((hi - 1e-9).rounded(.down)))
          starts.append(first)
          weights.append(
            (first...last).map { j in
              Float((min(Double(j + 1), hi) - max(Double(j), lo)) / scale)
            })
        } else {
          // Bilinear at the destination centre mapped into the source, clamped to the edges.
          let x = min(max((Double(i) + 0.5) * scale - 0.5, 0), Double(source - 1))
          let j = Int(x.rounded(.down)), f = Float(x - Double(j))
          starts.append(j)
          weights.append(j + 1 < source && f > 0 ? [1 - f, f] : [1])
        }
      }
    }
  }

  public let sourceWidth: Int, sourceHeight: Int, width: Int, height: Int
  let columns: AxisTable
  let rows: AxisTable

  /// A plan from `sourceWidth × sourceHeight` to `width × height` (all at least 1).
  public init(sourceWidth: Int, sourceHeight: Int, width: Int, height: Int) {
    self.sourceWidth = max(1, sourceWidth)
    self.sourceHeight = max(1, sourceHeight)
    self.width = max(1, width)
    self.height = max(1, height)
    columns = AxisTable(source: self.sourceWidth, destination: self.width)
    rows = AxisTable(source: self.sourceHeight, destination: self.height)
  }

  /// Writes `channels × height × width` floats in 0…1 (sample / 255), planar, to `out`.
  /// The image must have the plan's source size. `isInterrupted` is asked every 64 source rows: a
  /// huge image (a decompression bomb shrunk to a thumbnail) takes seconds, and Ctrl-C must not wait
  /// for it; the output is then incomplete, and the caller reports the interruption.
  public func apply(
    _ image: PixelImage, into out: UnsafeMutablePointer<Float>, isInterrupted: () -> Bool = { false }
  ) {
    let channels = image.channels
    guard image.width == sourceWidth, image.height == sourceHeight,
      image.pixels.count >= sourceWidth * sourceHeight * channels
    else { return }
    let plane = width * height
    if sourceWidth == width && sourceHeight == height {
      // The common case: no resampling, just planar floats.
      image.pixels.withUnsafeBufferPointer { p in
        for i in 0..<plane { for c in 0..<channels { out[c * plane + i] = Float(p[i * channels + c]) * (1 / 255) } }
      }
      return
    }
    // Rows first: sourceHeight × width per channel, then columns.
    var temporary = [Float](repeating: 0, count: sourceHeight * width)
    image.pixels.withUnsafeBufferPointer { p in
      for c in 0..<channels {
        for y in 0..<sourceHeight {
          if y % 64 == 63 && isInterrupted() { return }
          let row = y * sourceWidth
          for x in 0..<width {
            let start = columns.starts[x]
            var sum: Float = 0
            for (k, w) in columns.weights[x].enumerated() { sum += w * Float(p[(row + start + k) * channels + c]) }
            temporary[y * width + x] = sum
          }
        }
        let base = out + c * plane
        for y in 0..<height {
          let start = rows.starts[y], weights = rows.weights[y]
          for x in 0..<width {
            var sum: Float = 0
            for (k, w) in weights.enumerated() { sum += w * temporary[(start + k) * width + x] }
            base[y * width + x] = sum * (1 / 255)
          }
        }
      }
    }
  }
}

/// Convenience entry points over `ResizePlan`.
public enum Resize {
  /// `image` resized to `width × height`, as planar floats in 0…1 written to `out`.
  public static func planar(_ image: PixelImage, width: Int, height: Int, into out: UnsafeMutablePointer<Float>) {
    ResizePlan(sourceWidth: image.width, sourceHeight: image.height, width: width, height: height).apply(
      image, into: out)
  }

  /// `image` resized to `width × height` as 8-bit samples (rounded), for thumbnails and grids.
  public static func resized(_ image: PixelImage, width: Int, height: Int) -> PixelImage {
    let width = max(1, width), height = max(1, height)
    var planar = [Float](repeating: 0, count: image.channels * width * height)
    planar.withUnsafeMutableBufferPointer { buffer in
      if let base = buffer.baseAddress { Resize.planar(image, width: width, height: height, into: base) }
    }
    let plane = width * height
    var pixels = [UInt8](repeating: 0, count: plane * image.channels)
    for i in 0..<plane {
      for c in 0..<image.channels {
        pixels[i * image.channels + c] = UInt8(max(0, min(255, (planar[c * plane + i] * 255).rounded())))
      }
    }
    return PixelImage(width: width, height: height, channels: image.channels, pixels: pixels)
  }
}
