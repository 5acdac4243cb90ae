/// Cross-layer equalization (Nagel et al. 2019, "Data-Free Quantization Through Weight Equalization
/// and Bias Correction", §4.1). Two layers y = W2·f(W1·x + b1) with f positive-homogeneous
/// (f(s·z) = s·f(z) for s > 0: ReLU, max and average pooling, flatten, the identity) compute the same
/// function after W1 ← S⁻¹·W1, b1 ← S⁻¹·b1, W2 ← W2·S for any diagonal S = diag(s) with s > 0:
/// W2·S·f(S⁻¹(W1·x + b1)) = W2·S·S⁻¹·f(W1·x + b1). With r1_i the range (max |w|) of output channel i
/// of W1 and r2_i that of input channel i of W2, the paper's choice s_i = (1/r2_i)·√(r1_i·r2_i)
/// makes both ranges √(r1_i·r2_i): a channel whose weights were far smaller than its layer's largest
/// gets a larger share of the per-tensor grid. Every pair is rescaled in turn, over and over, until
/// no scale moves by more than `tolerance` (a middle layer belongs to two pairs).
///
/// Not paired: ReLU6 in between (its cap does not scale: relu6(z/s) ≠ relu6(z)/s), a batch norm left
/// unfolded (it adds a shift), and — residual blocks — any pair whose intermediate activation is
/// also read by a residual add: the skip would carry the rescaled channels past W2 without S.
enum CrossLayerEqualization {
  /// Stop once no scale differs from 1 by more than this.
  static let tolerance = 1e-6
  /// Sweeps over all pairs at most; a chain converges geometrically, so this is never reached in practice.
  static let maxIterations = 100

  /// Two conv/dense operations (indices into the network's operations) that meet through
  /// positive-homogeneous operations only; `channels` is the first one's output channels.
  struct Pair: Equatable {
    let first, second, channels: Int
  }

  /// What equalizing did: the pairs found, the sweeps run, and whether the scales settled.
  struct Report: Equatable {
    var pairs: [Pair] = []
    var iterations = 0
    var converged = true
  }

  /// The pairs of `network`, in order.
  static func pairs(in network: Network) -> [Pair] {
    var result: [Pair] = []
    for (i, op) in network.ops.enumerated() {
      guard let first = op as? WeightedOperation else { continue }
      let channels = first.layout.channels
      var j = i + 1
      while j < network.ops.count, passesScaling(network.ops[j]) { j += 1 }
      guard j < network.ops.count, let second = network.ops[j] as? WeightedOperation,
        ((i + 1)...j).allSatisfy({ network.skipReaders[$0] == nil }),
        channels > 0, channels % second.layout.blocks == 0,
        second.layout.rows % (channels / second.layout.blocks) == 0,
        (second as? ConvOp).map({ $0.input.channels == channels }) ?? true
      else { continue }
      result.append(Pair(first: i, second: j, channels: channels))
    }
    return result
  }

  /// True for an operation that commutes with a positive per-channel scale and keeps channel order
  /// (a flatten keeps the channel as the fastest index, NHWC).
  static func passesScaling(_ op: Operation) -> Bool {
    switch op {
    case let relu as ReLUOp: return relu.cap == 0
    case is MaxPoolOp, is AvgPoolOp, is GlobalAvgPoolOp, is FlattenOp, is DropoutOp: return true
    default: return false
    }
  }

  /// Input channel of row `r` of block `g` of `op`, whose input has `channels` channels: a conv's
  /// row is (ky·k + kx)·(c_in/groups) + i, a dense layer's (h·W + w)·C + c; both end in the channel.
  @inline(__always) static func inputChannel(block g: Int, row r: Int, perBlock: Int) -> Int {
    g * perBlock + r % perBlock
  }

  /// r1: max |w| of each output channel of `op`.
  static func outputRanges(_ op: WeightedOperation) -> [Double] {
    var ranges = [Double](repeating: 0, count: op.layout.channels)
    let w = op.weight.value
    op.layout.forEach { k, ch in ranges[ch] = max(ranges[ch], Double(abs(w[k]))) }
    return ranges
  }

  /// r2: max |w| over the weights of `op` that read each of its `channels` input channels.
  static func inputRanges(_ op: WeightedOperation, channels: Int) -> [Double] {
    var ranges = [Double](repeating: 0, count: channels)
    let layout = op.layout, w = op.weight.value, perBlock = channels / layout.blocks
    for g in 0..<layout.blocks {
      for r in 0..<layout.rows {
        let ch = inputChannel(block: g, row: r, perBlock: perBlock), base = (g * layout.rows + r) * layout.columns
        for c in 0..<layout.columns { ranges[ch] = max(ranges[ch], Double(abs(w[base + c]))) }
      }
    }
    return ranges
  }

  /// s_i = (1/r2_i)·√(r1_i·r2_i) = √(r1_i/r2_i); 1 for a channel that is dead on either side (or
  /// not finite), which no scale can equalize.
  static func scales(r1: [Double], r2: [Double]) -> [Double] {
    zip(r1, r2).map { a, b in
      guard a > 0, b > 0, a.isFinite, b.isFinite else { return 1 }
      let s = (a * b).squareRoot() / b
      return s.isFinite && s > 0 ? s : 1
    }
  }

  /// W1 ← S⁻¹·W1, b1 ← S⁻¹·b1 (output channels of `first`), W2 ← W2·S (input channels of `second`).
  static func apply(_ s: [Double], first: WeightedOperation, second: WeightedOperation) {
    let w1 = first.weight.value, b1 = first.bias.value
    first.layout.forEach { k, ch in w1[k] = Float(Double(w1[k]) / s[ch]) }
    for ch in 0..<first.layout.channels { b1[ch] = Float(Double(b1[ch]) / s[ch]) }
    let layout = second.layout, w2 = second.weight.value, perBlock = s.count / layout.blocks
    for g in 0..<layout.blocks {
      for r in 0..<layout.rows {
        let factor = s[inputChannel(block: g, row: r, perBlock: perBlock)],
          base = (g * layout.rows + r) * layout.columns
        for c in 0..<layout.columns { w2[base + c] = Float(Double(w2[base + c]) * factor) }
      }
    }
  }

  /// One scaling step of `pair`: the largest |s_i − 1| it applied.
  @discardableResult
  static func step(_ pair: Pair, in network: Network) -> Double {
    guard let first = network.ops[pair.first] as? WeightedOperation,
      let second = network.ops[pair.second] as? WeightedOperation
    else { return 0 }
    let s = scales(r1: outputRanges(first), r2: inputRanges(second, channels: pair.channels))
    apply(s, first: first, second: second)
    return s.reduce(0) { max($0, abs($1 - 1)) }
  }

  /// Equalizes `network` (fp32, batch norm already folded) in place: every pair rescaled in turn
  /// until the scales settle within `tolerance`, at most `maxIterations` sweeps.
  @discardableResult
  static func equalize(_ network: Network, tolerance: Double = tolerance, maxIterations: Int = maxIterations)
    -> Report
  {
    var report = Report(pairs: pairs(in: network))
    guard !report.pairs.isEmpty else { return report }
    report.converged = false
    while report.iterations < maxIterations {
      report.iterations += 1
      let change = report.pairs.reduce(0) { max($0, step($1, in: network)) }
      if change <= tolerance {
        report.converged = true
        break
      }
    }
    return report
  }
}

extension Network {
  /// The fp32 network quantization starts from when `config` equalizes, corrects biases or rounds
  /// with AdaRound: a copy
  /// with batch norm folded (`foldingBatchNorms`), then equalized if asked (the paper's order: fold,
  /// equalize, then calibrate), and `config` with `keep` renumbered for it. Nil when neither option
  /// is set: quantization then copies and folds as it always has.
  func quantizationSource(_ config: QuantizationConfig) throws(ShapeError) -> (Network, QuantizationConfig)? {
    guard config.equalize || config.biasCorrection || config.rounding == .adaround else { return nil }
    let (network, opMap) = try foldingBatchNorms()
    if config.equalize { CrossLayerEqualization.equalize(network) }
    var adjusted = config
    adjusted.keep = Set(config.keep.compactMap { opMap[$0] })
    adjusted.only = config.only.map {
      QuantizationSubset(input: $0.input, operations: Set($0.operations.compactMap { opMap[$0] }))
    }
    return (network, adjusted)
  }
}
