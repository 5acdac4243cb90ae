import QatEngine
import QatsLanguage

/// `qparams` and `fake_quant`: the quantization arithmetic itself, for teaching and for checking
/// numbers against PyTorch. Both run the engine's own code (QuantParams, qk_fake_quant), so what
/// they print is exactly what quantized models compute.
enum QuantMathBuiltins {
  static func all() -> [Builtin] { [qparams, fakeQuant] }

  static var qparams: Builtin {
    Builtin(
      "qparams", topic: "quantization",
      summary:
        """
        The scale and zero point for the observed range [min, max], as PyTorch's observers compute them with an \
        explicit [qmin, qmax], in float32: the range is widened to include 0; affine: scale = (max − min)/(qmax − \
        qmin), zero_point = qmin − round(min/scale) (half to even, clamped); symmetric: scale = max(−min, \
        max)/((qmax − qmin)/2), zero_point 0 when signed and ⌊(qmin + qmax)/2⌋ when unsigned. The scale is at least \
        float32's epsilon.
        """,
      parameters: [
        .required("min", .number, "the smallest observed value"),
        .required("max", .number, "the largest observed value"),
        .optional("bits", .int, default: .int(8), ModelArguments.bitsHelp),
        .optional(
          "symmetric", .bool, default: .bool(false), "a grid symmetric around 0 instead of one fitted to [min, max]"),
        .optional(
          "signed", .bool, default: .bool(false), "integers in [−2^(bits−1), 2^(bits−1) − 1] instead of [0, 2^bits − 1]"
        ),
      ],
      returns: "record {scale, zero_point, qmin, qmax}"
    ) { call in
      let range = try ModelArguments.quantRange(call)
      let low = try ModelArguments.float32(call, "min"), high = try ModelArguments.float32(call, "max")
      guard low <= high else {
        throw call.error(
          "`min` (\(call.value("min").repr)) is above `max` (\(call.value("max").repr))", argument: "min")
      }
      let params = QuantParams.fromRange(min: low, max: high, range: range, symmetric: call.bool("symmetric"))
      return .record(
        Record([
          ("scale", .float(Double(params.scale))), ("zero_point", .int(Int(params.zeroPoint))),
          ("qmin", .int(Int(range.qmin))), ("qmax", .int(Int(range.qmax))),
        ]))
    }
  }

  static var fakeQuant: Builtin {
    Builtin(
      "fake_quant", topic: "quantization",
      summary:
        """
        Quantizes and dequantizes values as PyTorch's fake_quantize_per_tensor_affine does, bit for bit in float32: \
        q = clamp(round(x·(1/scale)) + zero_point, qmin, qmax), rounding half to even, and the result is (q − \
        zero_point)·scale. Values beyond the grid are clipped to its ends.
        """,
      parameters: [
        .required("values", .oneOf([.number, .listOf(.number)]), "the values to quantize (a list gives a list back)"),
        .required("scale", .number, "the grid step, positive"),
        .required("zero_point", .int, "the integer that stands for 0, within [qmin, qmax]"),
        .optional("bits", .int, default: .int(8), ModelArguments.bitsHelp),
        .optional(
          "signed", .bool, default: .bool(false), "integers in [−2^(bits−1), 2^(bits−1) − 1] instead of [0, 2^bits − 1]"
        ),
      ],
      returns: "float, or a list of floats"
    ) { call in
      let range = try ModelArguments.quantRange(call)
      let scale = call.double("scale")
      guard scale > 0 else {
        throw call.error("`scale` must be positive, got \(call.value("scale").repr)", argument: "scale")
      }
      // Below float32's smallest normal number 1/scale overflows to infinity and 0 would quantize to NaN.
      guard Float(scale) >= Float.leastNormalMagnitude, Float(scale).isFinite else {
        throw call.error(
          """
          `scale` \(call.value("scale").repr) is outside float32's normal range [\(Float.leastNormalMagnitude), \
          \(Float.greatestFiniteMagnitude)]
          """,
          argument: "scale")
      }
      let zeroPoint = call.int("zero_point")
      guard (Int(range.qmin)...Int(range.qmax)).contains(zeroPoint) else {
        let kind = "\(range.bits)-bit \(range.signed ? "signed" : "unsigned") integers"
        throw call.error(
          "`zero_point` \(zeroPoint) is outside [\(range.qmin), \(range.qmax)], the range of \(kind)",
          argument: "zero_point",
          hint: zeroPoint < 0 && !range.signed ? "a signed grid (`signed: true`) takes negative zero points" : nil)
      }
      let params = QuantParams(scale: Float(scale), zeroPoint: Int32(zeroPoint), range: range)
      let given = call.value("values")
      let items: [Value]
      if case .list(let list) = given { items = list } else { items = [given] }
      let inputs = try ModelArguments.float32Values(items, positions: isList(given), call: call)
      var outputs = [Float](repeating: 0, count: inputs.count)
      inputs.withUnsafeBufferPointer { x in
        outputs.withUnsafeMutableBufferPointer { y in
          guard let xBase = x.baseAddress, let yBase = y.baseAddress else { return }
          params.fakeQuantize(xBase, count: x.count, into: yBase)
        }
      }
      let values = outputs.map { Value.float32($0) }
      if isList(given) { return .list(values) }
      return values.first ?? .none
    }
  }

  static func isList(_ value: Value) -> Bool {
    if case .list = value { return true }
    return false
  }

}
