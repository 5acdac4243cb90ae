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
        """
        Quantizes one part of a trained fp32 model at a time — the network input, then each conv or dense layer \
        (its weights and its output after its batch norm and ReLU) — leaving the rest fp32, and measures the test \
        accuracy of each: PTQ calibrates on `samples` training images; QAT also fine-tunes each copy `epochs` \
        epochs. Returns a table ranked worst first (accuracy, change in points and in test images against fp32, \
        SQNR of the layer's weights) with a bar chart of the drop. Deterministic: the same model and data give the \
        same table (QAT draws its shuffling from the session's seed).
        """,
      parameters: ModelArguments.sharedParameters.filter { $0.name != "keep" }
        + ModelArguments.fineTuningParameters(what: " for each copy"),
      returns: "table"
    ) { call in
      try ModelArguments.checkEpochs(call)
      let (model, network, split, config) = try ModelArguments.setup(call)
      guard let testSplit = DataBinding.split(call.value("data"), for: .measure) else { return .none }
      try DataBinding.requireImages(testSplit, call: call, argument: "data")
      let pool = call.workerPool
      let train = DataBinding.images(split, for: model, interpreter: call.interpreter)
      let test = DataBinding.images(testSplit, for: model, interpreter: call.interpreter)
      var predictions: [Int32] = []
      let baseline = network.evaluate(test, pool: pool, predictions: &predictions)
      let units = network.sensitivityUnits.count
      var unit = 0
      let rows = try QuantizationRun.worded(call) {
        try network.sensitivity(
          config, training: train, test: test, pool: pool,
          unitStarting: { k in
            try call.checkInterrupt()
            unit = k
          },
          fineTune: { prepared in
            let label = "sensitivity \(unit)/\(units)"
            try TrainingRun.fineTuning(
              on: train, epochs: call.int("epochs"), lr: call.double("lr"), call: call, label: label)(prepared)
          })
      }
      return .object(SensitivityTable.make(rows, numbered: network.numberedLayers, baseline: baseline, config: config))
    }
  }
}
