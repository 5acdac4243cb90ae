import Foundation
import QatEngine
import QatImages
import QatImagesLanguage
import QatOutput
import QatSupport
import QatsLanguage

/// `mixed(net, data, size: 0.15)`: per-layer widths chosen greedily, from measured accuracy, to meet a
/// size budget (or an accuracy floor), returned as the integer model.
enum MixedBuiltins {
  static func all() -> [Builtin] { [mixed] }

  /// The widths the search steps through, widest first.
  static let ladder = [8, 6, 4, 3, 2]

  static var mixed: Builtin {
    Builtin(
      "mixed", topic: "quantization",
      summary:
        """
        Mixed precision chosen for you: starting with every conv/dense layer at 8 bits, PTQ with each layer in turn \
        one step narrower (8 → 6 → 4 → 3 → 2) is measured on the test images, and the step that costs the least \
        accuracy is taken — until the model file is at most `size` × the fp32 file, or, with `accuracy:`, while \
        the accuracy stays at or above that floor. Prints each step and returns the integer model \
        (`bits: [..]` as `quantize` takes it).
        """,
      parameters: [
        .required("model", .object(["model"]), "the trained fp32 model (left untouched)"),
        .required("data", DataBinding.dataTypes, "a dataset: its training split calibrates, its test split measures"),
        .optional("size", .positiveNumber, "the largest model file wanted, as a fraction of the fp32 file (e.g. 0.15)"),
        .optional("accuracy", .positiveNumber, "instead of a size: the lowest test accuracy to keep (0–1)"),
        .optional("observer", .choice(ObserverKind.allCases.map(\.rawValue)), "PTQ's activation observer"),
      ],
      returns: "model"
    ) { call in
      guard let model = ModelArguments.model(call),
        case .object(let object) = call.value("data"), let dataset = object as? ImageDataset
      else {
        throw call.error("`mixed` needs a dataset with training and test images", argument: "data")
      }
      try model.require(.fp32, call: call)
      let network = try DataBinding.network(model, for: dataset.train, call: call, argument: "data")
      try ModelArguments.requireFinite(network, call: call)
      let goal = try Goal(call)
      guard dataset.test.count > 0 else {
        throw call.error("`mixed` measures on the test images, and this dataset has none", argument: "data")
      }
      return .object(
        try Search(
          call: call, model: model, network: network, dataset: dataset, goal: goal,
          layers: ModelArguments.weightedLayers(network),
          train: DataBinding.images(dataset.train, for: model, interpreter: call.interpreter)
        ).run())
    }
  }

  /// What the search stops at: a size budget (fraction of the fp32 file) or an accuracy floor.
  enum Goal {
    case size(Double)
    case accuracy(Double)

    init(_ call: BuiltinCall) throws {
      switch (call.isGiven("size"), call.isGiven("accuracy")) {
      case (true, false):
        let s = call.double("size")
        guard s > 0, s <= 1 else {
          throw call.error("`size` is a fraction of the fp32 file, in (0, 1]", argument: "size")
        }
        self = .size(s)
      case (false, true):
        let a = call.double("accuracy")
        guard a > 0, a <= 1 else { throw call.error("`accuracy` is a fraction in (0, 1]", argument: "accuracy") }
        self = .accuracy(a)
      default:
        throw call.error(
          "give `mixed` either `size:` (a fraction of the fp32 file) or `accuracy:` (a floor), not both or neither",
          hint: "mixed(net, data, size: 0.15)")
      }
    }
  }

  /// One greedy search; every candidate is a full PTQ of the fp32 network, measured like `quantize`.
  struct Search {
    let call: BuiltinCall
    let model: ModelValue
    let network: Network
    let dataset: ImageDataset
    let goal: Goal
    /// The conv/dense layers the widths are for, with their summary rows (computed once).
    let layers: [(row: Int, layer: NetworkLayer)]
    /// The calibration images, prepared once for every candidate.
    let train: LabeledImages

    struct Candidate {
      let widths: [Int]
      let value: ModelValue
      let measurement: ModelMeasurement
    }

    func measure(_ widths: [Int]) throws -> Candidate {
      try call.checkInterrupt()
      var config = try ModelArguments.config(call, network: network, method: .ptq, bits: widths.max() ?? 8)
      config.layerBits = Dictionary(uniqueKeysWithValues: zip(layers.compactMap(\.layer.operationIndex), widths))
      let quantized = try QuantizationRun.quantize(network, config: config, images: train, epochs: 0, lr: 0, call: call)
      guard let program = quantized.program else { throw call.error("this network has no integer form") }
      let value = ModelValue(
        specs: model.specs, locations: model.locations, network: quantized.simulation, integer: program,
        input: model.input)
      let m = try ModelMeasurement.measure(
        value, program: program, on: dataset.test, timing: false, recordsAccuracy: true, call: call)
      return Candidate(widths: widths, value: value, measurement: m)
    }

    func run() throws -> ModelValue {
      // Layers are named by their row in summary(net), as `sensitivity` and `keep:` name them.
      let summaryRows = layers.map(\.row)
      let fp32 = try ModelMeasurement.measure(model, program: network, on: dataset.test, timing: false, call: call)
      let fp32Size = Double(fp32.sizeBytes ?? 1)
      var current = try measure(Array(repeating: 8, count: summaryRows.count))
      var rows: [Record] = [row(0, current, change: "all at 8 bits", fp32Size: fp32Size)]
      func done(_ c: Candidate) -> Bool {
        if case .size(let s) = goal { return Double(c.measurement.sizeBytes ?? .max) <= s * fp32Size }
        return false
      }
      var step = 0
      while !done(current) {
        var best: (candidate: Candidate, layer: Int)?
        for k in summaryRows.indices {
          guard let i = MixedBuiltins.ladder.firstIndex(of: current.widths[k]), i + 1 < MixedBuiltins.ladder.count
          else { continue }
          var widths = current.widths
          widths[k] = MixedBuiltins.ladder[i + 1]
          let c = try measure(widths)
          if case .accuracy(let floor) = goal, c.measurement.accuracy < floor { continue }
          // The least accuracy lost; among equals, the most bytes saved.
          if let b = best?.candidate,
            c.measurement.correct < b.measurement.correct
              || (c.measurement.correct == b.measurement.correct
                && (c.measurement.sizeBytes ?? .max) >= (b.measurement.sizeBytes ?? .max))
          {
            continue
          }
          best = (c, k)
        }
        guard let best else { break }
        step += 1
        current = best.candidate
        rows.append(
          row(
            step, current, change: "layer \(summaryRows[best.layer]) → \(current.widths[best.layer]) bits",
            fp32Size: fp32Size)
        )
      }
      let floorOnly: Bool
      if case .accuracy = goal { floorOnly = true } else { floorOnly = false }
      call.emit(table(rows, reached: floorOnly || done(current)))
      return current.value
    }

    func row(_ step: Int, _ c: Candidate, change: String, fp32Size: Double) -> Record {
      Record([
        ("step", .int(step)), ("change", .string(change)),
        ("bits", .string(c.widths.map(String.init).joined(separator: "/"))),
        ("accuracy", .float(c.measurement.accuracy)), ("size_bytes", c.measurement.sizeBytes.map(Value.int) ?? .none),
        ("of_fp32", .float(Double(c.measurement.sizeBytes ?? 0) / fp32Size)),
      ])
    }

    func table(_ rows: [Record], reached: Bool) -> TableValue {
      let goalText: String
      switch goal {
      case .size(let s): goalText = "a file at most \(Units.percent(s)) of fp32"
      case .accuracy(let a): goalText = "accuracy at least \(Units.percent(a))"
      }
      return TableValue(
        title: "mixed precision, greedy: \(goalText) · PTQ, one layer one step narrower at a time",
        columns: [
          .init("step"), .init("change"), .init("bits", header: "bits per layer"),
          .init("accuracy", format: .percent), .init("size_bytes", header: "size", format: .bytes),
          .init("of_fp32", header: "of fp32", format: .percent),
        ],
        rows: rows,
        notes: [
          reached
            ? "Each step tried every layer one step narrower and kept the one that lost the least test accuracy."
            : "The budget was not reached: every layer is at 2 bits, or no narrower step kept the floor."
        ])
    }
  }
}
