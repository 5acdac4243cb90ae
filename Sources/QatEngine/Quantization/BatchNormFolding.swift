/// Batch-norm folding, the one file that does it. In evaluation a batch norm after a conv or dense
/// layer is an affine map per output channel, so it can be absorbed: with s = γ/√(running variance + ε),
///   W′ = W·s (each output channel's weights),  b′ = (b − running mean)·s + β,
/// and conv(x, W′) + b′ equals batchnorm(conv(x, W) + b) up to float rounding. Two ways use it:
/// - PTQ folds before calibrating (`fold(_:into:)`, PyTorch's operation order), so the observers
///   see exactly the layer that will be deployed;
/// - QAT keeps the batch norm and fake-quantizes W·s during training (`WeightQuantizer`); on
///   conversion `foldingQATBatchNorms` folds it with the very factors training used, and the
///   integer compiler folds a prepared model's batch norms the same way (`qatFactor`, `qatBias`).
enum BatchNormFolding {
  /// Folds `bn`'s running statistics into `op`'s weights and bias in place.
  static func fold(_ bn: BatchNormOp, into op: WeightedOperation) {
    let channels = bn.channels
    // PyTorch's fuse_conv_bn_eval, operation for operation (so that PTQ's folded weights, and the
    // grid they are rounded to, are PyTorch's): r = rsqrt(v + ε) = 1/√(v + ε), W′ = W·(γ·r),
    // b′ = (b − μ)·r·γ + β.
    var inverseStd = [Float](repeating: 1, count: channels), factors = [Float](repeating: 1, count: channels)
    for c in 0..<channels {
      inverseStd[c] = 1 / deviation(bn, c)
      factors[c] = bn.gamma.value[c] * inverseStd[c]
    }
    guard op.layout.channels == channels else { return }
    op.layout.scale(op.weight.value.pointer, by: factors)
    for c in 0..<channels {
      op.bias.value[c] = (op.bias.value[c] - bn.runningMean[c]) * inverseStd[c] * bn.gamma.value[c] + bn.beta.value[c]
    }
  }

  /// √(running variance + ε) of channel `c`: the batch norm's evaluation-time deviation.
  static func deviation(_ bn: BatchNormOp, _ c: Int) -> Float {
    (bn.runningVar[c] + BatchNormOp.epsilon).squareRoot()
  }

  /// QAT's fold factor s = γ/√(v + ε) of channel `c`, in float32 as PyTorch computes it.
  static func qatFactor(_ bn: BatchNormOp, _ c: Int) -> Float { bn.gamma.value[c] / deviation(bn, c) }

  /// The folded bias (b − μ)·s + β of channel `c` for QAT's factor `s`.
  static func qatBias(_ bias: Float, _ bn: BatchNormOp, _ c: Int, factor s: Float) -> Float {
    (bias - bn.runningMean[c]) * s + bn.beta.value[c]
  }
}

extension Network {
  /// The converted QAT network with each batch norm folded into the conv/dense it scaled — the form
  /// that is deployed. The weights become W·s with exactly the float32 factors s = γ/√(v + ε) that
  /// training fake-quantized (WeightQuantizer.updateFoldScale), so the fake-quantized weights are
  /// bit for bit the ones QAT trained with; the bias becomes (b − μ)·s + β. Other networks are
  /// returned as they are. (PyTorch's convert refolds with rsqrt, which can move a weight across a
  /// rounding edge; reusing s cannot.) The operations move to the result: this network must not be
  /// used afterwards.
  public func foldingQATBatchNorms() -> Network {
    guard let state = quantization, state.converted else { return self }
    var removed: Set<Int> = []
    for (i, op) in ops.enumerated() {
      guard let weighted = op as? WeightedOperation, let q = weighted.weightQuantizer, let bn = q.foldedBatchNorm,
        i + 1 < ops.count, ops[i + 1] === bn
      else { continue }
      q.updateFoldScale()
      q.layout.scale(weighted.weight.value.pointer, by: q.foldScale.pointer)
      for c in 0..<q.layout.channels {
        weighted.bias.value[c] = BatchNormFolding.qatBias(weighted.bias.value[c], bn, c, factor: q.foldScale[c])
      }
      q.foldedBatchNorm = nil
      for c in 0..<q.layout.channels { q.foldScale[c] = 1 }
      removed.insert(i + 1)
    }
    guard !removed.isEmpty else { return self }
    let network = removing(removed).network
    let remaining = state.batchNorms.filter { bn in !removed.contains { ops[$0] === bn } }
    network.quantization = QuantizationState(
      config: state.config, activations: state.activations, weights: state.weights,
      batchNorms: remaining, startEpoch: state.startEpoch)
    network.quantization?.converted = true
    return network
  }
}

extension Network {
  /// The network without the batch norms at `removed` (each one right after the conv/dense it was
  /// folded into), over the same operation objects: residual adds re-pointed, layers remapped (a
  /// removed batch norm's layer keeps its place with no operations), history kept. Also returns old
  /// operation index → new. The operations move to the result: this network must not be used afterwards.
  func removing(_ removed: Set<Int>) -> (network: Network, opMap: [Int: Int]) {
    var kept: [Operation] = [], opMap: [Int: Int] = [:]
    /// Old activation k (the input of operation k) → new; a removed batch norm's input is its conv's output.
    func activation(_ k: Int) -> Int { opMap[k] ?? (k > 0 ? (opMap[k - 1] ?? 0) + 1 : 0) }
    for (i, op) in ops.enumerated() where !removed.contains(i) {
      opMap[i] = kept.count
      if let add = op as? ResidualAddOp {
        kept.append(ResidualAddOp(shape: add.output, source: activation(add.source)))
      } else {
        kept.append(op)
      }
    }
    let network = Network(inputShape: inputShape, ops: kept)
    network.layers = layers.map { $0.remapped(opMap, in: network) }
    network.history = history
    return (network, opMap)
  }

  /// An fp32 copy of this network (left untouched) with every batch norm that directly follows a
  /// conv/dense folded into it the deployment way (`BatchNormFolding.fold`, as PTQ folds) and
  /// removed — the network cross-layer equalization and bias correction work on (Nagel et al. 2019
  /// fold first). Also returns old operation index → new, for options that name operations (`keep`).
  /// The copy has no layer specs of its own to recompile from, so it is prepared without copying.
  func foldingBatchNorms() throws(ShapeError) -> (network: Network, opMap: [Int: Int]) {
    let base = try copy()
    var removed: Set<Int> = []
    for (i, op) in base.ops.enumerated() {
      guard let weighted = op as? WeightedOperation, i + 1 < base.ops.count,
        let bn = base.ops[i + 1] as? BatchNormOp, base.skipReaders[i + 1] == nil
      else { continue }
      BatchNormFolding.fold(bn, into: weighted)
      removed.insert(i + 1)
    }
    return base.removing(removed)
  }
}
