/// How the engine keeps a conv or dense layer's weights: `blocks` blocks (a conv's groups) of
/// `rows` × `columns`, column c of block g belonging to output channel g·columns + c.
struct WeightLayout: Equatable, Sendable {
  let blocks, rows, columns: Int

  /// Output channels.
  var channels: Int { blocks * columns }
  /// Weights in all.
  var count: Int { blocks * rows * columns }

  /// Calls `body(index, channel)` for every weight, in memory order.
  @inline(__always) func forEach(_ body: (Int, Int) -> Void) {
    for g in 0..<blocks {
      for r in 0..<rows {
        let base = (g * rows + r) * columns
        for c in 0..<columns { body(base + c, g * columns + c) }
      }
    }
  }

  /// Multiplies every weight by its output channel's factor (batch-norm folding, its gradient).
  func scale(_ values: UnsafeMutablePointer<Float>, by factors: UnsafePointer<Float>) {
    forEach { k, ch in values[k] *= factors[ch] }
  }
}

/// A layer with a weight matrix and a bias per output channel (conv, dense): what quantization
/// fake-quantizes and batch norm folds into.
class WeightedOperation: Operation {
  let weight: LearnableTensor
  let bias: LearnableTensor
  let layout: WeightLayout
  /// Set when the layer's weights are fake-quantized (see WeightQuantizer).
  var weightQuantizer: WeightQuantizer?

  init(input: ActivationShape, output: ActivationShape, weightShape: [Int], layout: WeightLayout) {
    weight = LearnableTensor(name: "weight", shape: weightShape)
    bias = LearnableTensor(name: "bias", shape: [weightShape[0]])
    self.layout = layout
    super.init(input: input, output: output)
  }

  override var parameters: [LearnableTensor] { [weight, bias] + (weightQuantizer?.learnedScales.map { [$0] } ?? []) }

  /// The weights the passes compute with: the fake-quantized ones when quantized.
  var weights: UnsafeMutablePointer<Float> { weightQuantizer?.effective.pointer ?? weight.value.pointer }

  /// The quantizer when it divides the output by a QAT-folded batch norm's factor, else nil.
  var foldingQuantizer: WeightQuantizer? { weightQuantizer?.foldedBatchNorm == nil ? nil : weightQuantizer }

  override func beginForward(training: Bool) {
    weightQuantizer?.prepare(from: weight.value, observe: training)
  }

  override func finishBackward() {
    weightQuantizer?.finishGradient(weight)
  }
}
