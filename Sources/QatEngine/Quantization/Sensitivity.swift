/// One row of a sensitivity analysis: one part of the network quantized, the rest left fp32.
public struct LayerSensitivity: Sendable {
  /// The layer quantized, numbered as in `summary(net)` (`Network.numberedLayers`); nil for the
  /// network input.
  public let layer: Int?
  /// Correct test predictions and test images, with only this part quantized.
  public let correct: Int
  public let total: Int
  /// How the layer's weights fit their grid (nil for the input).
  public let weights: GridStatistics?
}

extension Network {
  /// The parts `sensitivity` quantizes one at a time: the input (nil), then every conv and dense
  /// layer by its number in `numberedLayers`, in network order.
  public var sensitivityUnits: [Int?] {
    [nil] + numberedLayers.indices.filter { Self.hasQuantizedWeights(numberedLayers[$0]) }.map { Optional($0) }
  }

  /// Quantizes each unit of `sensitivityUnits` alone — a conv/dense layer's weights and output
  /// (after its batch norm and ReLU), or the network input — through the quantization pipeline
  /// with `config` (its `only` is set here), calibrated on `training`, fine-tuned by `fineTune`
  /// (QAT), and measures the accuracy on `test`. `unitStarting(k)` runs before the k-th unit (from
  /// 1): the caller's progress and interrupt point. Rows come worst first (fewest correct; ties in
  /// network order), so the same network and data always give the same table.
  public func sensitivity(
    _ config: QuantizationConfig, training: LabeledImages, test: LabeledImages, pool: WorkerPool,
    unitStarting: (Int) throws -> Void = { _ in }, fineTune: (Network) throws -> Void = { _ in }
  ) throws -> [LayerSensitivity] {
    let numbered = numberedLayers
    var rows: [(order: Int, row: LayerSensitivity)] = []
    for (order, unit) in sensitivityUnits.enumerated() {
      var restricted = config
      if let unit {
        guard let operation = numbered[unit].operationIndex else { continue }
        restricted.only = QuantizationSubset(input: false, operations: [operation])
      } else {
        restricted.only = QuantizationSubset(input: true, operations: [])
      }
      try unitStarting(order + 1)
      let quantized = try self.quantized(restricted, training: training, pool: pool, fineTune: fineTune).simulation
      var predictions: [Int32] = []
      let result = quantized.evaluate(test, pool: pool, predictions: &predictions)
      let weights = unit.flatMap { u in quantized.numberedLayers[u] }.flatMap {
        quantized.weightGrid(of: $0)?.statistics
      }
      rows.append(
        (order, LayerSensitivity(layer: unit, correct: result.correct, total: result.count, weights: weights)))
    }
    return rows.sorted { ($0.row.correct, $0.order) < ($1.row.correct, $1.order) }.map(\.row)
  }
}
