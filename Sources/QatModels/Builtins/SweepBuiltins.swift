import QatEngine
import QatImages
import QatImagesLanguage
import QatOutput
import QatsLanguage

/// `sweep(net, data, bits:, methods:)`: PTQ and QAT at every bit width, against an fp32 control
/// fine-tuned for as many extra epochs as QAT gets, so that QAT's gain is not mistaken for
/// extra training.
enum SweepBuiltins {
  static func all() -> [Builtin] { [sweep] }

  static var sweep: Builtin {
    Builtin(
      "sweep", topic: "quantization",
      summary:
        """
        Quantizes the fp32 model (left untouched) with each method at each bit width and measures every integer \
        model on the test split: accuracy (also as a count of test images against fp32), latency at batch 1 and \
        file size. Adds an fp32 control fine-tuned for the same `epochs` as QAT. Returns a table, drawn with a \
        chart of accuracy against bits (one line per method).
        """,
      parameters: [
        .required("model", .object(["model"]), "the trained fp32 model"),
        .required(
          "data", .object(["dataset"]),
          "a dataset: the training split calibrates and fine-tunes, the test split measures"),
        .optional(
          "bits", .listOf(.positiveInt), default: .list([8, 6, 4, 3, 2].map(Value.int)),
          "the bit widths, \(ModelArguments.modelBitsText)"),
        .optional(
          "methods", .listOf(.choice(["ptq", "qat"])), default: .list([.string("ptq"), .string("qat")]),
          "the methods, in order"),
        .optional(
          "weights_only", .bool, default: .bool(false),
          "quantize only the weights to `bits` (activations stay at 8 bits)"),
        .optional(
          "per_channel", .bool, default: .bool(true), "one weight scale per output channel (false: one per layer)"),
        .optional(
          "observer", .choice(ObserverKind.allCases.map(\.rawValue)),
          "PTQ's activation observer (default \"histogram\"); QAT keeps its moving averages"),
        .optional("epochs", .positiveInt, default: .int(3), "QAT fine-tuning epochs, and the fp32 control's"),
        .optional("lr", .positiveNumber, default: .float(0.01), "QAT's and the control's learning rate"),
        .optional("timing", .bool, default: .bool(true), "measure each model's batch-1 latency (false: faster)"),
        .optional(
          "seeds", .positiveInt, default: .int(1),
          "repeat QAT and the control with this many seeds (the session's seed + 0, 1, …): mean ± standard deviation"),
      ],
      returns: "table"
    ) { call in
      try ModelArguments.checkEpochs(call)
      guard let model = ModelArguments.model(call), case .object(let o) = call.value("data"),
        let dataset = o as? ImageDataset
      else { return .none }
      try model.require(.fp32, call: call)
      try DataBinding.requireImages(dataset.test, call: call, argument: "data")
      let widths = try ModelArguments.checkBitsList(call)
      let methods = call.list("methods").compactMap { v -> QuantMethod? in
        if case .string(let m) = v { return QuantMethod(rawValue: m) } else { return nil }
      }
      guard !methods.isEmpty else {
        throw call.error("`methods` is empty", argument: "methods", hint: "methods: [ptq, qat]")
      }
      let network = try DataBinding.network(model, for: dataset.train, call: call, argument: "data")
      try DataBinding.check(network, fits: dataset.test, call: call, argument: "data")
      let plan = SweepRun.Plan(
        widths: widths, methods: methods, weightsOnly: call.bool("weights_only"), epochs: call.int("epochs"),
        lr: call.double("lr"), timing: call.bool("timing"), seeds: call.int("seeds"))
      guard plan.seeds <= 20 else {
        throw call.error("`seeds` is at most 20 (each seed repeats every QAT run)", argument: "seeds")
      }
      let result = try SweepRun.run(plan, model: model, network: network, dataset: dataset, call: call)
      return .object(SweepTable.make(result))
    }
  }
}
