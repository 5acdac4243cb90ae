import QatEngine
import QatImages
import QatImagesLanguage
import QatsLanguage

/// What `compare` and `sweep` measure of one model on one split: accuracy from the program that
/// `evaluate` runs, and, when asked, batch-1 latency on one thread, batch-256 throughput on the
/// session's threads, and the size of the file `save` would write.
struct ModelMeasurement {
  var method: String
  /// The bit width as a table cell: an int (32 for fp32), or "w4/a8" when weights and
  /// activations differ.
  var bits: Value
  var correct: Int
  var total: Int
  var latencyMicroseconds: Double?
  var throughput: Double?
  var sizeBytes: Int?

  var accuracy: Double { Double(correct) / Double(max(1, total)) }

  /// The method and bits a model shows: its integer program's, its simulation's, or fp32.
  static func describe(_ model: ModelValue) -> (method: String, bits: Value) {
    if let info = model.integer?.info {
      return (
        info.method.rawValue,
        info.layerBits.isEmpty
          ? bitsCell(weights: info.weightBits, activations: info.activationBits) : mixedCell(info.layerBits)
      )
    }
    if let config = model.network?.quantization?.config {
      return (
        config.method.rawValue + " (sim)",
        config.isMixed
          ? mixedCell(config.layerWidths)
          : bitsCell(weights: config.weightBits, activations: config.activationBits)
      )
    }
    return ("fp32", .int(32))
  }

  static func bitsCell(weights: Int, activations: Int) -> Value {
    weights == activations ? .int(weights) : .string("w\(weights)/a\(activations)")
  }

  /// "8/4/8": each conv/dense layer's width (mixed precision).
  static func mixedCell(_ widths: [Int]) -> Value { .string(widths.map(String.init).joined(separator: "/")) }

  /// Measures `program` (the model's) on `split`; timings only when `timing` is true. With
  /// `recordsAccuracy` the accuracy becomes the model's own (as `quantize` records it, and its file
  /// keeps it) before the file's size is taken.
  static func measure(
    _ model: ModelValue, program: InferenceProgram, on split: ImageSplit, timing: Bool,
    recordsAccuracy: Bool = false, call: BuiltinCall
  ) throws -> ModelMeasurement {
    let images = DataBinding.images(split, for: model, interpreter: call.interpreter)
    let threads = call.interpreter.computeThreads()
    var predictions: [Int32] = []
    let result = program.evaluate(
      images, pool: call.workerPool, batch: 256, predictions: &predictions, logits: nil)
    let (method, bits) = describe(model)
    var m = ModelMeasurement(method: method, bits: bits, correct: result.correct, total: result.count)
    if recordsAccuracy { model.knownAccuracy = m.accuracy }
    // A prepared (fake-quant) model has no file: `save` refuses it until it is converted.
    m.sizeBytes = model.stage == .prepared || model.stage == .simulated ? nil : model.fileSize
    if timing, images.count > 0 {
      try call.checkInterrupt()
      let stop = { (try? call.checkInterrupt()) == nil }
      let one = images.subset([0])
      m.latencyMicroseconds = InferenceTiming.latency(program, image: one, stop: stop).seconds * 1e6
      m.throughput =
        InferenceTiming.throughput(program, batch: InferenceTiming.batch(from: images), threads: threads, stop: stop)
        .imagesPerSecond
      try call.checkInterrupt()
    }
    return m
  }
}
