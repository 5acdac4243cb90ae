import CKernels

/// Counts of values in equal bins over [lower, upper] — what the histogram and percentile observers
/// collect during calibration, then search for a range.
///
/// Binning is `qk_histogram`'s, torch.histc's rule: bin ⌊(x − lower)·bins/(upper − lower)⌋, the
/// upper edge in the last bin, values outside [lower, upper] (and NaN) not counted; when
/// lower == upper every non-NaN value goes to bin 0, and infinite bounds count nothing. Counts are
/// integers: our histograms are only merged when their ranges agree, so PyTorch's fractional
/// re-binning of a histogram onto a wider range never happens here.
public struct Histogram: Sendable, Equatable {
  /// PyTorch's HistogramObserver default.
  public static let defaultBins = 2048

  /// The left edge of bin 0 (calibration uses the smallest value seen).
  public let lower: Float
  /// The right edge of the last bin, which it includes (calibration uses the largest value seen).
  public let upper: Float
  /// One count per bin; `counts.count` is the number of bins.
  public var counts: [Int64]

  /// An empty histogram of `bins` bins (at least 1) over [lower, upper].
  public init(lower: Float, upper: Float, bins: Int = Histogram.defaultBins) {
    self.lower = lower
    self.upper = upper
    counts = Array(repeating: 0, count: Swift.max(bins, 1))
  }

  /// How many bins (2048 by default).
  public var bins: Int { counts.count }
  /// How many values were counted.
  public var total: Int64 { counts.reduce(0, +) }

  /// Counts `count` values (those outside [lower, upper] are skipped).
  public mutating func add(_ values: UnsafePointer<Float>, count: Int) {
    guard count > 0 else { return }
    let (lower, upper, bins) = (self.lower, self.upper, Int32(counts.count))
    counts.withUnsafeMutableBufferPointer { buffer in
      guard let base = buffer.baseAddress else { return }
      qk_histogram(values, Int64(count), lower, upper, bins, base)
    }
  }

  /// Both histograms' counts added, or nil when their ranges or bin counts differ (their bins would
  /// not line up).
  public func merged(with other: Histogram) -> Histogram? {
    guard lower == other.lower, upper == other.upper, bins == other.bins else { return nil }
    var result = self
    for b in counts.indices { result.counts[b] += other.counts[b] }
    return result
  }

  // MARK: - L2-optimal range (PyTorch's HistogramObserver)

  /// The range with (approximately) the least L2 quantization error for a `bits`-bit grid —
  /// PyTorch's `HistogramObserver._non_linear_param_search` with its `_compute_quantization_error`
  /// and `_get_norm`: starting from the whole histogram, it moves the lower or upper edge inwards
  /// one quantile step (1e-5 of the values) at a time, whichever cuts more bins, and stops as soon
  /// as the error grows. Sparse outliers are cut off, with PyTorch's quirks: the lower quantile only
  /// grows when the lower edge moves, so a low outlier holding more than 1e-5 of the values is never
  /// passed; and the first candidate is always accepted (the best error starts at +∞), so even a flat
  /// histogram loses its last bin.
  ///
  /// Numbers, so results are reproducible and close to PyTorch's:
  /// - the quantile walk (alpha, beta += 1e-5) is in Double, as PyTorch's Python floats are; the
  ///   cumulative counts are compared with the bounds in float32, as PyTorch compares its float32
  ///   `cumsum` tensor with a Python float;
  /// - the error of a candidate range is computed and summed in Double, bin by bin in index order
  ///   (PyTorch does this per-bin arithmetic on float32 tensors and sums them in float32; Double
  ///   keeps the stop test `error > best` free of float32 noise);
  /// - the result is `lower + w·start` and `lower + w·(end + 1)` with `w = (upper − lower)/bins`,
  ///   all in float32, as PyTorch computes `new_min` and `new_max` on its float32 tensors.
  /// `bits` sets the grid to 2^bits levels (PyTorch's `dst_nbins`, which PyTorch always sets to 256 from
  /// the 8-bit dtype even for a narrower range; here the search is for the grid actually used). It is
  /// clamped to 1…24.
  public func l2OptimalRange(bits: Int) -> (min: Float, max: Float) {
    guard lower.isFinite, upper.isFinite else { return (lower, upper) }
    let width = (upper - lower) / Float(bins)
    func edges(_ start: Int, _ end: Int) -> (min: Float, max: Float) {
      (lower + width * Float(start), lower + width * Float(end + 1))
    }
    let total = self.total
    // Nothing counted, or a single value: PyTorch's search moves nothing that matters, and the
    // edges formula then gives its answer.
    guard total > 0, upper > lower else { return edges(0, bins - 1) }

    let search = L2Search(
      counts: counts, binWidth: (Double(upper) - Double(lower)) / Double(bins),
      levels: Double(1 << Swift.min(Swift.max(bits, 1), 24)))
    var cumulative = [Int64](repeating: 0, count: bins)
    var running: Int64 = 0
    for b in 0..<bins {
      running += counts[b]
      cumulative[b] = running
    }
    let totalCount = Double(total)
    let stepSize = 1e-5
    var alpha = 0.0, beta = 1.0
    var start = 0, end = bins - 1
    var bestError = Double.infinity
    while alpha < beta {
      let nextAlpha = alpha + stepSize, nextBeta = beta - stepSize
      let lowBound = Float(nextAlpha * totalCount), highBound = Float(nextBeta * totalCount)
      var l = start, r = end
      while l < end && Float(cumulative[l]) < lowBound { l += 1 }
      while r > start && Float(cumulative[r]) > highBound { r -= 1 }
      var nextStart = start, nextEnd = end
      // Move the edge that cuts more bins; the other edge keeps its quantile.
      if l - start > end - r {
        nextStart = l
        alpha = nextAlpha
      } else {
        nextEnd = r
        beta = nextBeta
      }
      if nextStart == start && nextEnd == end { continue }
      let error = search.error(start: nextStart, end: nextEnd)
      if error > bestError { break }
      bestError = error
      start = nextStart
      end = nextEnd
    }
    return edges(start, end)
  }

  // MARK: - Percentile range

  /// The range that keeps all but the outer (100 − p) % of the values on each side:
  /// the lower bound is the (100 − p) % point and the upper bound the p % point of the counted
  /// values. A point at rank t (0 ≤ t ≤ total) lies in the first non-empty bin b whose cumulative
  /// count reaches t, at `lower + w·(b + (t − before)/counts[b])` (w the bin width, `before` the
  /// count below bin b) — the values of a bin taken as spread evenly across it. Both bounds are
  /// clamped to [lower, upper]. When no value is negative (ReLU outputs) the lower bound is the
  /// histogram's lower edge: clipping there gains nothing, as the quantizer's range includes 0 anyway.
  /// `percentile` is clamped to [50, 100]; 100 gives the edges of the outermost non-empty bins.
  public func percentileRange(_ percentile: Double = 99.99) -> (min: Float, max: Float) {
    let total = self.total
    guard total > 0, lower.isFinite, upper.isFinite, upper > lower else { return (lower, upper) }
    let p = percentile.isNaN ? 100 : Swift.min(Swift.max(percentile, 50), 100)
    let high = point(rank: p * Double(total) / 100)
    let low = lower >= 0 ? lower : point(rank: (100 - p) * Double(total) / 100)
    return (Swift.min(Swift.max(low, lower), upper), Swift.min(Swift.max(high, lower), upper))
  }

  /// The value at rank `t` of the counted values, interpolated inside its bin (see `percentileRange`).
  func point(rank t: Double) -> Float {
    let width = (Double(upper) - Double(lower)) / Double(bins)
    var before: Int64 = 0
    for b in 0..<bins where counts[b] > 0 {
      let after = before + counts[b]
      if Double(after) >= t {
        let fraction = Swift.min(Swift.max((t - Double(before)) / Double(counts[b]), 0), 1)
        return Float(Double(lower) + width * (Double(b) + fraction))
      }
      before = after
    }
    return upper
  }
}

/// The error of quantizing a histogram's values with a candidate range — PyTorch's
/// `_compute_quantization_error` and `_get_norm`, in Double (see `Histogram.l2OptimalRange`).
///
/// The candidate range [start bin, end bin] is divided into `levels` equal destination bins; each
/// source bin's values, taken as spread evenly across it, are charged the integral of the squared
/// distance to the centre of the destination bin they fall in (values outside the range are
/// charged against the outermost destination bin, as in PyTorch).
struct L2Search {
  let counts: [Int64]
  let binWidth: Double
  let levels: Double

  func error(start: Int, end: Int) -> Double {
    let dstWidth = binWidth * Double(end - start + 1) / levels
    if dstWidth == 0 { return 0 }
    let half = dstWidth / 2
    let lastLevel = levels - 1
    var sum = 0.0
    // Empty bins add density 0 times a finite norm, i.e. nothing: skipping them changes no bit.
    for b in counts.indices where counts[b] != 0 {
      let density = Double(counts[b]) / binWidth
      let begin = Double(b - start) * binWidth
      let end = begin + binWidth
      let first = Swift.min(Swift.max(Self.floorDivide(begin, dstWidth), 0), lastLevel)
      let last = Swift.min(Swift.max(Self.floorDivide(end, dstWidth), 0), lastLevel)
      let firstCentre = (first + 0.5) * dstWidth
      var norm = Self.norm(from: begin - firstCentre, to: half, density: density)
      norm += (last - first - 1) * Self.norm(from: -half, to: half, density: density)
      let lastCentre = last * dstWidth + half
      norm += Self.norm(from: -half, to: end - lastCentre, density: density)
      sum += norm
    }
    return sum
  }

  /// density · ∫ x² dx from `begin` to `end` = density·(end³ − begin³)/3 (PyTorch's `_get_norm`).
  static func norm(from begin: Double, to end: Double, density: Double) -> Double {
    density * ((end * end * end - begin * begin * begin) / 3)
  }

  /// Python's floor division a // b as PyTorch computes it (`div_floor_floating`): from the exact
  /// remainder rather than ⌊a/b⌋, so a quotient that rounds up to an integer is not floored wrongly.
  static func floorDivide(_ a: Double, _ b: Double) -> Double {
    let remainder = a.truncatingRemainder(dividingBy: b)
    var quotient = (a - remainder) / b
    if remainder != 0 && (b < 0) != (remainder < 0) { quotient -= 1 }
    guard quotient != 0 else { return (a / b).sign == .minus ? -0.0 : 0.0 }
    var floored = quotient.rounded(.down)
    if quotient - floored > 0.5 { floored += 1 }
    return floored
  }
}
