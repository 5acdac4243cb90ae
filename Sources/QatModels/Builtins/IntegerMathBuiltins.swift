import QatEngine
import QatImages
import QatImagesLanguage
import QatsLanguage

/// The integer arithmetic of a quantized model, exposed for teaching: the fixed-point
/// multiplier, one requantization, and a trace of every step on one image. All three run the
/// engine's own code, so a computation done by hand in a script can be checked against it.
enum IntegerMathBuiltins {
  static func all() -> [Builtin] { [multiplier, requantize, trace] }

  static var multiplier: Builtin {
    Builtin(
      "multiplier", topic: "quantization",
      summary:
        """
        The fixed-point form M0·2^−shift of a real rescaling factor M (s_x·s_w/s_y), as the integer engine stores \
        it: M0 an int32 in [2^30, 2^31), so that x·M is computed as (x·M0 + 2^(shift−1)) >> shift.
        """,
      parameters: [.required("m", .positiveNumber, "the real factor, e.g. 0.0125")],
      returns: "record {m0, shift, value, error}"
    ) { call in
      let real = call.double("m")
      guard real.isFinite, real < 1_073_741_824 else {
        throw call.error("`m` must be below 2^30, got \(call.value("m").repr)", argument: "m")
      }
      let m = FixedPointMultiplier(real)
      // Below 2^−32 even the largest shift (62) leaves M0 under 2^30: the factor loses precision,
      // and far enough below, it becomes 0.
      guard m.multiplier >= 1 << 30 else {
        throw call.error(
          """
          `m` \(call.value("m").repr) is too small for the fixed-point form: the smallest factor is 2^−32 (about \
          2.3e-10), where M0 = 2^30 and shift = 62
          """,
          argument: "m", hint: "a rescaling factor s_x·s_w/s_y this small means the scales do not fit together")
      }
      return .record(
        Record([
          ("m0", .int(Int(m.multiplier))), ("shift", .int(Int(m.shift))), ("value", .float(m.value)),
          ("error", .float(m.value - real)),
        ]))
    }
  }

  static var requantize: Builtin {
    Builtin(
      "requantize", topic: "quantization",
      summary:
        """
        One int32 accumulator onto the output grid, as the integer kernels do it: y = clamp(zero_point + ((acc·m0 + \
        2^(shift−1)) >> shift), low, high) — rounding to nearest, ties towards +∞.
        """,
      parameters: [
        .required("acc", .int, "the int32 accumulator (bias plus Σ (q_x − z_x)·q_w)"),
        .required("m0", .int, "the multiplier's integer part (see `multiplier`)"),
        .required("shift", .positiveInt, "the multiplier's shift, 1–62"),
        .optional("zero_point", .int, default: .int(0), "the output's zero point"),
        .optional("low", .int, default: .int(0), "the smallest output integer (the ReLU's zero point, or qmin)"),
        .optional("high", .int, default: .int(255), "the largest output integer (qmax)"),
      ],
      returns: "int"
    ) { call in
      let acc = call.int("acc"), m0 = call.int("m0"), shift = call.int("shift")
      guard Int(Int32.min)...Int(Int32.max) ~= acc else {
        throw call.error("`acc` must fit in 32 bits, got \(acc)", argument: "acc")
      }
      guard Int(Int32.min)...Int(Int32.max) ~= m0 else {
        throw call.error("`m0` must fit in 32 bits, got \(m0)", argument: "m0")
      }
      guard shift <= 62 else { throw call.error("`shift` must be 1–62, got \(shift)", argument: "shift") }
      guard Int(Int32.min)...Int(Int32.max) ~= call.int("zero_point") else {
        throw call.error(
          "`zero_point` must fit in 32 bits, got \(call.int("zero_point"))", argument: "zero_point",
          hint: "the output's zero point lies in its integer range, e.g. 0–255")
      }
      guard call.int("low") <= call.int("high") else {
        throw call.error("`low` (\(call.int("low"))) is above `high` (\(call.int("high")))", argument: "low")
      }
      let scaled = FixedPointMultiplier.rescale(Int64(acc), by: Int64(m0), shift: Int32(shift))
      let y = Int64(call.int("zero_point")) + scaled
      return .int(Int(min(Int64(call.int("high")), max(Int64(call.int("low")), y))))
    }
  }

  static var trace: Builtin {
    Builtin(
      "trace", topic: "quantization",
      summary:
        """
        Runs an integer model on one image and returns every step with the integers it read and wrote: kind, input \
        and output integers with their scale and zero point, and for conv/dense/depthwise steps the int32 bias, the \
        weight scales and the fixed-point multipliers (dense steps also list their int8 weights per output \
        channel), so that any output can be recomputed by hand.
        """,
      parameters: [
        .required("model", .object(["model"]), "an integer model (from quantize, convert or load)"),
        .required("image", .object(["image"]), "an image from a split, e.g. data.test[0]"),
      ],
      returns: "list of records, one per step"
    ) { call in
      guard let model = ModelArguments.model(call), case .object(let o) = call.value("image"),
        let sample = o as? ImageSample
      else { return .none }
      try model.require(.integer, call: call)
      guard let program = model.integer else { return .none }
      _ = try DataBinding.program(model, for: sample.split, call: call, argument: "image")
      let image = LabeledImages(
        nchw: Array(sample.split.values(sample.index)), labels: [sample.label], shape: program.inputShape)
      return .list(program.trace(image).map(record))
    }
  }

  static func record(_ step: IntegerStepTrace) -> Value {
    func ints(_ values: [Int]) -> Value { .list(values.map(Value.int)) }
    var pairs: [(String, Value)] = [
      ("name", .string(step.name)), ("kind", .string(step.kind)),
      ("input", ints(step.input)), ("input_scale", .float(Double(step.inputParams.scale))),
      ("input_zero_point", .int(Int(step.inputParams.zeroPoint))),
      ("output", ints(step.output)), ("output_scale", .float(Double(step.outputParams.scale))),
      ("output_zero_point", .int(Int(step.outputParams.zeroPoint))),
    ]
    if let weights = step.weights { pairs.append(("weights", .list(weights.map(ints)))) }
    if let scales = step.weightScales { pairs.append(("weight_scales", .list(scales.map { .float(Double($0)) }))) }
    if let bias = step.bias { pairs.append(("bias", ints(bias))) }
    if let m = step.multipliers { pairs.append(("m0", ints(m))) }
    if let s = step.shifts { pairs.append(("shift", ints(s))) }
    if let low = step.low { pairs.append(("low", .int(low))) }
    if let high = step.high { pairs.append(("high", .int(high))) }
    return .record(Record(pairs))
  }
}
