/// What `evaluate` and `predict` run: the fp32 (or fake-quantized) network, or an integer program.
public protocol InferenceProgram: AnyObject {
  var inputShape: ActivationShape { get }
  var outputShape: ActivationShape { get }
  /// Loss, accuracy counts, every prediction (ties to the lowest class) and, when asked, the logits.
  func evaluate(
    _ data: LabeledImages, pool: WorkerPool, batch: Int, predictions: inout [Int32],
    logits: UnsafeMutablePointer<Float>?
  ) -> PassResult
}

extension Network: InferenceProgram {}
extension IntegerNetwork: InferenceProgram {}
