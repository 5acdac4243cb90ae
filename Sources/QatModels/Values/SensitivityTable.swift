import QatEngine
import QatOutput
import QatSupport
import QatsLanguage

/// How `sensitivity` presents its rows: a table ranked worst first with a bar chart of the drop.
enum SensitivityTable {
  static func make(
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
      """
      sensitivity: \(config.method.rawValue) · \(bits) · one part quantized at a time, the rest fp32 · fp32 \
      \(Units.percent(base)) (\(baseline.correct)/\(baseline.count)) on the test images
      """
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
        """
        Worst first. A layer's row quantizes its weights and its output (after its batch norm and ReLU); the input \
        row only the network input.
        """,
        "Δ: against the fp32 model, in percentage points and in test images.",
      ]
        + (config.method == .qat
          ? [
            """
            QAT fine-tunes each whole copy, its fp32 layers too, so a row can beat the fp32 model: compare the rows \
            with each other.
            """
          ] : []))
  }
}
