/// A layer with a weight matrix and a bias per output channel (conv, dense): what quantization
/// fake-quantizes and batch norm folds into. The engine keeps the weights as `blocks` blocks of
/// `blockRows` × `blockColumns`, column c of block g belonging to output channel g·blockColumns + c.
class WeightedOperation: Operation {
  let weight: LearnableTensor
  let bias: LearnableTensor
  let blocks, blockRows, blockColumns: Int
  /// Set when the layer's weights are fake-quantized (see WeightQuantizer).
  var weightQuantizer: WeightQuantizer?

  init(input: ActivationShape, output: ActivationShape, weightShape: [Int], blocks: Int, blockRows: Int, blockColumns: Int) {
    weight = LearnableTensor(name: "weight", shape: weightShape)
    bias = LearnableTensor(name: "bias", shape: [weightShape[0]])
    self.blocks = blocks
    self.blockRows = blockRows
    self.blockColumns = blockColumns
    super.init(input: input, output: output)
  }

  override var parameters: [LearnableTensor] { [weight, bias] + (weightQuantizer?.learnedScales.map { [$0] } ?? []) }

  /// Output channels.
  var channels: Int { blocks * blockColumns }

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
