import QatEngine
import QatImages
import QatImagesLanguage
import QatSupport
import QatsLanguage

/// `inspect` and `histogram`: values against the quantization grid they are rounded to. Both
/// read the engine's own quantizers (a model's, or the observers' and QuantParams' arithmetic
/// for a list), so the scales, clipping and SQNR shown are the ones the models compute with.
enum InspectBuiltins {
  static func all() -> [Builtin] { [inspect, histogram] }

  static let defaultBins = 40

  static var inspect: Builtin {
    Builtin(
      "inspect", topic: "quantization",
      summary:
        """
        One layer's weights — or, with `what: \"activations\"`, the activations at its quantization point (after \
        its batch norm and ReLU) over `samples` calibration images — against the quantization grid: count, min and \
        max, bits, scale(s) and zero point(s), levels, representable range, values clipped below and above, the \
        SQNR 10·log10(Σx²/Σ(x − q(x))²), a histogram with the grid's levels, and for weights a table per output \
        channel. A prepared or quantized model shows its own grids (weights with batch norm folded in, as they are \
        deployed); an fp32 model shows what PTQ at `bits` would do (weights per channel, symmetric, min-max; \
        activations with `observer`).
        """,
      parameters: [
        .required("model", .object(["model"]), "an fp32, prepared or quantized model"),
        .required(
          "layer", .oneOf([.int, .string]),
          """
          the layer: its number in summary(net), or its name as the model shows it (\"conv(16, kernel: 3, pad: \
          1)\", or \"dense\" when only one layer is a dense); \"input\" for the input's activations
          """
        ),
        .optional(
          "data", DataBinding.dataTypes,
          "images for activations (a dataset: its training split) — the calibration images are taken from them"),
        .optional(
          "what", .choice(["weights", "activations"]), default: .string("weights"), "\"weights\" or \"activations\""),
        .optional(
          "bits", .positiveInt, "fp32 models: the bit width PTQ would use, \(ModelArguments.modelBitsText) (default 8)"),
        .optional(
          "per_channel", .bool, "fp32 models: one weight scale per output channel (default true) or one per layer"),
        .optional(
          "observer", .choice(ObserverKind.allCases.map(\.rawValue)),
          "fp32 models: the activation observer (default \"histogram\", PTQ's)"),
        .optional(
          "samples", .positiveInt, default: .int(256),
          "calibration images for activations, at indices ⌊i·n/samples⌋ of the split"),
        .optional("bins", .positiveInt, default: .int(defaultBins), "histogram bins (at most 1,000)"),
        observersParameter,
      ],
      returns: "inspection"
    ) { call in
      guard let model = ModelArguments.model(call) else { return .none }
      let bins = try binCount(call)
      let activations = call.string("what") == "activations"
      try model.require(.floatValues, call: call)
      let split = DataBinding.split(call.value("data"), for: .fit)
      let network: Network
      if let split {
        network = try DataBinding.network(model, for: split, call: call, argument: "data")
      } else if let built = model.network {
        network = built
      } else {
        throw call.error(
          "the model's input shape is not known yet", argument: "model",
          hint: "define it with model(data) { … }, or give data: inspect(net, 0, data)")
      }
      let state = network.quantization
      try checkObservers(call, fp32: state == nil, activations: activations)
      if state != nil {
        for name in ["bits", "per_channel", "observer"] where call.isGiven(name) {
          throw call.error(
            """
            `\(name)` is for fp32 models; this model is already \
            \(model.stage == .prepared ? "prepared" : "quantized") (\(model.quantizationText ?? "")) and shows its \
            own grids
            """,
            argument: name, hint: "inspect the fp32 model with `\(name):` to see what PTQ would do")
        }
      }
      // An fp32 model shows what PTQ would do with the options given.
      let config =
        state == nil
        ? try ModelArguments.config(call, network: network, method: .ptq) : QuantizationConfig(method: .ptq)
      let numbered = network.numberedLayers
      let target = try LayerReference.resolve(call.value("layer"), in: numbered, call: call)
      let modelText = state.map { "\($0.config.method.rawValue) · \(QuantizedModelText.bits($0.config)) model" }
      if !activations {
        guard let index = target else {
          throw call.error(
            "the input has no weights", argument: "layer", hint: "inspect(net, \"input\", data, what: \"activations\")")
        }
        let layer = numbered[index]
        guard Network.hasQuantizedWeights(layer) else {
          throw call.error(
            """
            layer \(index) (\(layer.spec.description)) has no weights; conv and dense layers do: \
            \(weightedList(numbered))
            """,
            argument: "layer", hint: "or look at its output: what: \"activations\"")
        }
        let quantized: Network
        if state != nil {
          quantized = network
        } else {
          do throws(ShapeError) { quantized = try network.weightQuantizationPreview(config) } catch {
            throw call.error(error.message, argument: "model", hint: error.hint)
          }
        }
        guard let grid = quantized.weightGrid(of: quantized.numberedLayers[index]) else {
          throw call.error(
            "layer \(index) (\(layer.spec.description)) has no quantized weights in this model", argument: "layer")
        }
        try checkFinite(grid.params, call: call, argument: "model")
        let context =
          modelText
            ?? """
            fp32 model, as \(config.weightBits)-bit PTQ would quantize them \
            (\(config.perChannel ? "per channel" : "per tensor"), symmetric, min-max)
            """
        return .object(InspectionValue.weights(grid, layer: layer, index: index, context: context, bins: bins))
      }
      guard let split else {
        throw call.error(
          "activations need images to run the model on", argument: "what",
          hint: "inspect(net, 0, data, what: \"activations\")")
      }
      let all = DataBinding.images(split, for: model, interpreter: call.interpreter)
      let images = all.subset(Network.calibrationIndices(count: all.count, samples: call.int("samples")))
      let pool = call.workerPool
      let quantized =
        state != nil ? network : try QuantizationRun.prepare(network, config: config, images: all, call: call)
      let layer = target.map { quantized.numberedLayers[$0] }
      guard let operation = quantized.activationPointOperation(after: layer),
        let grid = quantized.activationGrid(at: operation, data: images, pool: pool, simulated: state != nil)
      else {
        let name = target.map { "layer \($0) (\(numbered[$0].spec.description))" } ?? "the input"
        throw call.error(
          """
          \(name) has no quantization point of its own: its output is quantized with the layer before it (pooling, \
          flatten and a lone ReLU keep their input's grid) or as part of its conv/dense unit
          """,
          argument: "layer", hint: "inspect the conv or dense layer whose unit it belongs to: \(weightedList(numbered))"
        )
      }
      try checkFinite([grid.params], call: call, argument: "model")
      let place = target.map { "after \(numbered[$0].spec.description) (layer \($0))" } ?? "at the input"
      let how =
        state == nil
        ? """
        fp32 model: its fp32 activations (what calibration observes) against the grid \(config.activationBits)-bit \
        PTQ would choose
        """
        : "\(modelText ?? "") · as it computes them, every earlier layer quantized"
      let heading = "inspect: activations \(place) · quantization point \(grid.point) · \(how)"
      let value = InspectionValue.activations(grid, heading: heading, place: place, images: images.count, bins: bins)
      value.chart.spans = try observerSpans(call, network: network, config: config, images: all, layer: target)
      return .object(value)
    }
  }

  /// A grid whose step overflowed float32 (values spanning more than ±1.7e38) has no levels to show.
  static func checkFinite(_ params: [QuantParams], call: BuiltinCall, argument: String) throws {
    guard params.allSatisfy({ $0.scale.isFinite }) else {
      throw call.error(
        "the values span more than float32 can divide into steps: the grid's scale would be infinite",
        argument: argument,
        hint: "quantization needs values within about ±1e36")
    }
  }

  static func weightedList(_ numbered: [NetworkLayer]) -> String {
    let list = numbered.indices.filter { Network.hasQuantizedWeights(numbered[$0]) }.map(String.init)
    return list.isEmpty ? "none in this model" : list.joined(separator: ", ")
  }

  static func binCount(_ call: BuiltinCall) throws -> Int {
    let bins = call.int("bins")
    guard bins <= 1000 else {
      throw call.error(
        "`bins` must be at most 1,000, got \(Units.grouped(bins))", argument: "bins", hint: "40 bins fit a terminal")
    }
    return bins
  }

  static var histogram: Builtin {
    Builtin(
      "histogram", topic: "quantization",
      summary:
        """
        A list of numbers (or a tensor such as `net.layers[0].weight`) against the quantization grid the named \
        observer chooses for it, computed as calibration does: `minmax` takes the smallest and largest value; \
        `histogram` bins them (2048 bins) and searches the range with the least L2 error; `percentile` cuts the \
        outer (100 − p) %; `moving_average` sees the list as one batch, so it equals min-max here. Shows the grid \
        (scale, zero point, levels, range), values clipped below and above, the SQNR 10·log10(Σx²/Σ(x − q(x))²) and \
        a histogram with the levels.
        """,
      parameters: [
        .required("values", .oneOf([.listOf(.number), .object(["tensor"])]), "the numbers (finite, at least one)"),
        .optional("bits", .int, default: .int(8), ModelArguments.bitsHelp),
        .optional(
          "symmetric", .bool, default: .bool(false), "a grid symmetric around 0 instead of one fitted to the range"),
        .optional(
          "signed", .bool, default: .bool(false), "integers in [−2^(bits−1), 2^(bits−1) − 1] instead of [0, 2^bits − 1]"
        ),
        .optional(
          "observer", .choice(ObserverKind.allCases.map(\.rawValue)), default: .string("minmax"),
          "how the range is chosen: \"minmax\", \"histogram\", \"percentile\", \"moving_average\", \"mse\" or \"kl\""),
        .optional(
          "percentile", .positiveNumber, default: .float(99.99),
          "the percentile observer's upper percentile (the lower one is 100 − p), in (50, 100]"),
        .optional("bins", .positiveInt, default: .int(defaultBins), "histogram bins for the chart (at most 1,000)"),
      ],
      returns: "inspection"
    ) { call in
      let range = try ModelArguments.quantRange(call)
      let bins = try binCount(call)
      let observer = ObserverKind(rawValue: call.string("observer")) ?? .minmax
      let percentile = try ModelArguments.checkPercentile(call, observer: observer)
      let values = try numbers(call)
      let symmetric = call.bool("symmetric")
      let (low, high) = observer.range(of: values, range: range, symmetric: symmetric, percentile: percentile)
      guard low.isFinite, high.isFinite, low <= high, (high - low).isFinite else {
        throw call.error(
          """
          the values span more than float32 can divide into steps: the \(observer.rawValue) observer finds no \
          usable range
          """,
          argument: "values", hint: "quantization needs values within about ±1e36")
      }
      let params = QuantParams.fromRange(min: low, max: high, range: range, symmetric: symmetric)
      try checkFinite([params], call: call, argument: "values")
      let (quantized, statistics) = GridStatistics.measure(values, params: params)
      return .object(
        InspectionValue.values(
          values, params: params, quantized: quantized, statistics: statistics, observer: observer, low: low,
          high: high, symmetric: symmetric, bins: bins))
    }
  }

  /// The `values` argument as float32 numbers: a list's items or a tensor's values.
  static func numbers(_ call: BuiltinCall) throws -> [Float] {
    let values: [Float]
    switch call.value("values") {
    case .object(let object):
      guard let tensor = object as? TensorValue else { return [] }
      values = tensor.array.values
    case .list(let items):
      values = try ModelArguments.float32Values(items, positions: true, call: call)
    default:
      values = []
    }
    guard !values.isEmpty else {
      throw call.error("`values` is empty: there is nothing to quantize", argument: "values")
    }
    guard values.allSatisfy(\.isFinite) else {
      throw call.error("`values` holds NaN or infinite numbers", argument: "values")
    }
    return values
  }
}
