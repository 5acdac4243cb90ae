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
        "Quantizes the fp32 model (left untouched) with each method at each bit width and measures every integer model on the test split: accuracy (also as a count of test images against fp32), latency at batch 1 and file size. Adds an fp32 control fine-tuned for the same `epochs` as QAT. Returns a table, drawn with a chart of accuracy against bits (one line per method).",
      parameters: [
        .required("model", .object(["model"]), "the trained fp32 model"),
        .required(
          "data", .object(["dataset"]),
          "a dataset: the training split calibrates and fine-tunes, the test split measures"),
        .optional(
          "bits", .listOf(.positiveInt), default: .list([8, 6, 4, 3, 2].map(Value.int)), "the bit widths, 2–8"),
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
      ],
      returns: "table"
    ) { call in
      try TrainingBuiltins.checkEpochs(call)
      guard let model = TrainingBuiltins.modelArgument(call), case .object(let o) = call.value("data"),
        let dataset = o as? ImageDataset
      else { return .none }
      if model.integer != nil || model.network?.quantization != nil {
        throw call.error(
          "sweep takes the fp32 model; this one is already quantized", argument: "model",
          hint: "sweep the fp32 model it came from")
      }
      let widths = call.list("bits").compactMap { v -> Int? in if case .int(let b) = v { return b } else { return nil }
      }
      guard !widths.isEmpty else { throw call.error("`bits` is empty", argument: "bits", hint: "bits: [8, 4, 2]") }
      if let bad = widths.first(where: { !(2...8).contains($0) }) {
        throw call.error(
          "every bit width must be between 2 and 8, got \(bad)", argument: "bits", hint: "bits: [8, 6, 4, 3, 2]")
      }
      let methods = call.list("methods").compactMap { v -> QuantMethod? in
        if case .string(let m) = v { return QuantMethod(rawValue: m) } else { return nil }
      }
      guard !methods.isEmpty else {
        throw call.error("`methods` is empty", argument: "methods", hint: "methods: [ptq, qat]")
      }
      let network = try DataBinding.network(model, for: dataset.train, call: call, argument: "data")
      try DataBinding.check(network, fits: dataset.test, call: call, argument: "data")
      let train = DataBinding.images(dataset.train, interpreter: call.interpreter)
      let epochs = call.int("epochs"), lr = call.double("lr"), timing = call.bool("timing")

      var rows: [Record] = []
      // Every quantized model's measurement, in sweep order: the chart and the QAT − PTQ note.
      var measured: [(method: QuantMethod, bits: Int, measurement: ModelMeasurement)] = []
      let steps = widths.count * methods.count + 2
      func progress(_ step: Int, _ what: String) {
        call.interpreter.output.progress("sweep: \(what) (\(step)/\(steps))")
      }
      defer { call.interpreter.output.progress(nil) }

      progress(1, "fp32")
      let base = try ModelMeasurement.measure(model, program: network, on: dataset.test, timing: timing, call: call)
      rows.append(row("fp32", bits: 32, base, reference: base))
      progress(2, "fp32 control, \(epochs) more epochs")
      let control = try fineTunedControl(network, model: model, images: train, epochs: epochs, lr: lr, call: call)
      let controlMeasurement = try ModelMeasurement.measure(
        control, program: control.network ?? network, on: dataset.test, timing: false, call: call)
      var controlRow = row("fp32 +\(epochs) epochs", bits: 32, controlMeasurement, reference: base)
      controlRow["latency_us"] = rows[0]["latency_us"]
      rows.append(controlRow)

      var step = 2
      for bits in widths {
        for method in methods {
          step += 1
          progress(step, "\(method.rawValue) \(bits) bits")
          var config = QuantizationConfig(method: method)
          config.weightBits = bits
          config.activationBits = call.bool("weights_only") ? 8 : bits
          config.perChannel = call.bool("per_channel")
          if method == .ptq && call.isGiven("observer") {
            config.observer = ObserverKind(rawValue: call.string("observer"))
          }
          let (deployed, program) = try QuantizeBuiltins.quantizeNetwork(
            network, config: config, images: train, epochs: epochs, lr: lr,
            call: call, label: "sweep \(step)/\(steps) · \(method.rawValue) \(bits) bits")
          let value = ModelValue(
            specs: model.specs, locations: model.locations, network: deployed, integer: program, input: model.input)
          // As `quantize` does: the file records the test accuracy, so the size is the same as its.
          let m = try ModelMeasurement.measure(
            value, program: program, on: dataset.test, timing: timing, recordsAccuracy: true,
            call: call)
          rows.append(row(method.rawValue, bits: bits, m, reference: base))
          measured.append((method, bits, m))
        }
      }
      let span = (Double(widths.min() ?? 2), Double(widths.max() ?? 8))
      var series = methods.map { method in
        ChartSeries(
          name: method.rawValue,
          points: measured.filter { $0.method == method }.map {
            ChartPoint(x: Double($0.bits), y: $0.measurement.accuracy)
          })
      }
      series.append(
        ChartSeries(
          name: "fp32", points: [ChartPoint(x: span.1, y: base.accuracy), ChartPoint(x: span.0, y: base.accuracy)]))
      series.append(
        ChartSeries(
          name: "fp32 +\(epochs) epochs",
          points: [
            ChartPoint(x: span.1, y: controlMeasurement.accuracy),
            ChartPoint(x: span.0, y: controlMeasurement.accuracy),
          ]))
      let what =
        call.bool("weights_only")
        ? "weights at these bits, activations at 8 bits" : "weights and activations at these bits"
      let chart = LineChart(
        title: "test accuracy against bits" + (call.bool("weights_only") ? " (weights only)" : ""), xLabel: "bits",
        yLabel: "test accuracy", yFormat: .percent, series: series, xDescending: true)
      var notes = [
        "\(base.total) test images · \(what) · QAT: \(epochs) epochs at lr \(Value.float(lr).repr); the fp32 control trains as long"
      ]
      if methods.contains(.ptq) && methods.contains(.qat) {
        func correct(_ method: QuantMethod, _ bits: Int) -> Int {
          measured.first { $0.method == method && $0.bits == bits }?.measurement.correct ?? 0
        }
        notes.append(
          "QAT − PTQ in test images: "
            + widths.map { bits in
              "\(bits) bits " + TableValue.format(.int(correct(.qat, bits) - correct(.ptq, bits)), .signedCount)
            }.joined(separator: " · "))
      }
      return .object(TableValue(columns: columns(timing: timing), rows: rows, figures: [chart], notes: notes))
    }
  }

  static func columns(timing: Bool) -> [TableValue.Column] {
    var columns: [TableValue.Column] = [
      .init("method"), .init("bits"), .init("accuracy", format: .percent),
      .init("delta", header: "Δ vs fp32", format: .points), .init("images", header: "Δ images", format: .signedCount),
    ]
    if timing { columns.append(.init("latency_us", header: "latency b=1", format: .microseconds)) }
    columns.append(.init("size_bytes", header: "size", format: .bytes))
    return columns
  }

  static func row(_ method: String, bits: Int, _ m: ModelMeasurement, reference: ModelMeasurement) -> Record {
    Record([
      ("method", .string(method)), ("bits", .int(bits)), ("accuracy", .float(m.accuracy)),
      ("delta", .float(m.accuracy - reference.accuracy)), ("images", .int(m.correct - reference.correct)),
      ("correct", .int(m.correct)), ("total", .int(m.total)),
      ("latency_us", m.latencyMicroseconds.map(Value.float) ?? .none),
      ("size_bytes", m.sizeBytes.map(Value.int) ?? .none),
    ])
  }

  /// A copy of the fp32 network trained `epochs` more epochs with QAT's optimizer settings.
  static func fineTunedControl(
    _ network: Network, model: ModelValue, images: LabeledImages, epochs: Int, lr: Double,
    call: BuiltinCall
  ) throws -> ModelValue {
    let copy: Network
    do throws(ShapeError) {
      copy = try network.copy()
    } catch {
      throw call.error(error.message, argument: "model")
    }
    try TrainingBuiltins.run(
      copy, on: images, options: TrainingOptions(epochs: epochs, learningRate: lr, threads: call.interpreter.threads),
      call: call, label: "sweep: fp32 control")
    return ModelValue(specs: model.specs, locations: model.locations, network: copy, input: model.input)
  }
}
