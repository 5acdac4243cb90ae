import QatEngine
import QatImages
import QatImagesLanguage
import QatSupport
import QatsLanguage

/// The model built-ins: `model { … }` and its layers, `summary`, `copy`, `threads`, and the
/// training built-ins (`train`, `evaluate`, `predict`).
public enum ModelBuiltins {
  /// Every built-in of this module, for a session's registry.
  public static func all() -> [Builtin] {
    [model, summary, copy, threads] + LayerBuiltins.all() + TrainingBuiltins.all() + QuantizeBuiltins.all()
      + QuantMathBuiltins.all() + ModelFileBuiltins.all() + OnnxBuiltins.all() + AgreementBuiltins.all()
      + CompareBuiltins.all() + SweepBuiltins.all() + InspectBuiltins.all() + SensitivityBuiltins.all()
      + IntegerMathBuiltins.all() + MixedBuiltins.all()
  }

  static var model: Builtin {
    Builtin(
      "model", topic: "models",
      summary:
        """
        Defines a network from the layers in its block (one per line or `;`-separated). Given data (a dataset or \
        split) or `input: [C, H, W]`, the input shape is fixed and every layer's shape is checked now; otherwise at \
        first use. Weights are He-initialized from the session's seed.
        """,
      parameters: [
        .optional("data", DataBinding.dataTypes, "images whose shape, classes and normalization the model takes"),
        .optional("input", .listOf(.positiveInt), "the input shape [C, H, W] (instead of data)"),
      ],
      block: .required, returns: "model"
    ) { call in
      guard let block = call.block else { return .none }
      if call.isGiven("data") && call.isGiven("input") {
        throw call.error("give either data or `input:`, not both", argument: "input")
      }
      let collector = LayerCollector.of(call.interpreter)
      let specs = try collector.collect(block, call: call)
      guard !specs.isEmpty else {
        throw call.error("the model has no layers", hint: "net = model(data) { flatten(); dense(10) }")
      }
      let locations = collector.locations
      var description: InputDescription?
      if let split = DataBinding.split(call.value("data"), for: .fit) {
        description = InputDescription(split: split)
      } else if call.isGiven("input") {
        let dims = call.list("input").compactMap { v -> Int? in if case .int(let i) = v { return i } else { return nil }
        }
        guard dims.count == 3 else {
          throw call.error(
            "`input` must be [channels, height, width], got \(dims.count) numbers", argument: "input",
            hint: "input: [1, 28, 28]")
        }
        let limit = Network.maxActivationElements
        guard let count = MemoryBudget.product(dims), count <= limit else {
          throw call.error(
            "an input of \(dims) has more values per image than this tool handles (\(Units.grouped(limit)))",
            argument: "input", hint: "input: [1, 28, 28]")
        }
        description = InputDescription(shape: ActivationShape(channels: dims[0], height: dims[1], width: dims[2]))
      }
      let value = ModelValue(specs: specs, locations: locations, network: nil, input: nil)
      if let description {
        _ = try value.build(for: description, interpreter: call.interpreter, at: call.location)
        if let split = DataBinding.split(call.value("data"), for: .fit), let network = value.network,
          network.outputShape.elements != split.classes.count
        {
          let last = specs.last.flatMap { locations[$0.tag] } ?? call.location
          throw QatsError(
            .runtime,
            "the model ends with \(network.outputShape) outputs but the data has \(split.classes.count) classes",
            at: last, hint: "end the model with dense(\(split.classes.count))")
        }
      }
      return .object(value)
    }
  }

  static var summary: Builtin {
    Builtin(
      "summary", topic: "models",
      summary: "The model's layers with their output shapes and parameter counts, and the size of its saved file.",
      parameters: [.required("model", .object(["model"]), "the model")], returns: "table"
    ) { call in
      guard case .object(let object) = call.value("model"), let model = object as? ModelValue else { return .none }
      if let integer = model.integer {
        call.emit(IntegerModelText.table(model, integer))
        return .none
      }
      guard let network = model.network else {
        throw call.error(
          "the model's input shape is not known yet", argument: "model",
          hint: "define it with model(data) { … } or model(input: [C, H, W]) { … }, or train it once")
      }
      call.emit(SummaryTable.make(network, fileSize: model.fileSize))
      return .none
    }
  }

  static var copy: Builtin {
    Builtin(
      "copy", topic: "models",
      summary:
        """
        An independent copy of a model: same weights, statistics and history; training one leaves the other as it \
        was.
        """,
      parameters: [.required("model", .object(["model"]), "the model")], returns: "model"
    ) { call in
      guard case .object(let object) = call.value("model"), let model = object as? ModelValue else { return .none }
      try model.require(.copyable, call: call)
      do throws(ShapeError) {
        return .object(
          ModelValue(
            specs: model.specs, locations: model.locations, network: try model.network?.copy(), input: model.input))
      } catch {
        throw call.error(error.message, argument: "model", hint: error.hint)
      }
    }
  }

  static var threads: Builtin {
    Builtin(
      "threads", topic: "models",
      summary:
        """
        Sets the session's one thread limit, which every computation honours — loading images, training, \
        evaluation, prediction, quantization, `compare` and `sweep` (results do not depend on it; batch-1 \
        latency is always timed on one thread); without an argument, returns it. `--threads` sets it at start.
        """,
      parameters: [.optional("n", .positiveInt, "threads (at most \(ThreadLimit.maximum))")], returns: "int"
    ) { call in
      guard let n = call.optionalInt("n") else { return .int(call.interpreter.threads) }
      guard n <= ThreadLimit.maximum else {
        throw call.error(
          "at most \(ThreadLimit.maximum) threads, got \(n)", argument: "n",
          hint: "more threads than cores only wait for each other; threads() shows the current limit")
      }
      call.interpreter.threads = n
      return .none
    }
  }
}
