/// Batch-norm folding. In evaluation a batch norm after a conv or dense layer is an affine map per
/// output channel, so it can be absorbed: with s = γ/√(running variance + ε),
///   W′ = W·s (each output channel's weights),  b′ = (b − running mean)·s + β,
/// and conv(x, W′) + b′ equals batchnorm(conv(x, W) + b) up to float rounding. PTQ folds before
/// calibrating, so the observers see exactly the layer that will be deployed.
enum Folding {
  /// Folds `bn`'s running statistics into `op`'s weights and bias in place.
  static func fold(_ bn: BatchNormOp, into op: WeightedOperation) {
    let channels = bn.channels
    // PyTorch's fuse_conv_bn_eval, operation for operation (so that PTQ's folded weights, and the
    // grid they are rounded to, are PyTorch's): r = rsqrt(v + ε) = 1/√(v + ε), W′ = W·(γ·r),
    // b′ = (b − μ)·r·γ + β.
    var inverseStd = [Float](repeating: 1, count: channels), factors = [Float](repeating: 1, count: channels)
    for c in 0..<channels {
      inverseStd[c] = 1 / (bn.runningVar[c] + BatchNormOp.epsilon).squareRoot()
      factors[c] = bn.gamma.value[c] * inverseStd[c]
    }
    guard op.layout.channels == channels else { return }
    op.layout.scale(op.weight.value.pointer, by: factors)
    for c in 0..<channels {
      op.bias.value[c] = (op.bias.value[c] - bn.runningMean[c]) * inverseStd[c] * bn.gamma.value[c] + bn.beta.value[c]
    }
  }
}
