import QatEngine
import QatOutput
import QatsLanguage

/// `inspect(net, 4, data, what: "activations", observers: [...])`: the ranges several observers choose
/// for the same activations, drawn under one histogram, so that their choices can be compared on
/// the values they were made from.
extension InspectBuiltins {
  static var observersParameter: Parameter {
    .optional(
      "observers", .listOf(.choice(ObserverKind.allCases.map(\.rawValue))),
      """
      fp32 models, activations: also calibrate with each of these observers (as PTQ at `bits` would) and draw \
      the range each chooses under the histogram; the inspection's `ranges` lists them
      """)
  }

  /// Refuses `observers` unless an fp32 model's activations are inspected (a quantized model has
  /// one range already; weights always use min-max).
  static func checkObservers(_ call: BuiltinCall, fp32: Bool, activations: Bool) throws {
    guard call.isGiven("observers"), !(fp32 && activations) else { return }
    throw call.error(
      "`observers` compares the ranges observers would choose for an fp32 model's activations",
      argument: "observers", hint: "inspect(net, 4, data, what: \"activations\", observers: [\"minmax\", \"kl\"])")
  }

  /// Each observer's representable range [lowest level, highest level] at the quantization point of
  /// layer `layer` (nil: the input), from a PTQ calibration of `network` with `config` and that
  /// observer on `images` — the same calibration `quantize` runs.
  static func observerSpans(
    _ call: BuiltinCall, network: Network, config: QuantizationConfig, images: LabeledImages, layer: Int?
  ) throws -> [HistogramChart.Span] {
    guard call.isGiven("observers") else { return [] }
    let calibration = images.subset(Network.calibrationIndices(count: images.count, samples: call.int("samples")))
    var spans: [HistogramChart.Span] = []
    for case .string(let name) in call.list("observers") {
      guard let observer = ObserverKind(rawValue: name) else { continue }
      var chosen = config
      chosen.observer = observer
      let prepared = try QuantizationRun.prepare(network, config: chosen, images: images, call: call)
      guard let operation = prepared.activationPointOperation(after: layer.map { prepared.numberedLayers[$0] }),
        let grid = prepared.activationGrid(at: operation, data: calibration, pool: call.workerPool, simulated: false)
      else { continue }
      let range = grid.params.representable
      spans.append(HistogramChart.Span(name: name, lower: Double(range.lowerBound), upper: Double(range.upperBound)))
    }
    return spans
  }
}
