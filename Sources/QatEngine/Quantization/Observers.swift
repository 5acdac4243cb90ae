import CKernels

// Observers decide which range [min, max] a tensor is quantized over. This file holds the running
// min/max trackers (PyTorch's MinMaxObserver, MovingAverageMinMaxObserver and their per-channel
// versions); HistogramSearch.swift holds the histogram and its range searches (HistogramObserver,
// percentile), RangeSearch.swift the MSE and KL searches. All of it is plain, deterministic
// arithmetic on numbers the network hands over.

/// How an activation quantizer picks its range. Option values of `quantize(…, observer:)`.
public enum ObserverKind: String, CaseIterable, Sendable {
  case minmax = "minmax"
  case movingAverage = "moving_average"
  case histogram = "histogram"
  case percentile = "percentile"
  case mse = "mse"
  case kl = "kl"

  /// True when calibration counts a histogram for the range search (a second pass over the images).
  public var usesHistogram: Bool { self != .minmax && self != .movingAverage }

  /// One line for help text and tables.
  public var summary: String {
    switch self {
    case .minmax: return "the smallest and largest value ever seen (one outlier widens the grid for everyone)"
    case .movingAverage:
      return "min and max averaged over batches with weight 0.01 (the QAT default; follows drifting activations)"
    case .histogram:
      return
        "a 2048-bin histogram, then the range with the least L2 quantization error (the PTQ default; cuts outliers)"
    case .percentile: return "a 2048-bin histogram clipped at the 0.01 % and 99.99 % points"
    case .mse: return "the clipping range with the least mean squared quantization error on a 2048-bin histogram"
    case .kl:
      return "the range whose quantized distribution is closest in KL divergence (TensorRT's entropy calibration)"
    }
  }
}

/// A running per-tensor range, fed one batch's extremes at a time.
///
/// - `averagingConstant == nil`: PyTorch's MinMaxObserver — min and max over everything seen.
/// - `averagingConstant == c`: MovingAverageMinMaxObserver — the first batch sets min and max, later
///   ones move them by `min += c·(batchMin − min)` (and the same for max), in float32 exactly as
///   PyTorch evaluates `min_val + c * (min_val_cur - min_val)` (c rounded to float32 first).
///
/// A batch whose extremes are not ordered (`min > max`, or NaN — what `qk_min_max` reports for an
/// empty batch) is ignored, as PyTorch's observers return early on an empty tensor.
public struct RangeTracker: Sendable, Equatable {
  /// nil for plain min-max; the moving average's weight of each new batch otherwise (0.01 in PyTorch).
  public let averagingConstant: Float?
  /// The running minimum; +∞ until something is observed.
  public private(set) var min: Float = .infinity
  /// The running maximum; −∞ until something is observed.
  public private(set) var max: Float = -.infinity

  /// An empty tracker: nil for MinMaxObserver, 0.01 for MovingAverageMinMaxObserver.
  public init(averagingConstant: Float? = nil) {
    self.averagingConstant = averagingConstant
  }

  /// True until the first batch is observed (PyTorch's "min == inf and max == −inf" test).
  public var isEmpty: Bool { min == .infinity && max == -.infinity }

  /// Folds in one batch's smallest and largest values.
  public mutating func observe(min batchMin: Float, max batchMax: Float) {
    guard batchMin <= batchMax else { return }
    switch (averagingConstant, isEmpty) {
    case (nil, _):
      min = Swift.min(min, batchMin)
      max = Swift.max(max, batchMax)
    case (.some, true):
      (min, max) = (batchMin, batchMax)
    case (let c?, false):
      // Written as PyTorch writes it (not (1 − c)·min + c·batchMin), so the float32 rounding matches.
      min = min + c * (batchMin - min)
      max = max + c * (batchMax - max)
    }
  }

  /// Folds in the extremes of `count` values (a whole batch at once).
  public mutating func observe(_ values: UnsafePointer<Float>, count: Int) {
    guard count > 0 else { return }
    var low: Float = .infinity, high: Float = -.infinity
    qk_min_max(values, Int64(count), &low, &high)
    observe(min: low, max: high)
  }

  /// Forgets everything observed.
  public mutating func reset() {
    min = .infinity
    max = -.infinity
  }
}

/// One running range per channel — for weights, whose output channels get their own scale.
/// `averagingConstant == nil` is PyTorch's PerChannelMinMaxObserver, 0.01 its
/// MovingAveragePerChannelMinMaxObserver; each channel follows `RangeTracker`'s rules.
public struct ChannelRangeTracker: Sendable, Equatable {
  /// One tracker per channel, in channel order.
  public private(set) var trackers: [RangeTracker]

  /// `channels` empty ranges (a negative count is treated as 0).
  public init(channels: Int, averagingConstant: Float? = nil) {
    trackers = Array(repeating: RangeTracker(averagingConstant: averagingConstant), count: Swift.max(channels, 0))
  }

  /// How many channels are tracked.
  public var channels: Int { trackers.count }
  /// The running minimum of each channel (+∞ where nothing was observed).
  public var mins: [Float] { trackers.map(\.min) }
  /// The running maximum of each channel (−∞ where nothing was observed).
  public var maxs: [Float] { trackers.map(\.max) }
  /// True until a batch has been observed.
  public var isEmpty: Bool { trackers.allSatisfy(\.isEmpty) }

  /// The tracker of one channel (0 ≤ channel < channels).
  public subscript(channel: Int) -> RangeTracker { trackers[channel] }

  /// Folds in one batch's per-channel extremes; `mins` and `maxs` hold one value per channel
  /// (the layer fixes the count; values beyond the tracked channels are ignored).
  public mutating func observe(mins: [Float], maxs: [Float]) {
    for (c, (low, high)) in zip(trackers.indices, zip(mins, maxs)) { trackers[c].observe(min: low, max: high) }
  }

  /// Forgets everything observed.
  public mutating func reset() {
    for c in trackers.indices { trackers[c].reset() }
  }
}
