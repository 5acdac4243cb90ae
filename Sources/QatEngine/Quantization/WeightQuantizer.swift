import CKernels

/// Fake quantization of one conv or dense layer's weights: symmetric and signed, per output channel
/// (or one scale for the whole tensor), as PyTorch's per-channel weight fake-quantizer.
///
/// In quantization-aware training a batch norm that follows the layer is folded the QAT way
/// (PyTorch's ConvBn): the weights are scaled by s = γ/√(running variance + ε) before they are
/// fake-quantized, the layer's output is divided by s again and the batch norm still runs on it
/// (with batch statistics until it is frozen). So what is fake-quantized is exactly the folded weight
/// the deployed model uses, and once the batch norm is frozen the layer equals the folded one.
final class WeightQuantizer {
  let range: QuantRange
  let perChannel: Bool
  /// The layer's weight layout (which output channel each weight belongs to).
  let layout: WeightLayout
  var channels: Int { layout.channels }
  /// One range per output channel (or one for the whole tensor).
  var trackers: ChannelRangeTracker
  /// The parameters in use, one per output channel (repeated when per tensor).
  private(set) var params: [QuantParams]
  /// True while training passes move the ranges with the weights (before the observers freeze).
  var observing = false
  /// False while calibrating a PTQ model: the observers see the fp32 network.
  var fakeQuantizing = true
  /// The weights the layer computes with: fq(w·s) (or fq(w)).
  let effective: FloatBuffer
  /// 1 where the (scaled) weight was inside the range: where the gradient passes.
  let mask: AlignedBuffer<UInt8>
  /// The batch norm folded the QAT way, and its per-channel factor s (nil: no fold).
  var foldedBatchNorm: BatchNormOp?
  let foldScale: FloatBuffer
  /// 1/√(running variance + ε) as used for `foldScale` in the current pass (the batch norm updates
  /// its running variance during the pass).
  private let foldInverseStd: FloatBuffer
  /// A zero bias for kernels that add one, when the real bias is added after the division by s.
  let zeroBias: FloatBuffer
  /// The learned scales (LSQ), one per output channel (or one), when training learns them.
  var learnedScales: LearnableTensor?
  private let scales, inverseScales: FloatBuffer
  private let zeroPoints: AlignedBuffer<Int32>

  init(bits: Int, perChannel: Bool, layout: WeightLayout, averagingConstant: Float?) {
    range = QuantRange(bits: bits, signed: true)
    self.perChannel = perChannel
    self.layout = layout
    let channels = layout.channels
    trackers = ChannelRangeTracker(channels: perChannel ? channels : 1, averagingConstant: averagingConstant)
    params = Array(repeating: QuantParams(scale: 1, zeroPoint: 0, range: range), count: channels)
    effective = FloatBuffer(count: layout.count)
    mask = AlignedBuffer<UInt8>(count: layout.count)
    foldScale = FloatBuffer(count: channels)
    foldInverseStd = FloatBuffer(count: channels)
    zeroBias = FloatBuffer(count: channels)
    scales = FloatBuffer(count: channels)
    inverseScales = FloatBuffer(count: channels)
    zeroPoints = AlignedBuffer<Int32>(count: channels)
    for c in 0..<channels { foldScale[c] = 1 }
  }

  /// s = γ/√(running variance + ε) of the folded batch norm, in float32 as PyTorch computes it.
  func updateFoldScale() {
    guard let bn = foldedBatchNorm else { return }
    for c in 0..<channels {
      foldScale[c] = BatchNormFolding.qatFactor(bn, c)
      foldInverseStd[c] = 1 / BatchNormFolding.deviation(bn, c)
    }
  }

  /// Computes the effective weights from `weight` for the next pass: scaled by the fold factor,
  /// observed when `observe` (and this quantizer is observing), fake-quantized.
  func prepare(from weight: FloatBuffer, observe: Bool) {
    updateFoldScale()
    let e = effective.pointer
    effective.copy(from: weight)
    if foldedBatchNorm != nil { layout.scale(e, by: foldScale.pointer) }
    if let learned = learnedScales {
      setParams(
        (0..<channels).map { ch in
          QuantParams(
            scale: max(learned.value[perChannel ? ch : 0], QuantParams.minimumScale), zeroPoint: 0, range: range)
        })
    } else if observe && observing {
      observeEffective()
    }
    guard fakeQuantizing else {
      mask.pointer.update(repeating: 1, count: mask.count)
      return
    }
    let (rows, columns) = (layout.rows, layout.columns)
    for g in 0..<layout.blocks {
      let block = g * rows * columns
      qk_fake_quant_columns(
        e + block, Int64(rows), Int64(columns), scales.pointer + g * columns,
        inverseScales.pointer + g * columns, zeroPoints.pointer + g * columns,
        range.qmin, range.qmax, e + block, mask.pointer + block)
    }
  }

  /// Feeds the current (scaled, not yet quantized) weights' ranges to the trackers and recomputes
  /// the parameters.
  func observeEffective() {
    var lows = [Float](repeating: .infinity, count: channels), highs = [Float](repeating: -.infinity, count: channels)
    layout.forEach { k, ch in
      lows[ch] = Swift.min(lows[ch], effective[k])
      highs[ch] = Swift.max(highs[ch], effective[k])
    }
    if perChannel {
      trackers.observe(mins: lows, maxs: highs)
    } else {
      trackers.observe(mins: [lows.min() ?? 0], maxs: [highs.max() ?? 0])
    }
    updateParams()
  }

  /// Makes the scales learnable parameters starting from the current ones (LSQ).
  func learnScales() {
    guard learnedScales == nil else { return }
    let tensor = LearnableTensor(name: "weight_scale", shape: [perChannel ? channels : 1])
    for i in 0..<tensor.count { tensor.value[i] = params[i].scale }
    learnedScales = tensor
  }

  func updateParams() {
    for ch in 0..<channels {
      let t = trackers[perChannel ? ch : 0]
      params[ch] = QuantParams.fromRange(min: t.min, max: t.max, range: range, symmetric: true)
    }
    setParams(params)
  }

  /// Uses fixed parameters (a converted model's, or a test's).
  func setParams(_ values: [QuantParams]) {
    params = values
    for ch in 0..<channels {
      scales[ch] = values[ch].scale
      inverseScales[ch] = values[ch].inverseScale
      zeroPoints[ch] = values[ch].zeroPoint
    }
  }

  /// After the layer's GEMM with the effective weights: y = y/s + bias per channel (fold only).
  func finishOutput(_ y: UnsafeMutablePointer<Float>, rows outRows: Int, bias: FloatBuffer) {
    qk_divide_columns(y, Int64(outRows), Int64(channels), foldScale.pointer, bias.pointer)
  }

  /// The gradient at the layer's output becomes the gradient of the GEMM's output: dy/s (fold only).
  func unscaleGradient(_ dy: UnsafeMutablePointer<Float>, rows outRows: Int) {
    qk_divide_columns(dy, Int64(outRows), Int64(channels), foldScale.pointer, nil)
  }

  /// Turns the batch's gradient with respect to the effective weights W̃ = fq(W·s) into the
  /// gradients of the layer's weights and, when folded, of the batch norm's γ:
  /// - dL/dW = dL/dW̃ · mask · s (the straight-through estimator: zero where the weight was clipped);
  /// - y = conv(x, W̃)/s + b also depends on s = γ/√(v + ε) (v the running variance, a constant):
  ///   dL/ds_c = Σ_k dL/dW̃_ck · (mask_ck · W_ck − W̃_ck/s_c), which is zero up to rounding where
  ///   nothing is clipped; dL/dγ_c gains dL/ds_c/√(v_c + ε), as autograd gives PyTorch's ConvBn.
  func finishGradient(_ weight: LearnableTensor) {
    let g = weight.gradient.pointer, w = weight.value.pointer, e = effective.pointer
    if let bn = foldedBatchNorm {
      var dScale = [Double](repeating: 0, count: channels)
      layout.forEach { k, ch in
        let passed = mask[k] != 0 ? Double(w[k]) : 0
        dScale[ch] += Double(g[k]) * (passed - Double(e[k]) / Double(foldScale[ch]))
      }
      for ch in 0..<channels {
        bn.gamma.gradient[ch] += Float(dScale[ch] * Double(foldInverseStd[ch]))
      }
    }
    if let learned = learnedScales { learnedScaleGradient(g, weights: w, into: learned) }
    qk_mask_multiply(g, mask.pointer, Int64(effective.count))
    if foldedBatchNorm != nil { layout.scale(g, by: foldScale.pointer) }
  }

  /// LSQ: the scales' gradient from the gradient with respect to the effective weights, with
  /// ∂W̃/∂s = round(v/s) − v/s inside the range (v = W·s_fold) and the clipped level outside.
  private func learnedScaleGradient(
    _ g: UnsafePointer<Float>, weights w: UnsafePointer<Float>, into learned: LearnableTensor
  ) {
    var sums = [Double](repeating: 0, count: learned.count)
    let perScale = effective.count / max(1, learned.count)
    layout.forEach { k, ch in
      let scaled = foldedBatchNorm == nil ? w[k] : w[k] * foldScale[ch]
      sums[perChannel ? ch : 0] += Double(g[k]) * Double(LearnedStepSize.derivative(scaled, params: params[ch]))
    }
    let factor = LearnedStepSize.gradientScale(elements: perScale, range: range)
    for i in 0..<learned.count { learned.gradient[i] = Float(sums[i]) * factor }
  }
}
