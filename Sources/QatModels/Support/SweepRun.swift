import QatEngine
import QatImages
import QatImagesLanguage
import QatOutput
import QatSupport
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
    /// Runs with a random choice (QAT's and the control's shuffle order) are repeated with this many
    /// seeds, the session's seed + 0, 1, …; PTQ has no random choice and runs once.
    var seeds: Int = 1
  }

  /// One quantized model of the sweep, measured: the first seed's model (size, latency) and the
  /// test accuracy of every seed's.
  struct Entry {
    let method: QuantMethod
    let bits: Int
    let measurement: ModelMeasurement
    var accuracies: [Double]

    init(method: QuantMethod, bits: Int, measurement: ModelMeasurement, accuracies: [Double]? = nil) {
      self.method = method
      self.bits = bits
      self.measurement = measurement
      self.accuracies = accuracies ?? [measurement.accuracy]
    }

    var mean: Double { SweepRun.mean(accuracies) }
    /// The sample standard deviation over the seeds (0 for one run).
    var standardDeviation: Double { SweepRun.standardDeviation(accuracies) }
  }

  static func mean(_ xs: [Double]) -> Double { xs.isEmpty ? 0 : xs.reduce(0, +) / Double(xs.count) }

  static func standardDeviation(_ xs: [Double]) -> Double {
    guard xs.count > 1 else { return 0 }
    let m = mean(xs)
    return (xs.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(xs.count - 1)).squareRoot()
  }

  struct Result {
    let plan: Plan
    let base: ModelMeasurement
    /// The control, with the fp32 model's latency (the same network shape), and its accuracy per seed.
    let control: ModelMeasurement
    var controlAccuracies: [Double] = []
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

    /// Correct test images of a run (the mean over its seeds, rounded).
    func correct(_ method: QuantMethod, _ bits: Int) -> Int {
      guard let e = entries.first(where: { $0.method == method && $0.bits == bits }) else { return 0 }
      return Int((e.mean * Double(e.measurement.total)).rounded())
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
    // fp32 is measured through its inference program, as `evaluate` and `compare` measure it.
    let base = try ModelMeasurement.measure(
      model, program: model.inferenceProgram ?? network, on: dataset.test, timing: plan.timing, call: call)
    // With seeds, run r starts from the session's seed + r, and the session's generator is left as it
    // was before the sweep (one seed: the runs draw from it as before).
    let sessionSeed = call.interpreter.seed, sessionRandom = call.interpreter.random
    func seeded<T>(_ r: Int, _ body: () throws -> T) rethrows -> T {
      guard plan.seeds > 1 else { return try body() }
      call.interpreter.random = SeededRandom(seed: sessionSeed &+ UInt64(r))
      return try body()
    }
    defer { if plan.seeds > 1 { call.interpreter.random = sessionRandom } }
    progress(2, "fp32 control, \(plan.epochs) more epochs")
    var control = base, controlAccuracies: [Double] = []
    for r in 0..<plan.seeds {
      let controlModel = try seeded(r) {
        try fineTunedControl(network, model: model, images: train, plan: plan, call: call)
      }
      let m = try ModelMeasurement.measure(
        controlModel, program: controlModel.inferenceProgram ?? network, on: dataset.test, timing: false, call: call)
      if r == 0 { control = m }
      controlAccuracies.append(m.accuracy)
    }
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
          var first: ModelMeasurement?, accuracies: [Double] = []
          for r in 0..<(method == .qat ? plan.seeds : 1) {
            let quantized = try seeded(r) {
              try QuantizationRun.quantize(
                network, config: config, images: train, epochs: plan.epochs, lr: plan.lr, call: call,
                label: "sweep \(step)/\(steps) · \(method.rawValue) \(bits) bits"
                  + (plan.seeds > 1 ? " · seed \(r + 1)/\(plan.seeds)" : ""))
            }
            guard let program = quantized.program else { break }
            let value = ModelValue(
              specs: model.specs, locations: model.locations, network: quantized.simulation, integer: program,
              input: model.input)
            // As `quantize` does: the file records the test accuracy, so the size is the same as its.
            let m = try ModelMeasurement.measure(
              value, program: program, on: dataset.test, timing: plan.timing && r == 0, recordsAccuracy: true,
              call: call)
            if first == nil { first = m }
            accuracies.append(m.accuracy)
          }
          guard let first else { continue }
          entries.append(Entry(method: method, bits: bits, measurement: first, accuracies: accuracies))
        }
      }
    } catch let error as QatsError where error.kind == .interrupted {
      // The finished runs are kept: the table of them is returned, and the message says so.
      var result = Result(plan: plan, base: base, control: control, entries: entries)
      result.controlAccuracies = controlAccuracies
      result.interrupted = true
      call.emit(
        PlainText(
          """
          interrupted: sweep \(result.stopNote ?? ""); the table keeps the \(entries.count + 2) finished rows \
          (fp32, the control and each finished method)
          """))
      return result
    }
    var result = Result(plan: plan, base: base, control: control, entries: entries)
    result.controlAccuracies = controlAccuracies
    return result
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
