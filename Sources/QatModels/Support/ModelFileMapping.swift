import QatEngine
import QatsLanguage

/// A model value to and from its file (SPEC §5.6): the engine writes the layer table, this adds
/// what deployment needs besides — input shape, colour mode, normalization, class names — and what
/// the model was made with.
enum ModelFileMapping {
  /// Why a model cannot be saved or a file does not make a model (the message says what to do).
  struct Refusal: Error {
    let message: String
    let hint: String?
  }

  static func file(for model: ModelValue) throws(Refusal) -> ModelFile {
    guard let program = model.program else {
      throw Refusal(
        message: "the model's input shape is not known yet, so it has no weights to save",
        hint: "define it with model(data) { … } or model(input: [C, H, W]) { … }, or train it once")
    }
    let input = model.input ?? InputDescription(shape: program.inputShape)
    let classes = input.classes ?? []
    var file: ModelFile
    if let integer = model.integer {
      file = .integer(
        integer, specs: model.network?.layers.map(\.spec) ?? model.specs, mean: input.mean, std: input.std,
        classNames: classes)
    } else if let network = model.network, network.quantization == nil {
      file = .fp32(network, mean: input.mean, std: input.std, classNames: classes)
    } else {
      throw Refusal(
        message: "this model is prepared (fake quantization, still trainable): it has no integer program to save yet",
        hint: "save convert(prepared), or the result of quantize(…)")
    }
    if let accuracy = model.knownAccuracy { file.properties.append(.init("accuracy", "\(accuracy)")) }
    return file
  }

  static func model(from file: ModelFile) throws(Refusal) -> ModelValue {
    func refuse(_ reason: String) -> Refusal {
      Refusal(message: reason, hint: "save the model again with this version of qat-repl")
    }
    let d = file.inputShape
    guard d.count == 3, d.allSatisfy({ (1...4_096).contains($0) }), d[0] <= 64 else {
      throw refuse("its input shape \(d) is not [C, H, W]")
    }
    let shape = ActivationShape(channels: d[0], height: d[1], width: d[2])
    guard file.mean.count == d[0], file.std.count == d[0], file.mean.allSatisfy(\.isFinite),
      file.std.allSatisfy({ $0.isFinite && $0 > 0 })
    else {
      throw refuse("its normalization does not fit its \(d[0]) channels")
    }
    var input = InputDescription(shape: shape)
    input.mean = file.mean
    input.std = file.std
    input.classes = file.classNames.isEmpty ? nil : file.classNames
    let value: ModelValue
    switch file.kind {
    case .fp32:
      switch Network.fromFileLayers(file.layers, input: shape) {
      case .success(let (network, specs)):
        value = ModelValue(specs: specs, locations: [:], network: network, input: input)
      case .failure(let reason):
        throw refuse(reason.reason)
      }
    case .integer:
      let split = file.layers.firstIndex { $0.type.hasPrefix("q.") } ?? file.layers.count
      guard let specs = LayerSpecFile.specs(Array(file.layers[..<split])) else {
        throw refuse("its layer table does not describe a network")
      }
      guard let method = file.property("method").flatMap(QuantMethod.init(rawValue:)),
        let weightBits = file.property("weight_bits").flatMap(Int.init), (2...8).contains(weightBits),
        let actBits = file.property("act_bits").flatMap(Int.init), (2...8).contains(actBits),
        let output = file.property("output").flatMap(Int.init)
      else {
        throw refuse("it lacks the method, bits or output of its integer program")
      }
      let info = IntegerProgramInfo(method: method, weightBits: weightBits, activationBits: actBits)
      switch IntegerNetwork.fromFileLayers(Array(file.layers[split...]), info: info, output: output) {
      case .success(let program):
        guard program.inputShape == shape else { throw refuse("its integer program does not take its input shape") }
        value = ModelValue(specs: specs, locations: [:], network: nil, integer: program, input: input)
      case .failure(let reason):
        throw refuse(reason.reason)
      }
    }
    if let classes = input.classes, let outputs = value.program?.outputShape.elements, classes.count != outputs {
      throw refuse("it names \(classes.count) classes but the model has \(outputs) outputs")
    }
    value.knownAccuracy = file.property("accuracy").flatMap(Double.init).flatMap { (0...1).contains($0) ? $0 : nil }
    return value
  }
}
