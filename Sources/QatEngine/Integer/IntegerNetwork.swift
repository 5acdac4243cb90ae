import CKernels
import QatModelFile
import QatSupport

/// One activation of an integer program: its shape and the grid its integers live on,
/// real value ≈ (q − zero point)·scale with q in [0, 2^bits − 1], kept in a uint8 container.
public struct IntegerActivation: Sendable, Equatable {
  public let shape: ActivationShape
  public let params: QuantParams
  /// The quantization point that made this grid ("input", "conv(16, kernel: 3, pad: 1)", "logits",
  /// …); nil for an activation that keeps its input's grid (max pooling, a plain ReLU).
  public let name: String?
  /// The float network's activation index it stands for (the simulation's, to compare with);
  /// nil in a program read from a file.
  public let simulationIndex: Int?

  public init(shape: ActivationShape, params: QuantParams, name: String?, simulationIndex: Int? = nil) {
    self.shape = shape
    self.params = params
    self.name = name
    self.simulationIndex = simulationIndex
  }
}

/// What a quantized model was made with, shown with it and saved with it.
public struct IntegerProgramInfo: Sendable, Equatable {
  public var method: QuantMethod
  public var weightBits: Int
  public var activationBits: Int
  /// Mixed precision: each conv/dense layer's width, in network order (empty when uniform).
  public var layerBits: [Int]
  /// Made with cross-layer equalization (`QuantizationConfig.equalize`).
  public var equalized = false
  /// Made with bias correction (`QuantizationConfig.biasCorrection`).
  public var biasCorrected = false
  /// Made with AdaRound's weight rounding (`QuantizationConfig.rounding`).
  public var adaRounded = false

  public init(method: QuantMethod, weightBits: Int, activationBits: Int, layerBits: [Int] = []) {
    self.method = method
    self.weightBits = weightBits
    self.activationBits = activationBits
    self.layerBits = layerBits
  }
}

/// A quantized model as an integer-only program (SPEC §5.5): the input is quantized once, then
/// every step reads and writes uint8 activations — conv and dense through int8 × uint8 GEMMs with
/// int32 accumulation and fixed-point requantization, pooling, residual adds and affine maps in
/// integers — and only the logits are dequantized at the end. No step computes in floating point.
public final class IntegerNetwork {
  public let activations: [IntegerActivation]
  let ops: [IntegerOp]
  public let info: IntegerProgramInfo
  /// The activation holding the logits.
  public let outputIndex: Int
  /// Per-chunk working memory, created on demand.
  var chunks: [IntegerChunk] = []

  init(activations: [IntegerActivation], ops: [IntegerOp], output: Int, info: IntegerProgramInfo) {
    self.activations = activations
    self.ops = ops
    self.outputIndex = output
    self.info = info
  }

  public var inputShape: ActivationShape { activations[0].shape }
  public var inputParams: QuantParams { activations[0].params }
  public var outputShape: ActivationShape { activations[outputIndex].shape }
  public var outputParams: QuantParams { activations[outputIndex].params }
  /// The quantization points, in order: (name, grid).
  public var quantizationPoints: [(name: String, params: QuantParams)] {
    activations.compactMap { a in a.name.map { ($0, a.params) } }
  }
  /// Steps in the program.
  public var stepCount: Int { ops.count }
  /// The steps' names, in order ("conv 3×3 → 16", …), for tables and tests.
  public var stepNames: [String] { ops.map(\.name) }

  /// Images a chunk holds: enough to amortize each call, few enough that one chunk's activations and
  /// scratch stay in the L2 cache.
  /// Images one evaluation round runs at once (`evaluate`'s usual batch): its activations are bytes,
  /// so a round of 256 stays small where the fp32 engine's would not.
  public static let roundImages = 256

  var chunkCapacity: Int {
    let perImage = activations.reduce(0) { $0 + $1.shape.elements } + ops.reduce(0) { $0 + $1.scratchBytesPerImage }
    return max(1, min(64, 393_216 / max(1, perImage)))
  }

  /// Bytes of working memory for `images` images at once, as `evaluate` allocates it (whole chunks:
  /// float input, every activation, every step's scratch, the logits, labels and predictions), or nil
  /// when it overflows.
  public func workingBytes(images: Int) -> Int? {
    let perImage = MemoryBudget.sum(
      [
        MemoryBudget.product([4, inputShape.elements]) ?? Int.max,
        MemoryBudget.sum(activations.map(\.shape.elements)) ?? Int.max,
        MemoryBudget.sum(ops.map(\.scratchBytesPerImage)) ?? Int.max,
        MemoryBudget.product([4, outputShape.elements]) ?? Int.max, 8,
      ])
    let capacity = chunkCapacity
    let chunks = (max(0, images) + capacity - 1) / capacity
    return perImage.flatMap { MemoryBudget.product([chunks, capacity, $0]) }
  }

  func ensureChunks(_ count: Int) {
    while chunks.count < count { chunks.append(IntegerChunk(network: self, capacity: chunkCapacity)) }
  }
}

/// One chunk's activations (uint8, one buffer per activation) and each step's scratch.
final class IntegerChunk {
  let capacity: Int
  /// The chunk's images in float (normalized pixels), before the input is quantized.
  let input: FloatBuffer
  let activations: [AlignedBuffer<UInt8>]
  let scratch: [AlignedBuffer<UInt8>?]
  /// Dequantized logits of the chunk's images.
  let logits: FloatBuffer
  let labels: AlignedBuffer<Int32>
  let predictions: AlignedBuffer<Int32>
  var count = 0
  var lossSum = 0.0
  var correct = 0

  init(network: IntegerNetwork, capacity: Int) {
    self.capacity = capacity
    input = FloatBuffer(count: capacity * network.inputShape.elements)
    activations = network.activations.map { AlignedBuffer<UInt8>(count: capacity * $0.shape.elements) }
    scratch = network.ops.map { op in
      op.scratchBytesPerImage > 0 ? AlignedBuffer<UInt8>(count: capacity * op.scratchBytesPerImage) : nil
    }
    logits = FloatBuffer(count: capacity * network.outputShape.elements)
    labels = AlignedBuffer<Int32>(count: capacity)
    predictions = AlignedBuffer<Int32>(count: capacity)
  }
}

/// One step of an integer program: reads activations `inputs`, writes activation `output`.
class IntegerOp {
  let inputs: [Int]
  let output: Int
  /// "conv 3×3 → 16", "maxpool 2", …
  let name: String

  init(inputs: [Int], output: Int, name: String) {
    self.inputs = inputs
    self.output = output
    self.name = name
  }

  /// Scratch bytes the step needs per image (im2col columns).
  var scratchBytesPerImage: Int { 0 }

  /// Runs the step on `images` images of `chunk`.
  func run(_ chunk: IntegerChunk, images: Int, index: Int) {}

  /// The step as a model file's layer-table entry (see IntegerStepDecoder for the way back).
  var fileLayer: ModelFile.Layer { ModelFile.Layer(type: "q.unknown", name: name) }
}
