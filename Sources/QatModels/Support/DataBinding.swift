import QatEngine
import QatImages
import QatImagesLanguage
import QatSupport
import QatsLanguage

/// Turns the "data" argument of `train`/`evaluate` into images for the engine: a dataset means its
/// training split (to fit) or test split (to measure); a split means itself.
enum DataBinding {
  enum Purpose { case fit, measure }

  static var dataTypes: ParameterType { .object(["dataset", "split"]) }

  static func split(_ value: Value, for purpose: Purpose) -> ImageSplit? {
    guard case .object(let object) = value else { return nil }
    if let dataset = object as? ImageDataset { return purpose == .fit ? dataset.train : dataset.test }
    return object as? ImageSplit
  }

  /// Refuses to measure on a split without images, whose accuracy would be 0/0.
  static func requireImages(_ split: ImageSplit, call: BuiltinCall, argument: String) throws {
    guard split.count == 0 else { return }
    throw call.error(
      "the \(split.name) split is empty: there are no images to measure on", argument: argument,
      hint: "give each class more images, or hold out a larger share with images(…, split:)")
  }

  /// The split's images in the engine's layout, converted once per session and split. With a
  /// `model` whose normalization differs from the split's (a model loaded or imported with its own
  /// mean and std), the pixels are normalized the model's way: x′ = ((x·std_d + mean_d) − mean_m) / std_m.
  static func images(_ split: ImageSplit, for model: ModelValue? = nil, interpreter: Interpreter) -> LabeledImages {
    let (mean, std) = normalization(split, for: model)
    let cache = interpreter.sessionObject(ConvertedImages.sessionKey, orMake: ConvertedImages.init)
    if let hit = cache.entries.first(where: { $0.split === split && $0.mean == mean && $0.std == std }) {
      return hit.images
    }
    var pixels = split.pixels
    if mean != split.mean || std != split.std {
      let plane = split.height * split.width, channels = split.channels
      for image in 0..<split.count {
        for c in 0..<channels {
          let a = split.std[c] / std[c], b = (split.mean[c] - mean[c]) / std[c]
          let start = (image * channels + c) * plane
          for i in start..<min(start + plane, pixels.count) { pixels[i] = Float(Double(pixels[i]) * a + b) }
        }
      }
    }
    let images = LabeledImages(
      nchw: pixels, labels: split.labels,
      shape: ActivationShape(channels: split.channels, height: split.height, width: split.width))
    cache.entries.append((split, mean, std, images))
    if cache.entries.count > 8 { cache.entries.removeFirst() }
    return images
  }

  /// The mean and std the engine's copy of `split` is normalized with: the model's when it brings
  /// its own (a model loaded or imported), else the split's.
  static func normalization(_ split: ImageSplit, for model: ModelValue?) -> (mean: [Double], std: [Double]) {
    if let input = model?.input, input.mean.count == split.channels, input.std.count == split.channels {
      return (input.mean, input.std)
    }
    return (split.mean, split.std)
  }

  /// The value of a black pixel in each channel of the engine's copy of `split`: what `crop` pads with.
  static func blackValues(_ split: ImageSplit, for model: ModelValue?) -> [Float] {
    let (mean, std) = normalization(split, for: model)
    return Augmentation.black(mean: mean, std: std)
  }

  /// What inference runs for the split — the model's integer program, the fp32 inference program of
  /// its network (built for the split if needed), or a fake-quantized network as it is — checked to
  /// fit the split's input shape and classes.
  static func program(_ model: ModelValue, for split: ImageSplit, call: BuiltinCall, argument: String) throws
    -> InferenceProgram
  {
    if let integer = model.integer {
      try check(integer, fits: split, call: call, argument: argument)
      return integer
    }
    let built = try network(model, for: split, call: call, argument: argument)
    return FloatProgram(built) ?? built
  }

  /// Builds the model for the split if needed and checks that it fits: input shape and classes.
  static func network(_ model: ModelValue, for split: ImageSplit, call: BuiltinCall, argument: String) throws -> Network
  {
    let network = try model.build(for: InputDescription(split: split), interpreter: call.interpreter, at: call.location)
    try check(network, fits: split, call: call, argument: argument)
    return network
  }

  static func check(_ network: InferenceProgram, fits split: ImageSplit, call: BuiltinCall, argument: String) throws {
    let shape = ActivationShape(channels: split.channels, height: split.height, width: split.width)
    if network.inputShape != shape {
      throw call.error(
        "the model takes \(network.inputShape) images but these are \(shape)", argument: argument,
        hint: "load the images with a matching `size:`/`color:`, or define the model with `model(data) { … }`")
    }
    let outputs = network.outputShape.elements
    if !network.outputShape.isFlat && network.outputShape.height * network.outputShape.width != 1
      || outputs != split.classes.count
    {
      throw call.error(
        "the model ends with \(network.outputShape) outputs but the data has \(split.classes.count) classes",
        argument: argument, hint: "end the model with flatten() and dense(\(split.classes.count))")
    }
  }
}

/// The session's converted splits (identity-keyed, a handful at most).
final class ConvertedImages {
  static let sessionKey = SessionKey<ConvertedImages>("models.images")
  var entries: [(split: ImageSplit, mean: [Double], std: [Double], images: LabeledImages)] = []
}
