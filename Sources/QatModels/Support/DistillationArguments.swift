import QatEngine
import QatsLanguage

/// `quantize(…, method: "qat", teacher: net, temperature: 4)`: knowledge distillation during QAT.
extension ModelArguments {
  /// α: half the loss from the teacher's softened outputs, half from the labels (Hinton et al. 2015).
  static let distillationWeight: Float = 0.5

  static var distillationParameters: [Parameter] {
    [
      .optional(
        "teacher", .object(["model"]),
        """
        QAT: an fp32 model (usually the one being quantized) whose outputs, softened by `temperature`, the \
        student learns too: loss = ½·cross-entropy + ½·T²·KL(teacher ‖ student)
        """),
      .optional(
        "temperature", .positiveNumber, default: .float(1),
        "QAT with a teacher: the softening T (1–20; at 2 bits on the digits 1 helped and 4 hurt)"),
    ]
  }

  /// The teacher's logits for every image of `images` (the fine-tuning set, in its order), or nil when
  /// no teacher is given; refused unless it is an fp32 model for the same input and classes, with QAT.
  static func distillation(_ call: BuiltinCall, config: QuantizationConfig, student: Network, images: LabeledImages)
    throws -> DistillationTargets?
  {
    guard call.isGiven("teacher"), case .object(let object) = call.value("teacher"), let teacher = object as? ModelValue
    else {
      if call.isGiven("temperature") {
        throw call.error("`temperature` softens a teacher's outputs; give `teacher:` too", argument: "temperature")
      }
      return nil
    }
    guard config.method == .qat else {
      throw call.error(
        "a teacher guides training, and PTQ does not train", argument: "teacher",
        hint: "quantize(net, data, method: \"qat\", teacher: net)")
    }
    try teacher.require(.fp32, call: call)
    guard let network = teacher.network, network.inputShape == student.inputShape,
      network.outputShape.elements == student.outputShape.elements
    else {
      throw call.error(
        "the teacher must take the same images and give the same classes as the model", argument: "teacher",
        hint: "teacher: the fp32 model you are quantizing")
    }
    let temperature = call.double("temperature")
    guard temperature >= 1, temperature <= 20 else {
      throw call.error("`temperature` must be between 1 and 20, got \(temperature)", argument: "temperature")
    }
    let classes = network.outputShape.elements
    var logits = [Float](repeating: 0, count: max(1, images.count * classes))
    var predictions: [Int32] = []
    _ = logits.withUnsafeMutableBufferPointer { buffer in
      network.evaluate(
        images, pool: call.workerPool, predictions: &predictions,
        logits: buffer.baseAddress)
    }
    return DistillationTargets(logits: logits, temperature: Float(temperature), weight: distillationWeight)
  }
}
