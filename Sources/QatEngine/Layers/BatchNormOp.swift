import CKernels

/// Batch normalization per channel (over N·H·W for feature maps, over N for flat vectors).
/// Training uses the batch's statistics — summed per chunk, combined in chunk order — and updates
/// the running statistics (momentum 0.1, unbiased variance, as PyTorch does); evaluation uses the
/// running statistics.
final class BatchNormOp: Operation {
  static let epsilon: Float = 1e-5
  static let momentum: Float = 0.1

  let gamma: LearnableTensor
  let beta: LearnableTensor
  let runningMean: FloatBuffer
  let runningVar: FloatBuffer
  /// The statistics of the current batch (training) or derived from the running ones (evaluation).
  let mean: FloatBuffer
  let invstd: FloatBuffer
  let meanDy: FloatBuffer
  let meanDyXhat: FloatBuffer
  var channels: Int { input.channels }
  /// Set by the network when a ReLU (cap 0) or ReLU6 (cap 6) follows and nothing else reads this
  /// layer's output: the activation is applied in the same pass and written to the ReLU's output.
  var fusedReLUCap: Float?
  /// Frozen (quantization-aware training after `freeze_bn:`): training passes use the running
  /// statistics and leave them unchanged, as PyTorch's freeze_bn_stats does.
  var frozen = false

  init(shape: ActivationShape) {
    gamma = LearnableTensor(name: "gamma", shape: [shape.channels])
    beta = LearnableTensor(name: "beta", shape: [shape.channels])
    runningMean = FloatBuffer(count: shape.channels)
    runningVar = FloatBuffer(count: shape.channels)
    mean = FloatBuffer(count: shape.channels)
    invstd = FloatBuffer(count: shape.channels)
    meanDy = FloatBuffer(count: shape.channels)
    meanDyXhat = FloatBuffer(count: shape.channels)
    for c in 0..<shape.channels {
      gamma.value[c] = 1
      runningVar[c] = 1
    }
    super.init(input: shape, output: shape)
  }

  override var parameters: [LearnableTensor] { [gamma, beta] }
  override var buffers: [FloatBuffer] { [runningMean, runningVar] }

  final class StatsScratch: Scratch {
    let xhat: FloatBuffer
    let sum: AlignedBuffer<Double>
    let sumSq: AlignedBuffer<Double>
    init(xhat: FloatBuffer, channels: Int, gradients: [FloatBuffer]) {
      self.xhat = xhat
      sum = AlignedBuffer<Double>(count: channels)
      sumSq = AlignedBuffer<Double>(count: channels)
      super.init(gradients: gradients)
    }
  }

  override func makeScratch(capacity: Int) -> Scratch {
    StatsScratch(
      xhat: FloatBuffer(count: capacity * input.elements), channels: channels,
      gradients: [FloatBuffer(count: channels), FloatBuffer(count: channels)])
  }

  func rows(_ count: Int) -> Int { count * input.height * input.width }

  override func forwardPhases(training: Bool) -> Int { training && !frozen ? 2 : 1 }

  override func forward(phase: Int, _ io: ChunkIO, training: Bool) {
    guard let s = io.scratch as? StatsScratch else { return }
    let r = Int32(rows(io.count)), c = Int32(channels)
    if training && !frozen && phase == 0 {
      qk_bn_partial_stats(io.x, r, c, s.sum.pointer, s.sumSq.pointer)
      return
    }
    qk_bn_apply(
      io.x, r, c, mean.pointer, invstd.pointer, gamma.value.pointer, beta.value.pointer, io.y,
      training ? s.xhat.pointer : nil, fusedReLUCap ?? -1)
  }

  override func beginForward(training: Bool) {
    if !training || frozen { useRunningStatistics() }
  }

  /// Evaluation: mean and 1/σ from the running statistics.
  func useRunningStatistics() {
    for ch in 0..<channels {
      mean[ch] = runningMean[ch]
      invstd[ch] = 1 / (runningVar[ch] + Self.epsilon).squareRoot()
    }
  }

  /// Channel `ch`'s two partial sums added over the chunks, in chunk order (forward: Σx and Σx²;
  /// backward: Σdy and Σdy·x̂).
  func chunkSums(_ scratches: ArraySlice<Scratch>, channel ch: Int) -> (Double, Double) {
    var first = 0.0, second = 0.0
    for case let s as StatsScratch in scratches {
      first += s.sum[ch]
      second += s.sumSq[ch]
    }
    return (first, second)
  }

  override func combineForward(phase: Int, scratches: ArraySlice<Scratch>, total: Int, training: Bool) {
    guard training, !frozen, phase == 0 else { return }
    let n = Double(rows(total))
    for ch in 0..<channels {
      let (sum, sumSq) = chunkSums(scratches, channel: ch)
      let m = sum / n
      let variance = max(0, sumSq / n - m * m)
      mean[ch] = Float(m)
      invstd[ch] = Float(1 / (variance + Double(Self.epsilon)).squareRoot())
      let unbiased = n > 1 ? variance * n / (n - 1) : variance
      runningMean[ch] = (1 - Self.momentum) * runningMean[ch] + Self.momentum * Float(m)
      runningVar[ch] = (1 - Self.momentum) * runningVar[ch] + Self.momentum * Float(unbiased)
    }
  }

  override func backwardPhases() -> Int { 2 }

  override func backward(phase: Int, _ io: ChunkIO) {
    guard let dy = io.dy, let s = io.scratch as? StatsScratch else { return }
    let r = Int32(rows(io.count)), c = Int32(channels)
    if phase == 0 {
      qk_bn_backward_partial(dy, s.xhat.pointer, r, c, s.sum.pointer, s.sumSq.pointer)
      for ch in 0..<channels {
        s.gradients[0][ch] = Float(s.sumSq[ch])  // dγ = Σ dy·x̂
        s.gradients[1][ch] = Float(s.sum[ch])  // dβ = Σ dy
      }
      return
    }
    guard let dx = io.dx else { return }
    qk_bn_backward_apply(
      dy, s.xhat.pointer, r, c, gamma.value.pointer, invstd.pointer, meanDy.pointer,
      meanDyXhat.pointer, dx)
  }

  override func combineBackward(phase: Int, scratches: ArraySlice<Scratch>, total: Int) {
    guard phase == 0 else { return }
    if frozen {
      // The statistics are constants: dx = γ·(1/σ)·dy, so the batch-mean terms vanish.
      meanDy.zero()
      meanDyXhat.zero()
      return
    }
    let n = Double(rows(total))
    for ch in 0..<channels {
      let (sumDy, sumDyXhat) = chunkSums(scratches, channel: ch)
      meanDy[ch] = Float(sumDy / n)
      meanDyXhat[ch] = Float(sumDyXhat / n)
    }
  }
}
