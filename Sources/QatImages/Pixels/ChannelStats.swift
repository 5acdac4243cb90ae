/// Per-channel mean and standard deviation over a set of CHW images, and normalization by them.
/// Sums are taken per image (in parallel) and then added in image order, so the result does
/// not depend on the thread count.
enum ChannelStats {
  /// Mean and population standard deviation of each channel over the images in `pixels`
  /// (each `channels × plane` floats). A channel with no spread gets std 1 (so it is only centred).
  static func compute(_ pixels: [Float], channels: Int, plane: Int, threads: Int) -> (mean: [Double], std: [Double]) {
    let count = plane > 0 && channels > 0 ? pixels.count / (channels * plane) : 0
    guard count > 0 else {
      return ([Double](repeating: 0, count: channels), [Double](repeating: 1, count: channels))
    }
    // Per image and channel: sum and sum of squares, in Double.
    let partial = UnsafeMutablePointer<Double>.allocate(capacity: count * channels * 2)
    defer { partial.deallocate() }
    let shared = SharedBuffer(base: partial)
    pixels.withUnsafeBufferPointer { buffer in
      guard let base = buffer.baseAddress else { return }
      let source = SharedBuffer(base: UnsafeMutablePointer(mutating: base))
      try? Parallel.forEachChunk(count: count, chunk: 256, threads: threads) { range in
        for image in range {
          for c in 0..<channels {
            let start = source.base + (image * channels + c) * plane
            var sum = 0.0, squares = 0.0
            for i in 0..<plane {
              let v = Double(start[i])
              sum += v
              squares += v * v
            }
            shared.base[(image * channels + c) * 2] = sum
            shared.base[(image * channels + c) * 2 + 1] = squares
          }
        }
      }
    }
    var mean = [Double](repeating: 0, count: channels), std = [Double](repeating: 1, count: channels)
    let n = Double(count * plane)
    for c in 0..<channels {
      var sum = 0.0, squares = 0.0
      for image in 0..<count {
        sum += partial[(image * channels + c) * 2]
        squares += partial[(image * channels + c) * 2 + 1]
      }
      mean[c] = sum / n
      let variance = max(0, squares / n - mean[c] * mean[c])
      std[c] = variance > 1e-12 ? variance.squareRoot() : 1
    }
    return (mean, std)
  }

  /// Replaces every value v of channel c by (v − mean[c]) / std[c].
  static func normalize(_ pixels: inout [Float], channels: Int, plane: Int, mean: [Double], std: [Double], threads: Int)
  {
    let count = plane > 0 && channels > 0 ? pixels.count / (channels * plane) : 0
    pixels.withUnsafeMutableBufferPointer { buffer in
      guard let base = buffer.baseAddress else { return }
      let shared = SharedBuffer(base: base)
      try? Parallel.forEachChunk(count: count, chunk: 256, threads: threads) { range in
        for image in range {
          for c in 0..<channels {
            let m = Float(mean[c]), inverse = Float(1 / std[c])
            let start = shared.base + (image * channels + c) * plane
            for i in 0..<plane { start[i] = (start[i] - m) * inverse }
          }
        }
      }
    }
  }
}
