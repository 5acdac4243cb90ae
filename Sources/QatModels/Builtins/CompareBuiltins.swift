import QatEngine
import QatImages
import QatImagesLanguage
import QatsLanguage

/// `compare(m1, m2, …, on: data)`: the side-by-side table of SPEC §2 and §10.
enum CompareBuiltins {
  static func all() -> [Builtin] { [compare] }

  static let columns: [TableValue.Column] = [
    .init("model"), .init("method"), .init("bits"),
    .init("accuracy", format: .percent),
    .init("delta", header: "Δ vs first", format: .points),
    .init("images", header: "Δ images", format: .signedCount),
    .init("latency_us", header: "latency b=1", format: .microseconds),
    .init("throughput", header: "throughput b=256", format: .imageRate),
    .init("size_bytes", header: "size", format: .bytes),
  ]

  static var compare: Builtin {
    Builtin(
      "compare", topic: "quantization",
      summary:
        """
        Models side by side on the same test images: method, bits, accuracy, the difference from the first model \
        (in points and in test images), latency at batch 1 (one thread, median after warm-up), throughput at batch \
        256 (the session's threads, median), and the size of the file `save` writes. Returns a table (`json`, \
        `write(t, \"x.csv\")`, `plot`).
        """,
      parameters: [
        .required("model", .object(["model"]), "the first model: the reference for Δ"),
        .optional("on", DataBinding.dataTypes, "a dataset (its test split is used) or a split"),
        .optional(
          "timing", .bool, default: .bool(true),
          "measure latency and throughput (false: accuracy and size only, faster)"),
      ],
      variadic: ("models", .object(["model"])),
      returns: "table"
    ) { call in
      guard call.isGiven("on"), let split = DataBinding.split(call.value("on"), for: .measure) else {
        throw call.error("say which images to measure on with `on:`", hint: "compare(net, q8, q4, on: data)")
      }
      try DataBinding.requireImages(split, call: call, argument: "on")
      var entries: [(name: String, model: ModelValue, location: SourceLocation)] = []
      if case .object(let o) = call.value("model"), let m = o as? ModelValue {
        entries.append((call.variableName(of: "model") ?? "model 1", m, call.location(of: "model")))
      }
      for (i, value) in call.rest.enumerated() {
        guard case .object(let o) = value, let m = o as? ModelValue else { continue }
        let name = call.restNames.indices.contains(i) ? call.restNames[i] : nil
        entries.append((name ?? "model \(i + 2)", m, call.restLocations[i]))
      }
      var rows: [Record] = []
      var first: ModelMeasurement?
      for (index, entry) in entries.enumerated() {
        call.interpreter.output.progress("compare: measuring \(entry.name) (\(index + 1)/\(entries.count))")
        defer { call.interpreter.output.progress(nil) }
        let program = try programFor(entry.model, split: split, call: call, at: entry.location)
        let m = try ModelMeasurement.measure(
          entry.model, program: program, on: split, timing: call.bool("timing"), call: call)
        if first == nil { first = m }
        rows.append(row(name: entry.name, m, reference: index == 0 ? nil : first))
      }
      let threads = call.interpreter.computeThreads()
      let notes =
        call.bool("timing")
        ? [
          """
          \(split.count) test images · latency: batch 1, 1 thread, median after warm-up · throughput: batch 256, \
          \(threads) \(threads == 1 ? "thread" : "threads"), median · fp32 runs its inference path (batch norm \
          folded, Winograd 3×3 convolutions, fused bias and ReLU, no training buffers) · size: the model file (save)
          """
        ]
        : ["\(split.count) test images · size: the model file (save)"]
      var shown = call.bool("timing") ? columns : columns.filter { $0.key != "latency_us" && $0.key != "throughput" }
      // "Δ vs net": the header names the reference model, as the SPEC's table does.
      if let reference = entries.first?.name, let i = shown.firstIndex(where: { $0.key == "delta" }) {
        shown[i].header = "Δ vs " + reference
      }
      return .object(TableValue(columns: shown, rows: rows, notes: notes))
    }
  }

  /// One row with the keys of SPEC §10 (plus `images`, the difference as a count of test images).
  static func row(name: String, _ m: ModelMeasurement, reference: ModelMeasurement?) -> Record {
    Record([
      ("model", .string(name)), ("method", .string(m.method)), ("bits", m.bits),
      ("accuracy", .float(m.accuracy)),
      ("delta", reference.map { .float(m.accuracy - $0.accuracy) } ?? .none),
      ("images", reference.map { .int(m.correct - $0.correct) } ?? .none),
      ("latency_us", m.latencyMicroseconds.map(Value.float) ?? .none),
      ("throughput", m.throughput.map(Value.float) ?? .none),
      ("size_bytes", m.sizeBytes.map(Value.int) ?? .none),
    ])
  }

  /// The program a model runs on `split`, with errors located at the model's argument.
  static func programFor(_ model: ModelValue, split: ImageSplit, call: BuiltinCall, at location: SourceLocation) throws
    -> InferenceProgram
  {
    do {
      return try DataBinding.program(model, for: split, call: call, argument: "on")
    } catch let e as QatsError {
      throw QatsError(e.kind, e.message, at: location, hint: e.hint)
    }
  }
}
