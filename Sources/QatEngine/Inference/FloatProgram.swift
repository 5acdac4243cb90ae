import CKernels
import QatSupport
import Synchronization

/// An fp32 network compiled for inference only — the fp32 path `evaluate`, `predict` and `compare`
/// run, and the baseline of every speed-up the tool prints:
/// - batch norm folded into the conv or dense layer before it (as PTQ folds, `BatchNormFolding`);
/// - bias and the ReLU after it applied in one pass over each block of a convolution's output
///   while it is still in cache, and a residual add with the ReLU after it likewise;
/// - no gradients, no training state: each worker keeps only the activations still to be read
///   (buffers are reused once their last reader has run), so memory does not grow with the batch.
/// Images are independent, so results never depend on the thread count or the batch size.
public final class FloatProgram {
  public let inputShape: ActivationShape
  public let outputShape: ActivationShape
  let steps: [FloatStepPlan]
  /// Floats per image every activation buffer has room for (the largest activation).
  let bufferElements: Int
  /// Activation buffers per workspace (the most activations alive at once).
  let bufferCount: Int
  /// Floats of lowered columns (or depthwise work) one workspace needs.
  let scratchElements: Int
  /// The buffer holding the logits after the last step.
  let outputBuffer: Int
  /// The folded copy whose operations (weights, geometry) the steps run.
  let network: Network
  let workspaces = WorkspaceStack()

  /// Images per task: a chunk's activations stay small, and every image is computed on its own.
  static let chunkSize = 16

  /// Compiles `network` (an fp32 network; it is left untouched). Returns nil for a fake-quantized
  /// network, which runs as it is (its integer program is the deployed form).
  public convenience init?(_ network: Network) {
    guard network.quantization == nil, let folded = try? network.foldingBatchNorms().network else { return nil }
    let plan = FloatProgramPlanner(network: folded)
    guard !plan.unsupported else { return nil }
    self.init(folded: folded, plan: plan)
  }

  init(folded: Network, plan: FloatProgramPlanner) {
    network = folded
    inputShape = folded.inputShape
    outputShape = folded.outputShape
    steps = plan.steps
    bufferCount = plan.bufferCount
    outputBuffer = plan.outputBuffer
    bufferElements = ([folded.inputShape] + folded.ops.map(\.output)).map(\.elements).max() ?? 1
    scratchElements = plan.scratchElements(chunk: Self.chunkSize)
  }
}

/// One step of a `FloatProgram`: an operation of the folded network reading buffer `input` and
/// writing buffer `output`, with the activation fused into it.
struct FloatStepPlan {
  enum Kind {
    case conv(ConvOp)
    /// A 3×3, stride-1, pad-1 convolution run as Winograd F(2×2, 3×3), with its weights transformed
    /// once (16·c_in·c_out floats).
    case winograd(ConvOp, WinogradWeights)
    case dense(DenseOp)
    /// A batch norm that follows no conv/dense: y = x·scale + offset per channel.
    case affine(scales: FloatBuffer, offsets: FloatBuffer)
    case relu
    case maxPool(MaxPoolOp)
    case avgPool(AvgPoolOp)
    case globalAvgPool
    /// The residual add of the input and buffer `skip`.
    case add(skip: Int)
  }

  var kind: Kind
  var input: Int
  var output: Int
  let inputShape: ActivationShape
  let outputShape: ActivationShape
  /// The activation applied to the step's result: negative none, 0 ReLU, > 0 a ReLU capped there.
  var reluCap: Float = -1
}

/// A free list of workspaces shared by the workers of one evaluation: a task takes one, runs its
/// chunk and gives it back, so there are never more workspaces than tasks running at once.
final class WorkspaceStack: Sendable {
  private let free = Mutex<[FloatWorkspace]>([])

  func take(or make: () -> FloatWorkspace) -> FloatWorkspace {
    free.withLock { $0.popLast() } ?? make()
  }

  func give(_ workspace: FloatWorkspace) {
    free.withLock { $0.append(workspace) }
  }
}

/// One worker's memory: the activation buffers, the lowered columns, the chunk's labels and results.
/// Only one task uses a workspace at a time (`WorkspaceStack` hands it out).
final class FloatWorkspace: @unchecked Sendable {
  let buffers: [FloatBuffer]
  let scratch: FloatBuffer
  let labels: AlignedBuffer<Int32>
  let predictions: AlignedBuffer<Int32>

  init(program: FloatProgram) {
    let chunk = FloatProgram.chunkSize
    buffers = (0..<program.bufferCount).map { _ in FloatBuffer(count: chunk * program.bufferElements) }
    scratch = FloatBuffer(count: max(1, program.scratchElements))
    labels = AlignedBuffer<Int32>(count: chunk)
    predictions = AlignedBuffer<Int32>(count: chunk)
  }
}
