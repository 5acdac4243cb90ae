import CKernels

/// What AdaRound did to one conv/dense layer: its output error per calibration row (image and
/// position), summed over the output channels, with nearest rounding and with AdaRound's, and how
/// many of its weights moved to the other neighbouring level.
public struct AdaRoundLayerReport: Sendable, Equatable {
  /// The engine operation index of the layer.
  public let operation: Int
  public let nearestError, adaRoundError: Double
  public let flipped, weights: Int
  /// Inputs per output (K).
  public let inputs: Int
  /// True when K was above `AdaRound.Settings.maxInputs`: the layer kept nearest rounding (its errors
  /// are then 0 and nothing is flipped).
  public let keptNearest: Bool
}

extension AdaRound {
  /// Rounds the weights of every quantized conv/dense layer of `simulation` (converted, batch norm
  /// folded, calibrated) in network order, each after the layers before it, so that each layer's
  /// inputs X̂ are those of the model as it will be deployed; `reference` is the fp32 network it was
  /// prepared from (the same conv/dense operations in the same order), whose inputs X give the
  /// target W·X. The chosen levels become the stored weights, s·q exactly: quantizing them again
  /// (the simulation, the integer compiler, a saved file) gives q back, so nothing else needs to
  /// know that AdaRound ran. Returns one report per layer rounded, empty when the two networks do
  /// not match. `progress` is called every 50 iterations; returning true throws.
  @discardableResult
  static func round(
    _ simulation: Network, reference: Network, calibration: LabeledImages, pool: WorkerPool,
    settings: Settings = Settings(), progress: (AdaRoundProgress) -> Bool = { _ in false }
  ) throws(AdaRoundInterrupted) -> [AdaRoundLayerReport] {
    let quantized = BiasCorrection.weightedIndices(simulation), fp32 = BiasCorrection.weightedIndices(reference)
    guard quantized.count == fp32.count, calibration.count > 0,
      zip(quantized, fp32).allSatisfy({ simulation.ops[$0].output == reference.ops[$1].output })
    else { return [] }
    var reports: [AdaRoundLayerReport] = []
    for (number, (i, r)) in zip(quantized, fp32).enumerated() {
      guard let op = simulation.ops[i] as? WeightedOperation, let quantizer = op.weightQuantizer,
        quantizer.foldedBatchNorm == nil
      else { continue }
      guard op.layout.rows <= settings.maxInputs else {
        reports.append(
          AdaRoundLayerReport(
            operation: i, nearestError: 0, adaRoundError: 0, flipped: 0, weights: op.weight.count,
            inputs: op.layout.rows, keptNearest: true))
        continue
      }
      let blocks = problems(
        op, quantizer: quantizer, inputs: (simulation, i), fp32: (reference, r), calibration: calibration, pool: pool)
      var nearest = 0.0, rounded = 0.0, flipped = 0
      for (g, block) in blocks.enumerated() {
        let levels = block.solve(settings: settings) { iteration, error in
          let done = g * settings.iterations + iteration
          return progress(
            AdaRoundProgress(
              layer: number + 1, layers: quantized.count, iteration: done,
              iterations: blocks.count * settings.iterations,
              reconstructionError: error))
        }
        guard let levels else { throw AdaRoundInterrupted(layer: number + 1) }
        let closest = block.nearestLevels()
        nearest += block.reconstructionError(levels: closest)
        rounded += block.reconstructionError(levels: levels)
        flipped += zip(levels, closest).filter { $0 != $1 }.count
        let base = g * block.rows * block.columns
        for k in 0..<levels.count { op.weight.value[base + k] = block.scales[k % block.columns] * levels[k] }
      }
      reports.append(
        AdaRoundLayerReport(
          operation: i, nearestError: nearest, adaRoundError: rounded, flipped: flipped, weights: op.weight.count,
          inputs: op.layout.rows, keptNearest: false))
    }
    return reports
  }

  /// The blocks of `op` (operation `inputs.1` of `inputs.0`, quantized) with their Gram matrices,
  /// from the inputs both networks give the layer on `calibration` (evaluation passes of at most
  /// 256 images, whose activations stay in the slots), and the fp32 weights W of operation `fp32.1`
  /// of `fp32.0`.
  static func problems(
    _ op: WeightedOperation, quantizer: WeightQuantizer, inputs: (Network, Int), fp32: (Network, Int),
    calibration: LabeledImages, pool: WorkerPool
  ) -> [AdaRoundProblem] {
    // W is the fp32 network's (the quantized copy's may already hold rounded values).
    let weight = (fp32.0.ops[fp32.1] as? WeightedOperation)?.weight.value ?? op.weight.value
    let layout = op.layout, k = layout.rows, c = layout.columns, blocks = layout.blocks
    let positions = (op as? ConvOp)?.positions ?? 1, stride = blocks * k
    let grams = (0..<blocks).map { _ in FloatBuffer(count: k * k) }
    let crosses = (0..<blocks).map { _ in FloatBuffer(count: k * k) }
    let lowered = FloatBuffer(count: Network.chunkSize * positions * stride)
    let loweredFP32 = FloatBuffer(count: Network.chunkSize * positions * stride)
    let outputs = FloatBuffer(count: Network.chunkSize * positions * c)
    var constants = [Double](repeating: 0, count: blocks), rowCount = 0
    for round in Network.evaluationRounds(count: calibration.count) {
      let part = calibration.subset(Array(round))
      let quantizedSlots = inputs.0.evaluatedSlots(part, pool: pool),
        fp32Slots = fp32.0.evaluatedSlots(part, pool: pool)
      for (quantizedSlot, fp32Slot) in zip(quantizedSlots, fp32Slots) {
        let count = quantizedSlot.count, rows = count * positions
        lower(quantizedSlot.activations[inputs.1].pointer, count: count, op: op, into: lowered)
        lower(fp32Slot.activations[fp32.1].pointer, count: count, op: op, into: loweredFP32)
        for g in 0..<blocks {
          let x̂ = lowered.pointer + g * k, x = loweredFP32.pointer + g * k
          Kernels.gemm(
            transA: true, m: k, n: k, k: rows, a: x̂, lda: stride, b: x̂, ldb: stride, beta: 1, c: grams[g].pointer,
            ldc: k)
          Kernels.gemm(
            transA: true, m: k, n: k, k: rows, a: x̂, lda: stride, b: x, ldb: stride, beta: 1, c: crosses[g].pointer,
            ldc: k)
          Kernels.gemm(
            m: rows, n: c, k: k, a: x, lda: stride, b: weight.pointer + g * k * c, ldb: c, c: outputs.pointer,
            ldc: c)
          for e in 0..<(rows * c) { constants[g] += Double(outputs[e]) * Double(outputs[e]) }
        }
        rowCount += rows
      }
    }
    let n = Float(max(1, rowCount))
    return (0..<blocks).map { g in
      let weights = Array(UnsafeBufferPointer(start: weight.pointer + g * k * c, count: k * c))
      let target = FloatBuffer(count: k * c)
      Kernels.gemm(
        m: k, n: c, k: k, a: crosses[g].pointer, lda: k, b: weight.pointer + g * k * c, ldb: c,
        c: target.pointer, ldc: c)
      for e in 0..<(k * c) { target[e] /= n }
      for e in 0..<(k * k) { grams[g][e] /= n }
      let params = (0..<c).map { quantizer.params[g * c + $0] }
      return AdaRoundProblem(
        rows: k, columns: c, weights: weights, scales: params.map(\.scale), inverseScales: params.map(\.inverseScale),
        qmin: Float(quantizer.range.qmin), qmax: Float(quantizer.range.qmax), gram: grams[g], target: target,
        constant: constants[g] / Double(n))
    }
  }

  /// The rows of a layer's input for `count` images at `x`: a conv's lowered columns (im2col, one
  /// group's columns after another, as the conv's GEMMs and the depthwise kernel read its weights),
  /// or a dense layer's input as it is.
  static func lower(_ x: UnsafeMutablePointer<Float>, count: Int, op: WeightedOperation, into rows: FloatBuffer) {
    guard let conv = op as? ConvOp else {
      rows.pointer.update(from: x, count: count * op.input.elements)
      return
    }
    var shape = conv.shape(images: count)
    qk_im2col_nhwc(&shape, x, rows.pointer)
  }
}
