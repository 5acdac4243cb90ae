// What `inspect` shows: one layer's weights, or the activations at one quantization point, next
// to the grid the engine rounds them to — read from a fake-quantized network's own quantizers, so
// every number is the one the model computes with.

/// One conv or dense layer's weights against the grid(s) they are rounded to, per output channel.
public struct WeightGrid: Sendable {
  /// Per output channel, the weights as they are quantized: with a batch norm that follows folded
  /// in (PTQ folds it into the weights; QAT fake-quantizes W·γ/√(σ² + ε)), engine order.
  public let channelValues: [[Float]]
  /// The same weights fake-quantized, as the quantized model computes with them.
  public let channelQuantized: [[Float]]
  /// The grid of each output channel (the same one repeated when `perChannel` is false).
  public let params: [QuantParams]
  public let perChannel: Bool
  /// True when a batch norm is folded into the values.
  public let folded: Bool
  /// The fit of each channel's weights to its grid.
  public let channelStatistics: [GridStatistics]

  /// Every weight, channel after channel.
  public var values: [Float] { channelValues.flatMap { $0 } }
  /// The fit of all the weights together.
  public var statistics: GridStatistics { channelStatistics.reduce(GridStatistics()) { $0.merged(with: $1) } }
}

/// The activations at one quantization point against its grid.
public struct ActivationGrid: Sendable {
  /// The point's name as the model's table shows it ("input", "conv(16, kernel: 3, pad: 1)", …).
  public let name: String
  /// Its number in the model's table of quantization points.
  public let point: Int
  public let observer: ObserverKind
  /// A symmetric grid (`symmetric: true`) rather than an affine one.
  public let symmetric: Bool
  /// The values that reach the quantizer over the images given, and the same fake-quantized.
  public let values: [Float]
  public let quantized: [Float]
  public let params: QuantParams
  public let statistics: GridStatistics
}

extension Network {
  /// The layers numbered as `summary(net)` numbers them: in order, a residual block before the
  /// layers inside it.
  public var numberedLayers: [NetworkLayer] {
    var result: [NetworkLayer] = []
    func walk(_ layers: [NetworkLayer]) {
      for layer in layers {
        result.append(layer)
        walk(layer.children)
      }
    }
    walk(layers)
    return result
  }

  /// True for a conv or dense layer (what has weights to quantize).
  public static func hasQuantizedWeights(_ layer: NetworkLayer) -> Bool {
    layer.spec.name == "conv" || layer.spec.name == "dense"
  }

  /// A fake-quantized copy of this fp32 network whose weights are quantized as `config` says
  /// (batch norm folded, each weight quantizer's min-max range observed, as calibration does) and
  /// whose activations are not calibrated: for looking at the weights' grids without data. Its
  /// activation quantizers have no range yet, so it is not for running.
  public func weightQuantizationPreview(_ config: QuantizationConfig) throws(ShapeError) -> Network {
    let base = try copy()
    var builder = QuantizedNetworkBuilder(config: config, base: base)
    let network = builder.build()
    network.observeWeights()
    for w in network.quantization?.weights ?? [] { w.fakeQuantizing = true }
    return network
  }

  /// The weights of `layer` (one of this fake-quantized network's conv or dense layers) against
  /// their grids; nil when the layer has no quantized weights.
  public func weightGrid(of layer: NetworkLayer) -> WeightGrid? {
    guard let i = layer.operationIndex, i < ops.count, let op = ops[i] as? WeightedOperation, let q = op.weightQuantizer
    else { return nil }
    // The effective weights as the next forward pass computes them (nothing is observed).
    q.prepare(from: op.weight.value, observe: false)
    let scaled = op.weight.value.clone()
    if q.foldedBatchNorm != nil { q.layout.scale(scaled.pointer, by: q.foldScale.pointer) }
    let channels = q.layout.channels
    var values = [[Float]](repeating: [], count: channels), quantized = values
    var masks = [[UInt8]](repeating: [], count: channels)
    q.layout.forEach { k, ch in
      values[ch].append(scaled[k])
      quantized[ch].append(q.effective[k])
      masks[ch].append(q.mask[k])
    }
    let params = q.params
    var statistics: [GridStatistics] = []
    for ch in 0..<channels {
      var s = GridStatistics()
      values[ch].withUnsafeBufferPointer { x in
        quantized[ch].withUnsafeBufferPointer { y in
          masks[ch].withUnsafeBufferPointer { m in
            guard let xb = x.baseAddress, let yb = y.baseAddress, let mb = m.baseAddress else { return }
            s.add(xb, quantized: yb, mask: mb, count: x.count, lowest: params[ch].dequantize(params[ch].range.qmin))
          }
        }
      }
      statistics.append(s)
    }
    let numbered = numberedLayers
    let next = numbered.firstIndex { $0 === layer }.flatMap { $0 + 1 < numbered.count ? numbered[$0 + 1] : nil }
    let foldedAway = next.map { $0.spec.name == "batchnorm" && $0.opRange.isEmpty } ?? false
    return WeightGrid(
      channelValues: values, channelQuantized: quantized, params: params, perChannel: q.perChannel,
      folded: q.foldedBatchNorm != nil || foldedAway, channelStatistics: statistics)
  }

  /// The operation index of the quantization point that quantizes `layer`'s output (nil: the
  /// network input's): the first one after the layer's operations, past a batch norm and ReLU
  /// of its unit; nil when the layer's output is not quantized right after it (a max pooling
  /// keeps its input's grid, a layer inside a unit is quantized with the unit).
  public func activationPointOperation(after layer: NetworkLayer?) -> Int? {
    guard quantization != nil else { return nil }
    guard let layer else { return ops.first is FakeQuantOp ? 0 : nil }
    var k = layer.opRange.upperBound
    if layer.opRange.isEmpty { return nil }
    while k < ops.count, ops[k] is BatchNormOp || ops[k] is ReLUOp { k += 1 }
    return k < ops.count && ops[k] is FakeQuantOp ? k : nil
  }

  /// The values reaching quantization point `operation` (see `activationPointOperation`) over
  /// `data`, against its grid. `simulated`: as this fake-quantized network computes them (every
  /// earlier layer quantized); otherwise in fp32 with every quantizer bypassed, as calibration
  /// observes them.
  public func activationGrid(at operation: Int, data: LabeledImages, pool: WorkerPool, simulated: Bool)
    -> ActivationGrid?
  {
    guard let state = quantization, operation < ops.count, let op = ops[operation] as? FakeQuantOp,
      let point = state.activations.firstIndex(where: { $0 === op.quantizer })
    else { return nil }
    if !simulated {
      for q in state.activations { q.fakeQuantizing = false }
      for w in state.weights { w.fakeQuantizing = false }
    }
    let values = activations(at: operation, over: data, pool: pool)
    if !simulated {
      for q in state.activations { q.fakeQuantizing = true }
      for w in state.weights { w.fakeQuantizing = true }
    }
    let params = op.quantizer.params
    let (quantized, statistics) = GridStatistics.measure(values, params: params)
    return ActivationGrid(
      name: op.quantizer.name, point: point, observer: op.quantizer.observer,
      symmetric: op.quantizer.symmetric, values: values,
      quantized: quantized, params: params, statistics: statistics)
  }

  /// Activation `index` (the input of operation `index`) of an evaluation pass over every image of
  /// `data`, image after image (each image's values in the engine's NHWC order).
  func activations(at index: Int, over data: LabeledImages, pool: WorkerPool) -> [Float] {
    let elements = (index == 0 ? inputShape : ops[index - 1].output).elements
    var result: [Float] = []
    result.reserveCapacity(data.count * elements)
    for round in Self.evaluationRounds(count: data.count) {
      for slot in evaluatedSlots(data.subset(Array(round)), pool: pool) {
        result.append(
          contentsOf: UnsafeBufferPointer(start: slot.activations[index].pointer, count: slot.count * elements))
      }
    }
    return result
  }
}
