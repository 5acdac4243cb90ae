/// Per-channel mean and standard deviation over a set of CHW images, and normalization by them.
/// Sums are taken per image (in parallel) and then added in image order, so the result does
/// not depend on the thread count.
enum ChannelStats {
  /// Mean and population standard deviation of each channel over the images in `pixels`
  /// (each `channels × plane` floats). A channel with no spread gets std 1 (so it is only centred).
  static func compute(_ pixels: [Float], channels: Int, plane: Int, threads: Int) -> (mean: [Double], std: [Double]) {
    let count = plane > 0 && channels > 0 ? pixels.count / (channels * plane) : 0
    guard count > 0 else { return combine(nil, count: 0, channels: channels, plane: plane) }
    // Per image and channel: sum and sum of squares, in Double.
    let partial = UnsafeMutablePointer<Double>.allocate(capacity: count * channels * 2)
    defer { partial.deallocate() }
    let shared = SharedBuffer(base: partial)
    pixels.withUnsafeBufferPointer { buffer in
      guard let base = buffer.baseAddress else { return }
      let source = SharedBuffer(base: UnsafeMutablePointer(mutating: base))
      try? Parallel.forEachChunk(count: count, chunk: 256, threads: threads) { range in
        for image in range {
          imageSums(
            source.base + image * channels * plane, channels: channels, plane: plane,
            into: shared.base + image * channels * 2)
        }
      }
    }
    return combine(partial, count: count, channels: channels, plane: plane)
  }

  /// The sum and the sum of squares (in Double, pixel by pixel) of each channel of the CHW image at
  /// `image`, as `2 × channels` values at `sums`: one image's share of `compute`. The folder loader
  /// takes it as each image is decoded, so the statistics need no second pass over the pixels.
  static func imageSums(
    _ image: UnsafePointer<Float>, channels: Int, plane: Int, into sums: UnsafeMutablePointer<Double>
  ) {
    for c in 0..<channels {
      let start = image + c * plane
      var sum = 0.0, squares = 0.0
      for i in 0..<plane {
        let v = Double(start[i])
        sum += v
        squares += v * v
      }
      sums[c * 2] = sum
      sums[c * 2 + 1] = squares
    }
  }

  /// `imageSums` of four images at once. Each image's sums are added in the same order as there (so
  /// they are the same bits), but the four images' chains of dependent additions overlap: one chain
  /// waits on each addition's latency, four keep the adder busy.
  static func imageSums(
    _ images: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>),
    channels: Int, plane: Int,
    into sums: (
      UnsafeMutablePointer<Double>, UnsafeMutablePointer<Double>, UnsafeMutablePointer<Double>,
      UnsafeMutablePointer<Double>
    )
  ) {
    for c in 0..<channels {
      let a = images.0 + c * plane, b = images.1 + c * plane, d = images.2 + c * plane, e = images.3 + c * plane
      var sa = 0.0, qa = 0.0, sb = 0.0, qb = 0.0, sd = 0.0, qd = 0.0, se = 0.0, qe = 0.0
      for i in 0..<plane {
        let va = Double(a[i]), vb = Double(b[i]), vd = Double(d[i]), ve = Double(e[i])
        sa += va
        qa += va * va
        sb += vb
        qb += vb * vb
        sd += vd
        qd += vd * vd
        se += ve
        qe += ve * ve
      }
      (sums.0[c * 2], sums.0[c * 2 + 1]) = (sa, qa)
      (sums.1[c * 2], sums.1[c * 2 + 1]) = (sb, qb)
      (sums.2[c * 2], sums.2[c * 2 + 1]) = (sd, qd)
      (sums.3[c * 2], sums.3[c * 2 + 1]) = (se, qe)
    }
  }

  /// Mean and std from `count` images' `imageSums`, laid out one after another and added in that
  /// order. No images give mean 0 and std 1.
  static func combine(_ partial: UnsafePointer<Double>?, count: Int, channels: Int, plane: Int) -> (
    mean: [Double], std: [Double]
  ) {
    var mean = [Double](repeating: 0, count: channels), std = [Double](repeating: 1, count: channels)
    guard let partial, count > 0, plane > 0 else { return (mean, std) }
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
