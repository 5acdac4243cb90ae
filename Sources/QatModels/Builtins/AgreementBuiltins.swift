import Foundation
import QatEngine
import QatImages
import QatOnnx
import QatOutput
import QatSupport
import QatsLanguage

/// `agree(model, data)`: the proof that a quantized model's simulation and its integer program are
/// the same model, point by point and prediction by prediction; `errors(model, data)`: where the
/// quantization error enters, against fp32.
enum AgreementBuiltins {
  static func all() -> [Builtin] { [agree, errors] }

  static var agree: Builtin {
    Builtin(
      "agree", topic: "quantization",
      summary:
        """
        Runs a quantized model's fake-quant simulation and its integer program on the same images and shows, for \
        every quantization point, the largest difference in integer steps (LSB) and the share of values that are \
        equal, then the share of identical predictions on the whole split. With `onnx:` the QDQ file `export` \
        wrote for the model is read back through the importer and its integer program compared too (two more \
        columns); `scripts/check-onnx` adds ONNX Runtime as the fourth witness.
        """,
      parameters: [
        .required("model", .object(["model"]), "a quantized model made in this session"),
        .required("data", DataBinding.dataTypes, "a dataset (its test split is used) or a split"),
        .optional("onnx", .string, "a .onnx file export() wrote for this model, read back and compared"),
      ],
      returns: "table"
    ) { call in
      guard let (model, split, simulation, program) = try quantizedModel(call) else { return .none }
      let file = try call.isGiven("onnx") && !call.value("onnx").isNil ? exportedProgram(call, matching: program) : nil
      let images = DataBinding.images(split, for: model, interpreter: call.interpreter)
      let pool = call.workerPool
      let result = program.agreement(with: simulation, on: images, pool: pool)
      let fileResult = file.map {
        (path: $0.path, agreement: program.agreement(withProgram: $0.program, on: images, pool: pool))
      }
      return .object(table(result, file: fileResult))
    }
  }

  /// The model and data arguments of `agree` and `errors`: a quantized model made in this session (it
  /// has a simulation), its integer program and the split it runs on; nil when an argument is absent.
  static func quantizedModel(_ call: BuiltinCall) throws -> (ModelValue, ImageSplit, Network, IntegerNetwork)? {
    guard let model = ModelArguments.model(call), let split = DataBinding.split(call.value("data"), for: .measure)
    else { return nil }
    try DataBinding.requireImages(split, call: call, argument: "data")
    guard let simulation = model.network, simulation.quantization != nil else {
      throw call.error(
        model.integer == nil
          ? "\(call.builtin.name) compares a quantized model's simulation with its integer program; this model is fp32"
          : "this integer model was loaded from a file: it has no simulation to compare with",
        argument: "model",
        hint: "quantize the fp32 model in this session: q = quantize(net, data), then \(call.builtin.name)(q, data)")
    }
    guard let program = try OnnxBuiltins.integerProgram(of: model, call: call) else { return nil }
    try DataBinding.check(program, fits: split, call: call, argument: "data")
    return (model, split, simulation, program)
  }

  static var errors: Builtin {
    Builtin(
      "errors", topic: "quantization",
      summary:
        """
        Where the quantization error enters a quantized model: at every quantization point, the SQNR (dB) of the \
        fake-quant simulation and of the integer program, each against the same network in fp32 (batch norm \
        folded, every quantizer bypassed), and the largest simulation-vs-integer difference in LSB — as a table \
        and a bar chart of the integer program's SQNR. Errors accumulate from the input, as when the model runs.
        """,
      parameters: [
        .required("model", .object(["model"]), "a quantized model made in this session"),
        .required("data", DataBinding.dataTypes, "a dataset (its test split is used) or a split"),
      ],
      returns: "table"
    ) { call in
      guard let (model, split, simulation, program) = try quantizedModel(call) else { return .none }
      let images = DataBinding.images(split, for: model, interpreter: call.interpreter)
      return .object(errorTable(program.quantizationErrors(simulation: simulation, on: images)))
    }
  }

  static func errorTable(_ e: QuantizationErrors) -> TableValue {
    func decibels(_ x: Double) -> Value { x.isFinite ? .float(x) : .none }
    let rows = e.points.map { p in
      Record([
        ("activation", .int(p.activation)), ("point", .string(p.name)), ("bits", .int(p.bits)),
        ("sqnr_simulation_db", decibels(p.simulationSQNR)), ("sqnr_integer_db", decibels(p.integerSQNR)),
        ("max_lsb", .int(p.maxLSB)), ("values", .int(p.values)),
      ])
    }
    let bars = e.points.map { p in
      ChartBar(
        label: "\(p.activation) \(p.name)", value: p.integerSQNR.isFinite ? p.integerSQNR : 0,
        note: p.simulationSQNR.isFinite ? "simulation \(Units.fixed(p.simulationSQNR, digits: 1)) dB" : "exact")
    }
    return TableValue(
      title: "quantization error against fp32, point by point · activations of the first \(e.imagesCompared) images",
      columns: [
        .init("activation", header: "#"), .init("point", header: "quantization point"), .init("bits"),
        .init("sqnr_simulation_db", header: "SQNR simulation", format: .decibels),
        .init("sqnr_integer_db", header: "SQNR integer", format: .decibels),
        .init("max_lsb", header: "sim vs int (LSB)"), .init("values"),
      ],
      rows: rows,
      figures: [BarChart(title: "SQNR of the integer program against fp32", valueLabel: "SQNR (dB)", bars: bars)],
      notes: [
        """
        SQNR = 10·log10(Σx² / Σ(y − x)²), x the fp32 value at that point and y the simulation's (or the integer \
        program's, dequantized); higher is better, and every 6 dB is one bit. A drop from one row to the next is \
        error that enters at that layer; the two SQNR columns agree because the integer program is the simulation \
        (the last column: how many integer steps apart they are, end to end, as `agree` shows).
        """
      ])
  }

  /// The integer program of the QDQ file `onnx:` names, refused unless it has the model program's
  /// activations.
  static func exportedProgram(_ call: BuiltinCall, matching program: IntegerNetwork) throws -> (
    path: String, program: IntegerNetwork
  ) {
    let path = call.string("onnx")
    let q = call.variableName(of: "model") ?? "q"
    let hint =
      "export(\(q), \"\((path as NSString).lastPathComponent)\") writes the file of model \(q); then "
      + "agree(\(q), data, onnx: …)"
    do throws(OnnxImportError) {
      let read = try OnnxProgramImport.program(try OnnxImport.bytes(path: path), budget: call.interpreter.memoryBudget)
      if let reason = program.mismatch(with: read) {
        throw OnnxImportError("it was not exported from this model: \(reason)", hint: hint)
      }
      return (path, read)
    } catch {
      throw call.error("cannot compare '\(path)': \(error.message)", argument: "onnx", hint: error.hint ?? hint)
    }
  }

  static func table(_ r: IntegerAgreement, file: (path: String, agreement: ProgramAgreement)? = nil) -> TableValue {
    let rows = r.points.map { p in
      var fields: [(String, Value)] = [
        ("activation", .int(p.activation)), ("point", .string(p.name)), ("bits", .int(p.bits)),
        ("max_lsb", .int(p.maxLSB)), ("equal", .float(Double(p.equal) / Double(max(1, p.values)))),
      ]
      if let f = file?.agreement, f.maxLSB.indices.contains(p.activation) {
        let a = p.activation
        fields += [
          ("file_max_lsb", .int(f.maxLSB[a])), ("file_equal", .float(Double(f.equal[a]) / Double(max(1, f.values[a])))),
        ]
      }
      return Record(fields + [("values", .int(p.values))])
    }
    let n = max(1, r.images)
    var columns: [TableValue.Column] = [
      .init("activation", header: "#"), .init("point", header: "quantization point"), .init("bits"),
      .init("max_lsb", header: "max |Δ| (LSB)"), .init("equal", header: "equal", format: .percent),
    ]
    var notes: [String] = []
    if let file {
      let f = file.agreement
      columns += [
        .init("file_max_lsb", header: "file max |Δ|"), .init("file_equal", header: "file equal", format: .percent),
      ]
      notes.append(
        """
        \(file.path) read back: predictions \(Units.grouped(f.samePredictions)) of \(Units.grouped(f.images)) \
        identical to the integer program's (\(Units.percent(Double(f.samePredictions) / Double(max(1, f.images))))) · accuracy \
        \(Units.percent(Double(f.correct) / Double(max(1, f.images)))); the file columns compare its integers with \
        the integer program's.
        """)
    }
    columns.append(.init("values"))
    return TableValue(
      title: "simulation vs integer program\(file == nil ? "" : " vs exported file") · activations of the first "
        + "\(r.imagesCompared) images",
      columns: columns,
      rows: rows,
      notes: [
        """
        predictions: \(Units.grouped(r.samePredictions)) of \(Units.grouped(r.images)) identical \
        (\(Units.percent(Double(r.samePredictions) / Double(n)))) · accuracy: simulation \
        \(Units.percent(Double(r.simulationCorrect) / Double(n))), integer \
        \(Units.percent(Double(r.integerCorrect) / Double(n)))
        """
      ] + notes + [
        """
        Each row compares the integers both give at one point, fed the same images end to end: the simulation's \
        value x becomes round(x / scale) + zero point. Differences of 1 LSB come from rounding a fixed-point \
        multiplier where the simulation rounds a float.
        """
      ])
  }
}
