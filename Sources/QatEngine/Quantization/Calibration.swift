extension Network {
  /// The calibration images: indices ⌊i·n/samples⌋ for i < samples of a split of n images in its
  /// stored order (all of them when samples ≥ n), spread evenly over the classes' order.
  public static func calibrationIndices(count n: Int, samples: Int) -> [Int] {
    guard n > 0, samples > 0 else { return [] }
    if samples >= n { return Array(0..<n) }
    return (0..<samples).map { $0 * n / samples }
  }

  /// A fake-quantized copy of this fp32 network (which is left untouched), prepared for `config`'s
  /// method and calibrated on `data` (the calibration images, see `calibrationIndices`):
  /// - PTQ: batch norm folded into the weights, observers attached, calibrated, frozen;
  /// - QAT: batch norm folded the QAT way, ranges initialized from the calibration images (min-max),
  ///   then followed by the observers while the model trains with fake quantization.
  public func prepareQuantization(
    _ config: QuantizationConfig, calibration data: LabeledImages,
    pool: WorkerPool
  ) throws(ShapeError) -> Network {
    try Self.prepareQuantization(of: copy(), config, calibration: data, pool: pool)
  }

  /// `prepareQuantization` on `base` itself, which must be a copy the caller owns: its operations
  /// move into the result.
  static func prepareQuantization(
    of base: Network, _ config: QuantizationConfig, calibration data: LabeledImages, pool: WorkerPool
  ) -> Network {
    var builder = QuantizedNetworkBuilder(config: config, base: base)
    let network = builder.build()
    network.calibrate(on: data, pool: pool)
    return network
  }

  /// Every weight quantizer observes its layer's (folded) weights, unquantized, and takes its
  /// parameters from their range; the weights stay unquantized until calibration ends.
  func observeWeights() {
    for case let op as WeightedOperation in ops {
      guard let quantizer = op.weightQuantizer else { continue }
      quantizer.fakeQuantizing = false
      quantizer.prepare(from: op.weight.value, observe: false)
      quantizer.observeEffective()
    }
  }

  /// Sets every quantizer's parameters from `data`, observing the network in fp32 (weights and
  /// activations unquantized): min and max over all the images (a moving average over batches of 32
  /// for PTQ's moving-average observer), then, for the histogram observers (histogram, percentile, MSE,
  /// KL), a 2048-bin histogram over that range and the range search.
  func calibrate(on data: LabeledImages, pool: WorkerPool) {
    guard let state = quantization else { return }
    observeWeights()
    // PTQ with the moving-average observer averages over calibration batches of 32 (PyTorch's
    // MovingAverageMinMaxObserver in a calibration loop); everything else takes min and max over
    // all the images (QAT starts its moving average from that range).
    let averaging = state.config.method == .ptq && state.config.activationObserver == .movingAverage
    for q in state.activations where q.follows == nil {
      q.tracker = RangeTracker(averagingConstant: averaging ? 0.01 : nil)
      q.calibrating = true
    }
    for q in state.activations { q.fakeQuantizing = false }
    var predictions: [Int32] = []
    _ = evaluate(data, pool: pool, batch: averaging ? 32 : 256, predictions: &predictions)
    let histograms = state.activations.filter { $0.follows == nil && $0.observer.usesHistogram }
    for q in histograms {
      q.calibrating = false
      q.histogram = Histogram(lower: q.tracker.min, upper: q.tracker.max)
      q.collectingHistogram = true
    }
    if !histograms.isEmpty { _ = evaluate(data, pool: pool, predictions: &predictions) }
    for q in state.activations where q.follows == nil {
      q.calibrating = false
      q.collectingHistogram = false
      q.updateParams()
      if state.config.method == .qat && q.observer == .movingAverage {
        // Training follows the calibrated range with a moving average from here on.
        var moving = RangeTracker(averagingConstant: 0.01)
        moving.observe(min: q.tracker.min, max: q.tracker.max)
        q.tracker = moving
      }
    }
    for q in state.activations { q.fakeQuantizing = true }
    for w in state.weights { w.fakeQuantizing = true }
    if state.config.learnedScales {
      for q in state.activations { q.learnScale() }
      for w in state.weights { w.learnScales() }
      // The per-chunk buffers were made before the scales became parameters.
      slots = []
    }
  }
}
