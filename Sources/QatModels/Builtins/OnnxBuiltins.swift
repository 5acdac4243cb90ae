import Foundation
import QatEngine
import QatOnnx
import QatOutput
import QatSupport
import QatsLanguage

/// `export`: models out as ONNX files that ONNX Runtime runs (docs/onnx.md). `load` reads them back
/// (ModelFileBuiltins).
enum OnnxBuiltins {
  static func all() -> [Builtin] { [export] }

  static var export: Builtin {
    Builtin(
      "export", topic: "models",
      summary:
        """
        Writes the model as an ONNX file that ONNX Runtime and other runtimes run. An fp32 model becomes an \
        inference graph (batch norm folded into the convolutions); a quantized model (PTQ, QAT, any bits) a QDQ \
        graph of its integer program: uint8 activations with zero points, int8 weights per channel, int32 biases, \
        which ONNX Runtime runs with its integer kernels. The graph takes `input`, float32 [N, C, H, W] pixels in \
        0..1 (value / 255), normalizes inside, and gives `logits` and `probabilities`; class names, mean/std and \
        bits are in its metadata. `opset: 21` stores weights of 4 bits or fewer as INT4.
        """,
      parameters: [
        .required("model", .object(["model"]), "the model"),
        .required("path", .string, "the file to write (.onnx)"),
        .optional("opset", .positiveInt, default: .int(13), "the ONNX opset, 13 (default) to 21"),
      ]
    ) { call in
      guard let model = ModelArguments.model(call) else { return .none }
      let path = call.string("path")
      let opset = call.int("opset")
      guard OnnxExport.opsets.contains(opset) else {
        throw call.error(
          "qat-repl writes ONNX opsets 13 to 21, not \(opset)", argument: "opset",
          hint: "leave it out for 13, which every ONNX Runtime since 1.8 runs; 21 stores ≤ 4-bit weights as INT4")
      }
      guard (path as NSString).pathExtension.lowercased() == "onnx" else {
        throw call.error(
          "an ONNX file's name ends in .onnx", argument: "path",
          hint: "export(\(call.variableName(of: "model") ?? "net"), \"\(((path as NSString).deletingPathExtension))"
            + ".onnx\"); save() writes qat-repl's own .qnet files")
      }
      let onnx = try exported(model, opset: opset, call: call)
      do throws(OnnxExportError) {
        let size = try onnx.document.write(to: path)
        call.emit(PlainText("exported \(path) (\(Units.bytes(size)), \(onnx.kind), opset \(opset))"))
      } catch {
        throw call.error(error.message, argument: "path", hint: error.hint)
      }
      return .none
    }
  }

  /// The ONNX model of `model` and what kind of graph it is ("fp32", "QDQ int8", "QDQ 4-bit").
  static func exported(_ model: ModelValue, opset: Int, call: BuiltinCall) throws -> (
    document: OnnxDocument, kind: String
  ) {
    let input = model.input
    let info = OnnxExportInfo(
      classNames: input?.classes ?? [], mean: input?.mean ?? [], std: input?.std ?? [], opset: opset,
      producerVersion: Version.number)
    let program = try integerProgram(of: model, call: call)
    guard program != nil || model.network != nil else {
      throw call.error(
        "the model has no weights yet", argument: "model",
        hint: "give it data or `input:` when you define it, train it, then export it")
    }
    do throws(OnnxExportError) {
      if let program {
        let i = program.info
        let bits = i.weightBits == i.activationBits ? "\(i.weightBits)-bit" : "W\(i.weightBits)A\(i.activationBits)"
        return (try OnnxExport.quantized(program, info: info), "QDQ \(bits) \(i.method.rawValue.uppercased())")
      }
      guard let network = model.network else { throw OnnxExportError("the model has no weights yet") }
      return (try OnnxExport.float(network, info: info), "fp32")
    } catch {
      throw call.error(error.message, argument: "model", hint: error.hint)
    }
  }

  /// The integer program of a quantized model (prepared QAT models as they would be converted now),
  /// nil for an fp32 model.
  static func integerProgram(of model: ModelValue, call: BuiltinCall) throws -> IntegerNetwork? {
    if let integer = model.integer { return integer }
    guard let network = model.network, network.quantization != nil else { return nil }
    do throws(IntegerConversionError) {
      return try network.integerProgram()
    } catch {
      throw call.error(
        "this model has no integer form to export: \(error.message)", argument: "model",
        hint: "a model quantized only in part (as `sensitivity` makes them) runs in simulation only")
    }
  }
}

/// `agree(model, data)`: the proof that a quantized model's simulation and its integer program are
/// the same model, point by point and prediction by prediction.
enum AgreementBuiltins {
  static func all() -> [Builtin] { [agree] }

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
      guard let model = ModelArguments.model(call), let split = DataBinding.split(call.value("data"), for: .measure)
      else { return .none }
      try DataBinding.requireImages(split, call: call, argument: "data")
      guard let simulation = model.network, simulation.quantization != nil else {
        throw call.error(
          model.integer == nil
            ? "agree compares a quantized model's simulation with its integer program; this model is fp32"
            : "this integer model was loaded from a file: it has no simulation to compare with",
          argument: "model",
          hint: "quantize the fp32 model in this session: q = quantize(net, data), then agree(q, data)")
      }
      guard let program = try OnnxBuiltins.integerProgram(of: model, call: call) else { return .none }
      try DataBinding.check(program, fits: split, call: call, argument: "data")
      let file = try call.isGiven("onnx") && !call.value("onnx").isNil ? exportedProgram(call, matching: program) : nil
      let images = DataBinding.images(split, for: model, interpreter: call.interpreter)
      let pool = WorkerPool.shared(threads: call.interpreter.threads)
      let result = program.agreement(with: simulation, on: images, pool: pool)
      let fileResult = file.map {
        (path: $0.path, agreement: program.agreement(withProgram: $0.program, on: images, pool: pool))
      }
      return .object(table(result, file: fileResult))
    }
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
        \(file.path) read back: predictions \(Units.grouped(f.samePredictions)) of \(Units.grouped(f.images)) identical \
        to the integer program's (\(Units.percent(Double(f.samePredictions) / Double(max(1, f.images))))) · accuracy \
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
