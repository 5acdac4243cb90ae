import Foundation

// The MSE and KL observers: two more ways to pick a clipping range from the calibration histogram
// (Nagel et al. 2021, "A White Paper on Neural Network Quantization", §3.4; TensorRT's entropy
// calibration, Migacz 2017, "8-bit Inference with TensorRT").

extension Histogram {
  /// Fractions of each end of the widest range the MSE search tries: 1 %, 2 %, …, 100 %.
  public static let mseCandidates = 100
  /// Rounds of the MSE search (each moves the upper end, then the lower end, to its best place).
  static let mseRounds = 4

  /// The range with the least mean squared quantization error on this histogram's values for the grid
  /// `range` (affine, or `symmetric`). Each end of the widest range [min(lower, 0), max(upper, 0)] is
  /// tried at 1 %, 2 %, …, 100 % of itself, one end at a time with the other held (coordinate descent,
  /// a few rounds, from the widest range); a symmetric grid tries one bound ±T instead. Each candidate
  /// is charged `squaredError` of the parameters it gives; ties keep the wider candidate.
  public func mseOptimalRange(range: QuantRange, symmetric: Bool) -> (min: Float, max: Float) {
    guard total > 0, lower.isFinite, upper.isFinite, upper > lower else { return (lower, upper) }
    let low = Swift.min(lower, 0), high = Swift.max(upper, 0)
    func error(_ a: Float, _ b: Float) -> Double {
      squaredError(QuantParams.fromRange(min: a, max: b, range: range, symmetric: symmetric))
    }
    func fractions(of end: Float) -> [Float] {
      end == 0
        ? [0] : stride(from: Self.mseCandidates, through: 1, by: -1).map { end * Float($0) / Float(Self.mseCandidates) }
    }
    var best = (min: low, max: high), bestError = error(low, high)
    if symmetric {
      // Only the larger end sets a symmetric grid: one bound ±T, tried at 1 %, …, 100 %.
      for t in fractions(of: Swift.max(-low, high)) {
        let e = error(Swift.max(-t, low), Swift.min(t, high))
        if e < bestError { (best, bestError) = ((Swift.max(-t, low), Swift.min(t, high)), e) }
      }
      return best
    }
    for _ in 0..<Self.mseRounds {
      let before = best
      for b in fractions(of: high) {
        let e = error(best.min, b)
        if e < bestError { (best.max, bestError) = (b, e) }
      }
      for a in fractions(of: low) {
        let e = error(a, best.max)
        if e < bestError { (best.min, bestError) = (a, e) }
      }
      if best == before { break }
    }
    return best
  }

  /// Σ count · (fake_quantize(x) − x)² over the counted values, a bin's values taken at four evenly
  /// spaced points inside it (its quarter centres), a quarter of its count each — close to the error
  /// of the values themselves once a grid step spans more than a bin.
  public func squaredError(_ params: QuantParams) -> Double {
    let width = (Double(upper) - Double(lower)) / Double(bins)
    var sum = 0.0
    for b in counts.indices where counts[b] > 0 {
      let share = Double(counts[b]) / 4
      for quarter in 0..<4 {
        let x = Float(Double(lower) + width * (Double(b) + (Double(quarter) + 0.5) / 4))
        let d = Double(params.fakeQuantize(x)) - Double(x)
        sum += share * d * d
      }
    }
    return sum
  }

  /// The range whose quantized distribution loses the least information, TensorRT's entropy
  /// calibration: for every threshold bin i from the number of grid levels to the last bin, the
  /// reference P is the first i bins with everything beyond added to bin i − 1 (clipped values land
  /// on the edge), the candidate Q merges those i bins (without the clipped values) into `levels`
  /// groups and spreads each group's count evenly over the bins where P is non-empty; the threshold
  /// with the least KL(P ‖ Q) wins. Thresholds start at 1/16 of the bins (128 of 2048, as NVIDIA's
  /// pytorch-quantization starts) or at `levels` bins when that is more: with few levels, Q of a tiny
  /// range copies P bin for bin and the search would otherwise clip almost everything.
  /// Non-negative values (ReLU outputs) use the histogram as it is and all 2^bits levels; values of
  /// both signs are folded into a histogram of |x| over 2^(bits−1) levels, and the range is ±T
  /// within [lower, upper].
  public func klOptimalRange(bits: Int) -> (min: Float, max: Float) {
    guard total > 0, lower.isFinite, upper.isFinite, upper > lower else { return (lower, upper) }
    let b = Swift.min(Swift.max(bits, 1), 16)
    if lower >= 0 {
      let i = Self.klThreshold(counts, levels: 1 << b)
      let width = (upper - lower) / Float(bins)
      return (lower, Swift.min(lower + width * Float(i), upper))
    }
    // |x|: a bin whose centre is c counts towards the bin of |c| in a histogram over [0, bound].
    let bound = Swift.max(-lower, upper)
    let width = (Double(upper) - Double(lower)) / Double(bins)
    var folded = [Int64](repeating: 0, count: bins)
    for k in counts.indices where counts[k] > 0 {
      let centre = abs(Double(lower) + width * (Double(k) + 0.5))
      folded[Swift.min(bins - 1, Int(centre / Double(bound) * Double(bins)))] += counts[k]
    }
    let i = Self.klThreshold(folded, levels: 1 << (b - 1))
    let threshold = bound * Float(i) / Float(bins)
    return (Swift.max(-threshold, lower), Swift.min(threshold, upper))
  }

  /// The threshold bin count i (from `first`, by default max(levels, bins/16), to counts.count) with the
  /// least KL(P ‖ Q); see `klOptimalRange`. Fewer bins than levels: every bin (nothing is worth clipping).
  static func klThreshold(_ counts: [Int64], levels: Int, first: Int? = nil) -> Int {
    let n = counts.count
    guard levels < n else { return n }
    let start = Swift.min(Swift.max(first ?? Swift.max(levels, n / 16), levels), n)
    var suffix = [Double](repeating: 0, count: n + 1)
    for k in stride(from: n - 1, through: 0, by: -1) { suffix[k] = suffix[k + 1] + Double(counts[k]) }
    var best = n, bestDivergence = Double.infinity
    var p = [Double](repeating: 0, count: n), q = [Double](repeating: 0, count: n)
    for i in start...n {
      for k in 0..<i { p[k] = Double(counts[k]) }
      p[i - 1] += suffix[i]
      quantizedDistribution(counts, reference: p, bins: i, levels: levels, into: &q)
      let divergence = Self.divergence(p, q, count: i)
      // Later thresholds win ties: the same information with less clipping.
      if divergence <= bestDivergence {
        bestDivergence = divergence
        best = i
      }
    }
    return best
  }

  /// Q for threshold `bins`: the first `bins` counts (without the clipped ones) merged into `levels`
  /// groups (group j holds bins ⌊j·bins/levels⌋ ..< ⌊(j+1)·bins/levels⌋), each group's total spread
  /// evenly over the bins where the reference P is non-empty (MXNet's and TVM's reading of TensorRT).
  static func quantizedDistribution(
    _ counts: [Int64], reference p: [Double], bins: Int, levels: Int, into q: inout [Double]
  ) {
    for j in 0..<levels {
      let start = j * bins / levels, end = (j + 1) * bins / levels
      var total = 0.0, nonEmpty = 0
      for k in start..<end {
        total += Double(counts[k])
        if p[k] > 0 { nonEmpty += 1 }
      }
      for k in start..<end { q[k] = p[k] > 0 ? total / Double(nonEmpty) : 0 }
    }
  }

  /// KL(P ‖ Q) over the first `count` entries, both normalized; where P has mass Q has none (the clipped
  /// values piled on the last bin), Q gets 1e-4 of a count, as the usual smoothing does, so the cost of
  /// clipping is large but finite.
  static func divergence(_ p: [Double], _ q: [Double], count: Int) -> Double {
    let epsilon = 1e-4
    var pTotal = 0.0, qTotal = 0.0
    for k in 0..<count {
      pTotal += p[k]
      qTotal += p[k] > 0 && q[k] == 0 ? epsilon : q[k]
    }
    guard pTotal > 0, qTotal > 0 else { return .infinity }
    var sum = 0.0
    for k in 0..<count where p[k] > 0 {
      let pk = p[k] / pTotal, qk = (q[k] == 0 ? epsilon : q[k]) / qTotal
      sum += pk * log(pk / qk)
    }
    return sum
  }
}
