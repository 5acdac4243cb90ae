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
        weighted.bias.value[c] = (weighted.bias.value[c] - bn.runningMean[c]) * q.foldScale[c] + bn.beta.value[c]
      }
      q.foldedBatchNorm = nil
      for c in 0..<q.layout.channels { q.foldScale[c] = 1 }
      removed.insert(i + 1)
    }
    guard !removed.isEmpty else { return self }
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
    let remaining = state.batchNorms.filter { bn in !removed.contains { ops[$0] === bn } }
    network.quantization = QuantizationState(
      config: state.config, activations: state.activations, weights: state.weights,
      batchNorms: remaining, startEpoch: state.startEpoch)
    network.quantization?.converted = true
    return network
  }
}
