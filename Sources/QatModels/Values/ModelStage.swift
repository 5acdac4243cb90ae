import QatEngine
import QatsLanguage

/// Where a model value is in its life. What a model holds decides what can be done with it, and
/// this is the one place that says so: every built-in asks `ModelValue.require(_:call:)` and the
/// refusals are worded here.
enum ModelStage: Equatable {
  /// `model { … }` without an input shape: the network is built at first use.
  case unbuilt
  /// A trainable fp32 network.
  case fp32
  /// From `prepare`: a fake-quantized copy that `train` fine-tunes (quantization-aware training).
  case prepared
  /// A fake-quantized network frozen for deployment, with no integer program beside it.
  case simulated
  /// From `quantize`: the integer program and the deployed simulation it was compiled from.
  case quantized
  /// From `load` or `convert`: the integer program alone (no float weights to train or inspect).
  case integerOnly
}

/// What a built-in needs of its `model` argument.
enum ModelRequirement {
  /// An fp32 model (or one still to be built): quantize, prepare, sweep and sensitivity.
  case fp32
  /// A model training can change: fp32 or prepared (train).
  case trainable
  /// A prepared model (convert).
  case prepared
  /// An integer program (trace).
  case integer
  /// Float weights and activations to look at (inspect).
  case floatValues
  /// A network to copy: fp32 (copy).
  case copyable
  /// A network to build or run in float: anything but an integer program alone.
  case network
  /// Something a model file can hold: fp32 weights or an integer program (save, and every size).
  case savable
}

extension ModelValue {
  var stage: ModelStage {
    switch (network, integer) {
    case (nil, nil): return .unbuilt
    case (nil, .some): return .integerOnly
    case (.some, .some): return .quantized
    case (.some(let network), nil):
      guard let state = network.quantization else { return .fp32 }
      return state.converted ? .simulated : .prepared
    }
  }

  /// "ptq, 8-bit" for a quantized, prepared or loaded model; nil for fp32.
  var quantizationText: String? {
    if let info = integer?.info { return "\(info.method.rawValue), \(IntegerModelText.bits(info))" }
    if let config = network?.quantization?.config {
      return "\(config.method.rawValue), \(QuantizedModelText.bits(config))"
    }
    return nil
  }

  /// Refuses, with a located error on the `model` argument, when this model's stage does not meet
  /// `requirement`.
  func require(_ requirement: ModelRequirement, call: BuiltinCall) throws {
    if let (message, hint) = refusal(requirement, operation: call.builtin.name) {
      throw call.error(message, argument: "model", hint: hint)
    }
  }

  /// The message and hint for `operation` (a built-in's name) on this model, or nil when allowed.
  func refusal(_ requirement: ModelRequirement, operation: String) -> (String, String?)? {
    let stage = self.stage
    let what = quantizationText ?? ""
    switch requirement {
    case .fp32:
      switch stage {
      case .unbuilt, .fp32: return nil
      case .prepared:
        return (
          "this model is already prepared (\(what)); quantizing it again would quantize twice",
          "\(operation) the fp32 model it came from"
        )
      case .simulated, .quantized, .integerOnly:
        return (
          "this model is already quantized (\(what)); quantizing it again would quantize twice",
          "\(operation) the fp32 model it came from"
        )
      }
    case .trainable:
      switch stage {
      case .unbuilt, .fp32, .prepared: return nil
      case .simulated, .quantized, .integerOnly:
        let noun = stage == .simulated ? "quantized" : "an integer program"
        return (
          "this model is \(noun) (\(what)): it is final and cannot be trained",
          "train the fp32 model, or fine-tune a prepare(net, data)d copy with fake quantization"
        )
      }
    case .prepared:
      switch stage {
      case .prepared, .simulated: return nil
      case .quantized, .integerOnly:
        return ("this model is already an integer model", "convert takes a model from prepare(net, data)")
      case .unbuilt, .fp32:
        return (
          "convert takes a prepared model, and this one is fp32",
          "prepare(net, data) first (then train it), or quantize(net, data) in one step"
        )
      }
    case .integer:
      switch stage {
      case .quantized, .integerOnly: return nil
      case .unbuilt, .fp32, .simulated, .prepared:
        let noun = stage == .prepared || stage == .simulated ? "a prepared (fake-quant) model" : "fp32"
        return (
          "\(operation) follows an integer model's steps, and this model is \(noun)",
          "\(operation)(quantize(net, data), data.test[0])"
        )
      }
    case .floatValues:
      guard stage == .integerOnly else { return nil }
      return (
        """
        this integer model (\(what)) was loaded from a file, which keeps only its integers: there are no fp32 \
        values to compare with the grid
        """,
        "\(operation) the model quantize(net, data) returned, or the fp32 model"
      )
    case .network:
      guard stage == .integerOnly else { return nil }
      return (
        "this integer model was loaded from a file: it runs inference (evaluate, predict) only",
        "train, prepare or quantize the fp32 model it came from"
      )
    case .savable:
      switch stage {
      case .fp32, .quantized, .integerOnly: return nil
      case .unbuilt:
        return (
          "the model's input shape is not known yet, so it has no weights to save",
          "define it with model(data) { … } or model(input: [C, H, W]) { … }, or train it once"
        )
      case .prepared, .simulated:
        return (
          "this model is prepared (fake quantization, still trainable): it has no integer program to save yet",
          "save convert(prepared), or the result of quantize(…)"
        )
      }
    case .copyable:
      switch stage {
      case .unbuilt, .fp32: return nil
      case .prepared, .simulated, .quantized, .integerOnly:
        return (
          "copying a quantized or prepared model is not supported",
          "copy the fp32 model and quantize or prepare the copy"
        )
      }
    }
  }
}
