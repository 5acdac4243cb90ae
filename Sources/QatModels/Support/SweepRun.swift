import QatEngine
import QatImages
import QatImagesLanguage
import QatOutput
import QatsLanguage

/// What `sweep` computes: the fp32 model, an fp32 control fine-tuned as long as QAT, and every
/// method at every width, each through the quantization pipeline and measured on the test split.
/// `SweepTable` presents the result.
enum SweepRun {
  /// The sweep's choices, as the arguments gave them.
  struct Plan {
    var widths: [Int]
    var methods: [QuantMethod]
    /// Only the weights at each width; activations stay at 8 bits.
    var weightsOnly: Bool
    /// QAT's fine-tuning, and the control's extra training.
    var epochs: Int
    var lr: Double
    /// Measure batch-1 latency.
    var timing: Bool
  }

  /// One quantized model of the sweep, measured.
  struct Entry {
    let method: QuantMethod
    let bits: Int
    let measurement: ModelMeasurement
  }

  struct Result {
    let plan: Plan
    let base: ModelMeasurement
    /// The control, with the fp32 model's latency (the same network shape).
    let control: ModelMeasurement
    /// In sweep order: each width, each method.
    let entries: [Entry]
    /// Set when Ctrl-C stopped the sweep: the entries are the runs that finished before it.
    var interrupted = false

    /// Runs of the plan: fp32, the control, and each method at each width.
    var plannedRuns: Int { plan.widths.count * plan.methods.count + 2 }
    /// "stopped by Ctrl-C after 3 of 10 runs", when it was.
    var stopNote: String? {
      interrupted ? "stopped by Ctrl-C after \(entries.count + 2) of \(plannedRuns) runs" : nil
    }

    func correct(_ method: QuantMethod, _ bits: Int) -> Int {
      entries.first { $0.method == method && $0.bits == bits }?.measurement.correct ?? 0
    }
  }

  static func run(_ plan: Plan, model: ModelValue, network: Network, dataset: ImageDataset, call: BuiltinCall)
    throws -> Result
  {
    try ModelArguments.requireFinite(network, call: call)
    let train = DataBinding.images(dataset.train, for: model, interpreter: call.interpreter)
    let steps = plan.widths.count * plan.methods.count + 2
    func progress(_ step: Int, _ what: String) { call.interpreter.output.progress("sweep: \(what) (\(step)/\(steps))") }
    defer { call.interpreter.output.progress(nil) }

    progress(1, "fp32")
    let base = try ModelMeasurement.measure(model, program: network, on: dataset.test, timing: plan.timing, call: call)
    progress(2, "fp32 control, \(plan.epochs) more epochs")
    let controlModel = try fineTunedControl(network, model: model, images: train, plan: plan, call: call)
    var control = try ModelMeasurement.measure(
      controlModel, program: controlModel.network ?? network, on: dataset.test, timing: false, call: call)
    control.latencyMicroseconds = base.latencyMicroseconds

    var entries: [Entry] = []
    var step = 2
    do {
      for bits in plan.widths {
        for method in plan.methods {
          try call.checkInterrupt()
          step += 1
          progress(step, "\(method.rawValue) \(bits) bits")
          var config = try ModelArguments.config(
            call, network: network, method: method, bits: bits, activationBits: plan.weightsOnly ? 8 : bits)
          // `observer` is PTQ's choice; QAT keeps its moving averages.
          if method == .qat { config.observer = nil }
          let quantized = try QuantizationRun.quantize(
            network, config: config, images: train, epochs: plan.epochs, lr: plan.lr, call: call,
            label: "sweep \(step)/\(steps) · \(method.rawValue) \(bits) bits")
          guard let program = quantized.program else { continue }
          let value = ModelValue(
            specs: model.specs, locations: model.locations, network: quantized.simulation, integer: program,
            input: model.input)
          // As `quantize` does: the file records the test accuracy, so the size is the same as its.
          let m = try ModelMeasurement.measure(
            value, program: program, on: dataset.test, timing: plan.timing, recordsAccuracy: true, call: call)
          entries.append(Entry(method: method, bits: bits, measurement: m))
        }
      }
    } catch let error as QatsError where error.kind == .interrupted {
      // The finished runs are kept: the table of them is returned, and the message says so.
      var result = Result(plan: plan, base: base, control: control, entries: entries)
      result.interrupted = true
      call.emit(
        PlainText(
          """
          interrupted: sweep \(result.stopNote ?? ""); the table keeps the \(entries.count + 2) finished rows \
          (fp32, the control and each finished method)
          """))
      return result
    }
    return Result(plan: plan, base: base, control: control, entries: entries)
  }

  /// A copy of the fp32 network trained `plan.epochs` more epochs with QAT's optimizer settings.
  static func fineTunedControl(
    _ network: Network, model: ModelValue, images: LabeledImages, plan: Plan, call: BuiltinCall
  ) throws -> ModelValue {
    let copy = try QuantizationRun.worded(call) { try network.copy() }
    try TrainingRun.fineTuning(on: images, epochs: plan.epochs, lr: plan.lr, call: call, label: "sweep: fp32 control")(
      copy)
    return ModelValue(specs: model.specs, locations: model.locations, network: copy, input: model.input)
  }
}
