/// Empirical bias correction (Nagel et al. 2019, "Data-Free Quantization Through Weight Equalization
/// and Bias Correction", §4.2, the empirical variant). Rounding the weights W to W̃ = W + ε shifts a
/// layer's output by ε·x, and its mean by ε·E[x] ≠ 0: a bias the next layers did not learn. Here the
/// shift is measured on the calibration images, layer after layer in network order, with everything
/// before the layer already quantized and corrected (weights and activations): for each conv/dense
/// output channel c,
///   Δ_c = E[ỹ_c] − E[y_c],  b̃_c ← b̃_c − Δ_c,
/// ỹ the quantized model's pre-activation output (before ReLU and the output quantizer) and y the fp32
/// model's (batch norm folded, equalized when that was asked for). So Δ is the whole mean error
/// reaching the layer's output, not only its own weights' share, and after the correction the
/// quantized layer's mean output equals the fp32 one on those images. The activation grids stay as
/// calibrated: the shift is small against their ranges.
enum BiasCorrection {
  /// Corrects the biases of `simulation` (converted, batch norm folded) against `reference`, the fp32
  /// network it was prepared from — the same conv/dense operations in the same order — measured on
  /// `calibration`. Returns Δ per layer (what was subtracted), empty when the two do not match.
  @discardableResult
  static func correct(
    _ simulation: Network, reference: Network, calibration: LabeledImages, pool: WorkerPool
  ) -> [[Double]] {
    let quantized = weightedIndices(simulation), fp32 = weightedIndices(reference)
    guard quantized.count == fp32.count, calibration.count > 0,
      zip(quantized, fp32).allSatisfy({ simulation.ops[$0].output == reference.ops[$1].output })
    else { return [] }
    let targets = channelMeans(reference, activations: fp32.map { $0 + 1 }, data: calibration, pool: pool)
    var corrections: [[Double]] = []
    for (k, i) in quantized.enumerated() {
      guard let op = simulation.ops[i] as? WeightedOperation else { continue }
      // One pass per layer: the layers before it are already corrected.
      let measured = channelMeans(simulation, activations: [i + 1], data: calibration, pool: pool)[0]
      let delta = zip(measured, targets[k]).map { $0 - $1 }
      for (c, d) in delta.enumerated() where d.isFinite {
        op.bias.value[c] = Float(Double(op.bias.value[c]) - d)
      }
      corrections.append(delta)
    }
    return corrections
  }

  /// Indices of the conv/dense operations of `network`, in order.
  static func weightedIndices(_ network: Network) -> [Int] {
    network.ops.indices.filter { network.ops[$0] is WeightedOperation }
  }

  /// The mean of each channel of the activations at `activations` (0: the input, i + 1: the output of
  /// operation i) over every image of `data` and every position, read from the slots round by round
  /// (`Network.evaluationRounds`).
  static func channelMeans(
    _ network: Network, activations: [Int], data: LabeledImages, pool: WorkerPool
  ) -> [[Double]] {
    let shapes = activations.map { $0 == 0 ? network.inputShape : network.ops[$0 - 1].output }
    var sums = shapes.map { [Double](repeating: 0, count: $0.channels) }
    for round in Network.evaluationRounds(count: data.count) {
      for slot in network.evaluatedSlots(data.subset(Array(round)), pool: pool) {
        for (a, index) in activations.enumerated() {
          let channels = shapes[a].channels, values = slot.activations[index].pointer
          for e in 0..<(slot.count * shapes[a].elements) { sums[a][e % channels] += Double(values[e]) }
        }
      }
    }
    return zip(sums, shapes).map { sum, shape in
      let count = Double(data.count) * Double(shape.elements / max(1, shape.channels))
      return sum.map { $0 / count }
    }
  }
}
