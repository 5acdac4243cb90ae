import CKernels
import Foundation

/// How well values fit the quantization grid they are rounded to (`inspect`, `histogram`,
/// `sensitivity`): how many, their extremes, how many the clamp changed on each side, and the
/// signal-to-quantization-noise ratio SQNR = 10·log10(Σx² / Σ(x − q(x))²), q the engine's fake
/// quantization. Sums are in Double, in the order the values come.
public struct GridStatistics: Sendable, Equatable {
  /// Values counted.
  public private(set) var count = 0
  /// The smallest and largest value counted (+∞ and −∞ while empty).
  public private(set) var min: Float = .infinity
  public private(set) var max: Float = -.infinity
  /// Values whose rounded integer fell below qmin / above qmax, so the clamp moved them to the end
  /// of the grid (the straight-through estimator's mask: a value less than half a step beyond the
  /// last level only rounds, and is not counted).
  public private(set) var clippedBelow = 0
  public private(set) var clippedAbove = 0
  /// Σx², the signal's energy.
  public private(set) var signal = 0.0
  /// Σ(x − q(x))², the quantization noise's energy.
  public private(set) var noise = 0.0

  public init() {}

  /// Clipped values on both sides.
  public var clipped: Int { clippedBelow + clippedAbove }

  /// 10·log10(signal / noise) in decibels: +∞ when rounding lost nothing, NaN when nothing was counted.
  public var sqnrDB: Double {
    guard count > 0 else { return .nan }
    if noise == 0 { return .infinity }
    if signal == 0 { return -.infinity }
    return 10 * Foundation.log10(signal / noise)
  }

  /// Adds `count` values `x` with their fake-quantized values `q` and the fake quantizer's mask
  /// (1: inside the grid, 0: clipped); a clipped value below `lowest` (the grid's lowest level) was
  /// clipped below, any other above.
  public mutating func add(
    _ x: UnsafePointer<Float>, quantized q: UnsafePointer<Float>, mask: UnsafePointer<UInt8>,
    count n: Int, lowest: Float
  ) {
    for i in 0..<Swift.max(n, 0) {
      let v = x[i]
      min = Swift.min(min, v)
      max = Swift.max(max, v)
      if mask[i] == 0 {
        if v < lowest { clippedBelow += 1 } else { clippedAbove += 1 }
      }
      let d = Double(v) - Double(q[i])
      signal += Double(v) * Double(v)
      noise += d * d
    }
    count += Swift.max(n, 0)
  }

  /// Both sets of values together.
  public func merged(with other: GridStatistics) -> GridStatistics {
    var m = self
    m.count += other.count
    m.min = Swift.min(min, other.min)
    m.max = Swift.max(max, other.max)
    m.clippedBelow += other.clippedBelow
    m.clippedAbove += other.clippedAbove
    m.signal += other.signal
    m.noise += other.noise
    return m
  }

  /// Fake-quantizes `values` with `params` (qk_fake_quant, what every quantizer of a model runs)
  /// and measures the fit.
  public static func measure(_ values: [Float], params: QuantParams) -> (quantized: [Float], statistics: GridStatistics)
  {
    var quantized = [Float](repeating: 0, count: values.count)
    var mask = [UInt8](repeating: 0, count: values.count)
    var statistics = GridStatistics()
    values.withUnsafeBufferPointer { x in
      quantized.withUnsafeMutableBufferPointer { y in
        mask.withUnsafeMutableBufferPointer { m in
          guard let xb = x.baseAddress, let yb = y.baseAddress, let mb = m.baseAddress else { return }
          params.fakeQuantize(xb, count: x.count, into: yb, mask: mb)
          statistics.add(xb, quantized: yb, mask: mb, count: x.count, lowest: params.dequantize(params.range.qmin))
        }
      }
    }
    return (quantized, statistics)
  }
}

extension QuantParams {
  /// Every level of the grid, (q − zero_point)·scale for q = qmin…qmax, lowest first.
  public var levels: [Float] { (range.qmin...range.qmax).map { dequantize($0) } }

  /// Where clipping starts: half a step beyond the lowest and the highest level (closer values
  /// round to the end level; the clamp moves only those beyond). Up to float32 rounding at the
  /// very edge, which the fake quantizer's own mask settles.
  public var clippingBounds: ClosedRange<Float> {
    (representable.lowerBound - scale / 2)...(representable.upperBound + scale / 2)
  }
}

extension ObserverKind {
  /// The range this observer proposes, as calibration computes it: min and max of what was seen
  /// (`tracker`; for the moving average, its average), or — for the histogram observers, given
  /// the calibration `histogram` — the histogram search's range for the grid `range` (`symmetric`
  /// or affine; the MSE search measures its error on that grid).
  public func range(
    tracker: RangeTracker, histogram: Histogram?, range grid: QuantRange, symmetric: Bool, percentile: Double
  ) -> (min: Float, max: Float) {
    guard let histogram else { return (tracker.min, tracker.max) }
    switch self {
    case .histogram: return histogram.l2OptimalRange(bits: grid.bits)
    case .percentile: return histogram.percentileRange(percentile)
    case .mse: return histogram.mseOptimalRange(range: grid, symmetric: symmetric)
    case .kl: return histogram.klOptimalRange(bits: grid.bits)
    case .minmax, .movingAverage: return (tracker.min, tracker.max)
    }
  }

  /// The range this observer proposes for `values` seen as one calibration batch: pass 1 takes
  /// their min and max (the moving average's first observation sets both, so it equals min-max
  /// here); the histogram observers then count them in a 2048-bin histogram over that range and
  /// search it — the same two passes as a model's calibration.
  public func range(
    of values: [Float], range grid: QuantRange, symmetric: Bool = false, percentile: Double = 99.99
  ) -> (min: Float, max: Float) {
    var tracker = RangeTracker(averagingConstant: self == .movingAverage ? 0.01 : nil)
    values.withUnsafeBufferPointer { x in
      if let base = x.baseAddress { tracker.observe(base, count: x.count) }
    }
    guard usesHistogram else {
      return range(tracker: tracker, histogram: nil, range: grid, symmetric: symmetric, percentile: percentile)
    }
    var histogram = Histogram(lower: tracker.min, upper: tracker.max)
    values.withUnsafeBufferPointer { x in
      if let base = x.baseAddress { histogram.add(base, count: x.count) }
    }
    return range(tracker: tracker, histogram: histogram, range: grid, symmetric: symmetric, percentile: percentile)
  }

  /// The same for an unsigned affine `bits`-bit grid (an activation's).
  public func range(of values: [Float], bits: Int, percentile: Double = 99.99) -> (min: Float, max: Float) {
    range(of: values, range: QuantRange(bits: bits, signed: false), percentile: percentile)
  }
}

/// Counts of values in about `bins` equal bins for a chart (the histogram observer's binning,
/// `qk_histogram`). The bins cover both the values and `clip`, the interval outside which the grid
/// clips (half a step beyond its lowest and highest level), and when they can, two bin edges fall
/// exactly on `clip`'s ends, so the bins outside it hold exactly the clipped values.
public struct ChartBins: Sendable, Equatable {
  public let lower: Float
  public let upper: Float
  public let counts: [Int]

  /// Bins for `values` (finite) drawn against `clip` (nil: no single grid, e.g. per-channel weights).
  public init(_ values: [Float], clip: ClosedRange<Float>?, bins: Int) {
    var low: Float = .infinity, high: Float = -.infinity
    values.withUnsafeBufferPointer { x in
      if let base = x.baseAddress, !x.isEmpty { qk_min_max(base, Int64(x.count), &low, &high) }
    }
    if let clip {
      low = Swift.min(low, clip.lowerBound)
      high = Swift.max(high, clip.upperBound)
    }
    if !low.isFinite || !high.isFinite { (low, high) = (0, 1) }
    if high <= low {
      let pad = Swift.max(abs(low) * 0.5, 0.5)
      (low, high) = (low - pad, high + pad)
    }
    var n = Swift.max(bins, 1)
    if !(high - low).isFinite { n = 1 }  // wider than float32 can measure: one bin holds everything
    if n > 1, let clip, clip.upperBound > clip.lowerBound {
      // k bins across the clip interval, whole bins of the same width on either side.
      let (a, b, l, h) = (Double(clip.lowerBound), Double(clip.upperBound), Double(low), Double(high))
      let k = (Double(n) * (b - a) / (h - l)).rounded()
      if k >= 1 {
        let width = (b - a) / k
        let left = ((a - l) / width).rounded(.up), right = ((h - b) / width).rounded(.up)
        let alignedLow = Float(a - left * width), alignedHigh = Float(b + right * width)
        if left + k + right <= Double(2 * n + 2), alignedLow < alignedHigh {
          (low, high, n) = (alignedLow, alignedHigh, Int(left + k + right))
        }
      }
    }
    var histogram = Histogram(lower: low, upper: high, bins: n)
    values.withUnsafeBufferPointer { x in
      if let base = x.baseAddress { histogram.add(base, count: x.count) }
    }
    lower = low
    upper = high
    counts = histogram.counts.map { Int($0) }
  }
}
