import Foundation
import QatImages
import Testing

@testable import QatEngine

/// What `inspect`, `histogram` and `sensitivity` compute: the fit of values to their grid (SQNR,
/// clipping), weight and activation grids read from a quantized network, observers on a list,
/// quantization restricted to one layer, and the sensitivity ranking.
@Suite struct GridInspectionTests {
  // MARK: - GridStatistics

  @Test func sqnrMatchesAHandComputation() {
    // docs/quantization.md §4: five values and an outlier on the 2-bit grid of [0, 8].
    let x: [Float] = [0.3, 0.7, 1.1, 1.5, 1.9, 8.0]
    let params = QuantParams.fromRange(min: 0, max: 8, range: QuantRange(bits: 2, signed: false), symmetric: false)
    let (q, s) = GridStatistics.measure(x, params: params)
    let step = Double(Float(8) / 3)
    #expect(q == [0, 0, 0, Float(step), Float(step), 8])
    // Σx² = 71.65; Σ(x − q)² = 0.3² + 0.7² + 1.1² + (1.5 − 8/3)² + (1.9 − 8/3)² + 0.
    let signal = x.reduce(0.0) { $0 + Double($1) * Double($1) }
    let noise =
      pow(Double(Float(0.3)), 2) + pow(Double(Float(0.7)), 2) + pow(Double(Float(1.1)), 2)
      + pow(Double(Float(1.5)) - step, 2) + pow(Double(Float(1.9)) - step, 2)
    #expect(abs(s.signal - signal) < Tolerance.float64Sum && abs(s.signal - 71.65) < Tolerance.float32Decimals)
    #expect(abs(s.noise - noise) < Tolerance.float64Sum)
    #expect(abs(s.sqnrDB - 10 * log10(signal / noise)) < Tolerance.float64Sum)
    #expect(abs(s.sqnrDB - 12.82) < Tolerance.documentedTwoDecimals, "\(s.sqnrDB)")
    #expect(s.count == 6 && s.min == 0.3 && s.max == 8 && s.clipped == 0)
  }

  @Test func clippingCountsOnlyWhatTheClampMoves() {
    // The 2-bit grid of [0, 2]: levels 0, 2/3, 4/3, 2. −0.5 and 8 are clipped; 2.3 is within half a
    // step of the top level and −0.3 within half a step of the bottom one: they only round.
    let params = QuantParams.fromRange(min: 0, max: 2, range: QuantRange(bits: 2, signed: false), symmetric: false)
    let x: [Float] = [-0.5, -0.3, 0.3, 0.7, 1.1, 1.5, 1.9, 2.3, 8.0]
    let (q, s) = GridStatistics.measure(x, params: params)
    #expect(s.clippedBelow == 1 && s.clippedAbove == 1 && s.clipped == 2)
    #expect(q.first == 0 && q.last == 2 && q[7] == 2)
    #expect(params.clippingBounds.lowerBound < -0.3 && params.clippingBounds.upperBound > 2.3)
    #expect(params.levels == [0, params.scale, 2 * params.scale, 3 * params.scale])
  }

  @Test func perfectFitIsInfiniteAndEmptyIsNaN() {
    let params = QuantParams(scale: 0.5, zeroPoint: 0, range: QuantRange(bits: 4, signed: true))
    #expect(GridStatistics.measure([0, 0.5, -1, 3.5], params: params).statistics.sqnrDB == .infinity)
    #expect(GridStatistics().sqnrDB.isNaN)
    let a = GridStatistics.measure([1, 2], params: params).statistics,
      b = GridStatistics.measure([0.3, -9], params: params).statistics
    let both = GridStatistics.measure([1, 2, 0.3, -9], params: params).statistics
    #expect(a.merged(with: b) == both)
  }

  // MARK: - Observers on a list

  @Test func observersOnAListChooseAsCalibrationDoes() {
    var values: [Float] = (0..<4000).map { i in Float(sin(Double(i) * 0.37)) }
    values.append(12)
    let minmax = ObserverKind.minmax.range(of: values, bits: 4)
    #expect(minmax.max == 12 && minmax.min == values.min())
    #expect(ObserverKind.movingAverage.range(of: values, bits: 4) == minmax)
    // The histogram observer's search on the same 2048-bin histogram calibration fills.
    var histogram = Histogram(lower: minmax.min, upper: minmax.max)
    values.withUnsafeBufferPointer { x in
      if let base = x.baseAddress { histogram.add(base, count: x.count) }
    }
    #expect(ObserverKind.histogram.range(of: values, bits: 4) == histogram.l2OptimalRange(bits: 4))
    #expect(ObserverKind.percentile.range(of: values, bits: 4, percentile: 99.9) == histogram.percentileRange(99.9))
    // At 4 bits the search cuts the lone outlier.
    #expect(ObserverKind.histogram.range(of: values, bits: 4).max < 2)
  }

  @Test func chartBinsPutClipEndsOnBinEdges() {
    let params = QuantParams.fromRange(min: 0, max: 2, range: QuantRange(bits: 2, signed: false), symmetric: false)
    let x: [Float] = [-0.5, 0.3, 0.7, 1.1, 1.5, 1.9, 2.3, 8.0]
    let bins = ChartBins(x, clip: params.clippingBounds, bins: 40)
    #expect(bins.counts.reduce(0, +) == x.count)
    #expect(bins.lower <= -0.5 && bins.upper >= 8 && (38...42).contains(bins.counts.count))
    let width = Double(bins.upper - bins.lower) / Double(bins.counts.count)
    let edge = (Double(params.clippingBounds.upperBound) - Double(bins.lower)) / width
    #expect(abs(edge - edge.rounded()) < Tolerance.binEdgePosition, "the upper clip end is a bin edge")
    // No grid: the values' own range; one value: a range around it.
    #expect(ChartBins([3, 3], clip: nil, bins: 10).counts.reduce(0, +) == 2)
  }

  // MARK: - Grids read from a quantized network

  @Test func weightGridIsWhatTheLayerComputesWith() throws {
    let (net, data) = try QuantizedNetworkTests.trained()
    for perChannel in [true, false] {
      var config = QuantizationConfig(method: .ptq)
      config.weightBits = 4
      config.perChannel = perChannel
      let quantized = try net.prepareQuantization(config, calibration: data, pool: QuantizedNetworkTests.pool)
      let layer = quantized.numberedLayers[0]
      let grid = try #require(quantized.weightGrid(of: layer))
      #expect(grid.folded && grid.perChannel == perChannel && grid.channelValues.count == 4)
      let all = grid.values
      for ch in 0..<4 {
        let values = grid.channelValues[ch]
        let (low, high) = perChannel ? (values.min() ?? 0, values.max() ?? 0) : (all.min() ?? 0, all.max() ?? 0)
        let expected = QuantParams.fromRange(
          min: low, max: high, range: QuantRange(bits: 4, signed: true), symmetric: true)
        #expect(grid.params[ch] == expected)
        let (q, s) = GridStatistics.measure(values, params: expected)
        #expect(grid.channelQuantized[ch] == q)
        #expect(grid.channelStatistics[ch] == s)
      }
      // The fp32 preview (no data) quantizes the weights the same way.
      let preview = try net.weightQuantizationPreview(config)
      let previewGrid = try #require(preview.weightGrid(of: preview.numberedLayers[0]))
      #expect(
        previewGrid.params == grid.params && previewGrid.channelQuantized == grid.channelQuantized
          && previewGrid.channelValues == grid.channelValues)
      #expect(quantized.weightGrid(of: quantized.numberedLayers[1]) == nil, "a batch norm has no weights")
    }
  }

  @Test func activationGridIsTheQuantizersOwn() throws {
    let (net, data) = try QuantizedNetworkTests.trained()
    var config = QuantizationConfig(method: .ptq)
    config.activationBits = 3
    let quantized = try net.prepareQuantization(config, calibration: data, pool: QuantizedNetworkTests.pool)
    let state = try #require(quantized.quantization)
    let conv = quantized.numberedLayers[0]
    let op = try #require(quantized.activationPointOperation(after: conv))
    #expect(quantized.activationPointOperation(after: quantized.numberedLayers[2]) == op, "the ReLU ends the same unit")
    #expect(quantized.activationPointOperation(after: quantized.numberedLayers[3]) == nil, "max pooling keeps its grid")
    #expect(quantized.activationPointOperation(after: nil) == 0)
    let grid = try #require(
      quantized.activationGrid(at: op, data: data, pool: QuantizedNetworkTests.pool, simulated: false))
    #expect(grid.point == 1 && grid.params == state.activations[1].params && grid.name == state.activations[1].name)
    #expect(grid.values.count == data.count * conv.outputShape.elements)
    // Calibration saw these fp32 values (histogram observer): min-max agrees with the tracker's.
    #expect(grid.statistics.min == 0 && grid.statistics.max == state.activations[1].tracker.max)
    // Simulated, the values come through the quantized input and weights; still on the same grid.
    let simulated = try #require(
      quantized.activationGrid(at: op, data: data, pool: QuantizedNetworkTests.pool, simulated: true))
    #expect(simulated.params == grid.params && simulated.values != grid.values)
    // Bypassing the quantizers left the network as it was.
    var before: [Int32] = [], after: [Int32] = []
    let first = quantized.evaluate(data, pool: QuantizedNetworkTests.pool, predictions: &before)
    _ = quantized.activationGrid(at: op, data: data, pool: QuantizedNetworkTests.pool, simulated: false)
    let second = quantized.evaluate(data, pool: QuantizedNetworkTests.pool, predictions: &after)
    #expect(before == after && first.lossSum == second.lossSum)
  }

  // MARK: - Quantizing part of a network

  @Test func restrictedQuantizationLeavesTheRestFP32() throws {
    let (net, data) = try QuantizedNetworkTests.trained()
    let pool = QuantizedNetworkTests.pool
    let fp32 = QuantizedNetworkTests.logits(net, data)
    var config = QuantizationConfig(method: .ptq)
    config.only = QuantizationSubset()
    let nothing = try net.prepareQuantization(config, calibration: data, pool: pool)
    #expect(nothing.quantization?.activations.isEmpty == true && nothing.quantization?.weights.isEmpty == true)
    #expect(QuantizedNetworkTests.logits(nothing, data) == fp32, "nothing quantized: exactly the fp32 network")
    let secondConv = try #require(net.numberedLayers[4].operationIndex)
    for method in QuantMethod.allCases {
      config = QuantizationConfig(method: method)
      config.weightBits = 2
      config.activationBits = 2
      config.only = QuantizationSubset(input: false, operations: [secondConv])
      let one = try net.prepareQuantization(config, calibration: data, pool: pool)
      let state = try #require(one.quantization)
      #expect(state.weights.count == 1 && state.activations.map(\.name) == ["conv(3, kernel: 3, pad: 1)"])
      #expect(one.weightGrid(of: one.numberedLayers[0]) == nil && one.weightGrid(of: one.numberedLayers[4]) != nil)
      #expect(QuantizedNetworkTests.logits(one, data) != fp32)
      #expect(throws: IntegerConversionError.self) { try one.integerProgram() }
    }
    config = QuantizationConfig(method: .ptq)
    config.only = QuantizationSubset(input: true)
    let input = try net.prepareQuantization(config, calibration: data, pool: pool)
    #expect(input.quantization?.activations.map(\.name) == ["input"])
  }

  // MARK: - Sensitivity

  /// Net A from the PyTorch fixture, with its dense layer made fragile without changing what the
  /// fp32 network computes: channel 7 of the second conv block is scaled down 1000× (batch norm γ
  /// and β; ReLU and max pooling commute with it) and the dense weights reading it up 1000×. Per
  /// output channel, the dense layer's grid is then stretched by the 1000× weights, and every other
  /// weight rounds to zero.
  static func fragileNetA() throws -> (Network, LabeledImages, LabeledImages) {
    let url = PyTorchPTQAgreementTests.root.appendingPathComponent(
      "Tests/QatEngineTests/Fixtures/pytorch-ptq-net-a.json")
    let reference = try JSONDecoder().decode(PyTorchPTQAgreementTests.Reference.self, from: Data(contentsOf: url))
    let digits = try ImageFolderLoader.load(
      PyTorchPTQAgreementTests.root.appendingPathComponent("samples/digits").path,
      options: ImageFolderOptions(threads: 1), cache: nil, isInterrupted: { false })
    let shape = ActivationShape(channels: 1, height: 8, width: 8)
    let train = LabeledImages(nchw: digits.train.pixels, labels: digits.train.labels, shape: shape)
    let test = LabeledImages(nchw: digits.test.pixels, labels: digits.test.labels, shape: shape)
    let net = try PyTorchPTQAgreementTests.netA(reference, input: shape)
    let channel = 7, factor: Float = 1000
    guard let bn = net.ops[5] as? BatchNormOp, let dense = net.ops[9] as? DenseOp else { throw CancellationError() }
    bn.gamma.value[channel] /= factor
    bn.beta.value[channel] /= factor
    var weights = dense.userWeights()
    let inputs = dense.input.elements, positions = 4
    for o in 0..<10 {
      for p in 0..<positions { weights[o * inputs + channel * positions + p] *= factor }
    }
    dense.setUserWeights(weights)
    return (net, train.subset(Network.calibrationIndices(count: train.count, samples: 256)), test)
  }

  @Test func sensitivityRanksTheFragileLayerFirstAndIsDeterministic() throws {
    let (net, calibration, test) = try Self.fragileNetA()
    let pool = WorkerPool.shared(threads: 2)
    var predictions: [Int32] = []
    let fp32 = net.evaluate(test, pool: pool, predictions: &predictions)
    #expect(fp32.correct >= 350, "the rescaling leaves the fp32 network as it was: \(fp32.correct)/360")
    var config = QuantizationConfig(method: .ptq)
    config.observer = .minmax
    let rows = try net.sensitivity(config, training: calibration, test: test, pool: pool)
    #expect(rows.map(\.layer).sorted { ($0 ?? -1) < ($1 ?? -1) } == [nil, 0, 4, 9])
    #expect(rows.first?.layer == 9, "the dense layer hurts most: \(rows.map { ($0.layer ?? -1, $0.correct) })")
    #expect((rows.first?.correct ?? 360) < fp32.correct - 20)
    #expect(zip(rows, rows.dropFirst()).allSatisfy { $0.correct <= $1.correct })
    #expect(rows.allSatisfy { $0.total == 360 })
    #expect(rows.first { $0.layer == nil }?.weights == nil && rows.first { $0.layer == 9 }?.weights != nil)
    // The dense layer's weights fit their grids far worse than the convolutions'.
    let sqnr = Dictionary(uniqueKeysWithValues: rows.compactMap { r in r.layer.map { ($0, r.weights?.sqnrDB ?? 0) } })
    #expect((sqnr[9] ?? 99) < (sqnr[0] ?? 0) && (sqnr[9] ?? 99) < (sqnr[4] ?? 0))
    let again = try net.sensitivity(config, training: calibration, test: test, pool: WorkerPool.shared(threads: 1))
    #expect(again.map(\.layer) == rows.map(\.layer) && again.map(\.correct) == rows.map(\.correct))
  }
}
