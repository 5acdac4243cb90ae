import QatEngine
import QatImages
import QatImagesLanguage
import QatOutput
import QatSupport
import QatsLanguage

/// `sensitivity`: which layers hurt most when quantized — each conv/dense layer (and the input)
/// quantized alone, the rest of the network left fp32, ranked by the test accuracy lost.
enum SensitivityBuiltins {
  static func all() -> [Builtin] { [sensitivity] }

  static var sensitivity: Builtin {
    Builtin(
      "sensitivity", topic: "quantization",
      summary:
        "Quantizes one part of a trained fp32 model at a time — the network input, then each conv or dense layer (its weights and its output after its batch norm and ReLU) — leaving the rest fp32, and measures the test accuracy of each: PTQ calibrates on `samples` training images; QAT also fine-tunes each copy `epochs` epochs. Returns a table ranked worst first (accuracy, change in points and in test images against fp32, SQNR of the layer's weights) with a bar chart of the drop. Deterministic: the same model and data give the same table (QAT draws its shuffling from the session's seed).",
      parameters: QuantizeBuiltins.sharedParameters.filter { $0.name != "keep" } + [
        .optional("epochs", .positiveInt, default: .int(3), "QAT: fine-tuning epochs for each copy"),
        .optional(
          "lr", .positiveNumber, default: .float(0.01), "QAT: fine-tuning learning rate (SGD, momentum 0.9, batch 32)"),
      ],
      returns: "table"
    ) { call in
      try TrainingBuiltins.checkEpochs(call)
      let (_, network, split, config) = try QuantizeBuiltins.setup(call)
      guard let testSplit = DataBinding.split(call.value("data"), for: .measure) else { return .none }
      let pool = WorkerPool.shared(threads: call.interpreter.threads)
      let train = DataBinding.images(split, interpreter: call.interpreter)
      let test = DataBinding.images(testSplit, interpreter: call.interpreter)
      let calibration = train.subset(Network.calibrationIndices(count: train.count, samples: config.samples))
      var predictions: [Int32] = []
      let baseline = network.evaluate(test, pool: pool, predictions: &predictions)
      let numbered = network.numberedLayers
      let units = network.sensitivityUnits.count
      var done = 0
      let rows: [LayerSensitivity]
      do {
        rows = try network.sensitivity(config, calibration: calibration, test: test, pool: pool) { prepared in
          try call.checkInterrupt()
          done += 1
          guard config.method == .qat else { return }
          let options = TrainingOptions(
            epochs: call.int("epochs"), learningRate: call.double("lr"), threads: call.interpreter.threads)
          try TrainingBuiltins.run(
            prepared, on: train, options: options, call: call, label: "sensitivity \(done)/\(units)")
        }
      } catch let error as ShapeError {
        throw call.error(error.message, argument: "model", hint: error.hint)
      }
      return .object(table(rows, numbered: numbered, baseline: baseline, config: config))
    }
  }

  static func table(
    _ rows: [LayerSensitivity], numbered: [NetworkLayer], baseline: PassResult, config: QuantizationConfig
  ) -> TableValue {
    let total = max(1, baseline.count)
    let base = Double(baseline.correct) / Double(total)
    var records: [Record] = []
    var bars: [ChartBar] = []
    for row in rows {
      let layer = row.layer.map { numbered[$0] }
      let name = layer?.spec.description ?? "input"
      let accuracy = Double(row.correct) / Double(max(1, row.total))
      let images = row.correct - baseline.correct
      records.append(
        Record([
          ("index", row.layer.map(Value.int) ?? Value.none), ("layer", .string(name)),
          ("kind", .string(layer?.spec.name ?? "input")),
          ("params", layer.map { .int($0.parameterCount) } ?? Value.none), ("accuracy", .float(accuracy)),
          ("delta", .float(accuracy - base)),
          ("images", .int(images)), ("sqnr_db", row.weights.map { .float($0.sqnrDB) } ?? Value.none),
        ]))
      // Short labels (the table above has each layer in full): "layer 2 (conv)".
      let label = row.layer.map { "layer \($0) (\(layer?.spec.name ?? name))" } ?? "input"
      let count = TableValue.format(.int(images), .signedCount)
      bars.append(
        ChartBar(
          label: label, value: (base - accuracy) * 100,
          note: "\(count) \(abs(images) == 1 ? "image" : "images")"))
    }
    let bits = QuantizedModelText.bits(config)
    let title =
      "sensitivity: \(config.method.rawValue) · \(bits) · one part quantized at a time, the rest fp32 · fp32 \(Units.percent(base)) (\(baseline.correct)/\(baseline.count)) on the test images"
    let chart = BarChart(
      title: "accuracy lost when only this part is quantized (\(config.method.rawValue), \(bits))",
      valueLabel: "accuracy drop (points)", format: .number, bars: bars)
    return TableValue(
      title: title,
      columns: [
        .init("index", header: "#"), .init("layer"), .init("kind"), .init("params"),
        .init("accuracy", format: .percent), .init("delta", header: "Δ points", format: .points),
        .init("images", header: "Δ images", format: .signedCount),
        .init("sqnr_db", header: "weights SQNR", format: .decibels),
      ],
      rows: records, figures: [chart],
      notes: [
        "Worst first. A layer's row quantizes its weights and its output (after its batch norm and ReLU); the input row only the network input.",
        "Δ: against the fp32 model, in percentage points and in test images.",
      ]
        + (config.method == .qat
          ? [
            "QAT fine-tunes each whole copy, its fp32 layers too, so a row can beat the fp32 model: compare the rows with each other."
          ] : []))
  }
}
