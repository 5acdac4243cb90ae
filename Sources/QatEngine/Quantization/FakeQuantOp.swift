import CKernels

/// One point of the network where activations are quantized (the input, the output of every
/// quantized layer, the logits): its observer and the parameters in use.
public final class ActivationQuantizer {
  public let range: QuantRange
  public let symmetric: Bool
  public let observer: ObserverKind
  /// The percentile observer's upper percentile.
  var percentile = 99.99
  /// Where it sits, for tables: "input", "conv(16, kernel: 3, pad: 1)", …
  public let name: String
  /// A pooling layer's output keeps its input's parameters (averages of grid values are put back on
  /// the same grid), so it follows that quantizer instead of observing.
  let follows: ActivationQuantizer?
  var tracker: RangeTracker
  /// The calibration histogram (histogram, percentile, MSE and KL observers).
  var histogram: Histogram?
  private var ownParams: QuantParams
  /// True while evaluation passes feed the observer (calibration).
  var calibrating = false
  /// True while training passes feed the observer (quantization-aware training until the
  /// observers are frozen).
  var observesTraining = false
  /// Calibration's second pass for histogram observers: count values over the range of the first.
  var collectingHistogram = false
  /// True when values are replaced by their fake-quantized ones (false during PTQ calibration,
  /// which observes the fp32 network).
  var fakeQuantizing = false

  init(
    name: String, range: QuantRange, symmetric: Bool, observer: ObserverKind, averagingConstant: Float?,
    follows: ActivationQuantizer? = nil
  ) {
    self.name = name
    self.range = range
    self.symmetric = symmetric
    self.observer = observer
    self.follows = follows
    tracker = RangeTracker(averagingConstant: averagingConstant)
    ownParams = QuantParams(scale: 1, zeroPoint: 0, range: range)
  }

  /// The learned scale (LSQ), when training learns it; the zero point stays as calibrated.
  var learnedScale: LearnableTensor?

  /// The scale and zero point in use.
  public var params: QuantParams {
    get {
      if let follows { return follows.params }
      guard let learnedScale else { return ownParams }
      return QuantParams(
        scale: max(learnedScale.value[0], QuantParams.minimumScale), zeroPoint: ownParams.zeroPoint, range: range)
    }
    set { ownParams = newValue }
  }

  /// Makes the scale a learnable parameter starting from the current one (LSQ).
  func learnScale() {
    guard follows == nil, learnedScale == nil else { return }
    let scale = LearnableTensor(name: "scale", shape: [1])
    scale.value[0] = ownParams.scale
    learnedScale = scale
  }

  /// What training changes besides parameters: the observer's range and the parameters from it.
  struct SavedState {
    let tracker: RangeTracker
    let params: QuantParams
  }

  var savedState: SavedState { SavedState(tracker: tracker, params: ownParams) }

  func restore(_ state: SavedState) {
    tracker = state.tracker
    ownParams = state.params
  }

  /// True when a pass must collect batch-wide statistics before fake-quantizing.
  func needsStatistics(training: Bool) -> Bool {
    follows == nil && (collectingHistogram || (training ? observesTraining : calibrating))
  }

  /// The parameters from what the observer saw: the tracked range (min-max, moving average), or the
  /// range the histogram search chooses (histogram: least L2 error; percentile: 99.99 %; MSE; KL).
  func updateParams() {
    let (low, high) = observer.range(
      tracker: tracker, histogram: collectingHistogram ? nil : histogram, range: range, symmetric: symmetric,
      percentile: percentile)
    ownParams = QuantParams.fromRange(min: low, max: high, range: range, symmetric: symmetric)
  }
}

/// Fake quantization of activations as a network step. With statistics to collect it runs in two
/// phases: every chunk reports its extremes (or histogram), the quantizer combines them in chunk
/// order and updates its parameters, then every chunk is fake-quantized with them — so a batch is
/// quantized with parameters that include it, as PyTorch's FakeQuantize does.
final class FakeQuantOp: Operation {
  let quantizer: ActivationQuantizer

  init(shape: ActivationShape, quantizer: ActivationQuantizer) {
    self.quantizer = quantizer
    super.init(input: shape, output: shape)
  }

  final class QuantScratch: Scratch {
    let mask: AlignedBuffer<UInt8>
    var low: Float = .infinity, high: Float = -.infinity
    /// The chunk's share of the calibration histogram (second calibration pass).
    var histogram: Histogram?
    /// Set in training passes when the chunk's values include NaN or infinity.
    var nonFinite = false
    init(mask: AlignedBuffer<UInt8>) {
      self.mask = mask
      super.init()
    }
  }

  override var parameters: [LearnableTensor] { quantizer.learnedScale.map { [$0] } ?? [] }

  override func makeScratch(capacity: Int) -> Scratch {
    let s = QuantScratch(mask: AlignedBuffer<UInt8>(count: capacity * input.elements))
    if quantizer.learnedScale != nil { s.gradients = [FloatBuffer(count: 1)] }
    return s
  }

  override func forwardPhases(training: Bool) -> Int { quantizer.needsStatistics(training: training) ? 2 : 1 }

  override func forward(phase: Int, _ io: ChunkIO, training: Bool) {
    guard let s = io.scratch as? QuantScratch else { return }
    let count = io.count * input.elements
    if quantizer.needsStatistics(training: training) && phase == 0 {
      if quantizer.collectingHistogram, let h = quantizer.histogram {
        var chunk = Histogram(lower: h.lower, upper: h.upper, bins: h.bins)
        chunk.add(io.x, count: count)
        s.histogram = chunk
      } else {
        qk_min_max(io.x, Int64(count), &s.low, &s.high)
      }
      return
    }
    if training { s.nonFinite = qk_all_finite(io.x, Int64(count)) == 0 }
    guard quantizer.fakeQuantizing else {
      io.y.update(from: io.x, count: count)
      return
    }
    quantizer.params.fakeQuantize(io.x, count: count, into: io.y, mask: training ? s.mask.pointer : nil)
  }

  override func combineForward(phase: Int, scratches: ArraySlice<Scratch>, total: Int, training: Bool) {
    guard phase == 0, quantizer.needsStatistics(training: training) else { return }
    let chunks = scratches.compactMap { $0 as? QuantScratch }
    if quantizer.collectingHistogram, var h = quantizer.histogram {
      for case let chunk? in chunks.map(\.histogram) { h = h.merged(with: chunk) ?? h }
      quantizer.histogram = h
      return
    }
    let low = chunks.map(\.low).min() ?? .infinity, high = chunks.map(\.high).max() ?? -.infinity
    // An infinite extreme would poison the range for good; the trainer stops on such a batch.
    guard low.isFinite, high.isFinite else { return }
    quantizer.tracker.observe(min: low, max: high)
    quantizer.updateParams()
  }

  override func backward(phase: Int, _ io: ChunkIO) {
    guard let dy = io.dy, let s = io.scratch as? QuantScratch else { return }
    let count = io.count * input.elements
    if quantizer.learnedScale != nil, let gradient = s.gradients.first {
      gradient[0] = LearnedStepSize.scaleGradient(
        x: io.x, dy: dy, count: count, params: quantizer.params,
        gradientScale: LearnedStepSize.gradientScale(elements: input.elements, range: quantizer.range))
    }
    // The input quantizer (the first operation) has no input gradient to pass on.
    guard let dx = io.dx else { return }
    dx.update(from: dy, count: count)
    // The straight-through estimator: the rounding passes the gradient unchanged, the clamp stops it.
    if quantizer.fakeQuantizing { qk_mask_multiply(dx, s.mask.pointer, Int64(count)) }
  }
}
