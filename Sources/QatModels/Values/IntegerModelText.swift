import QatEngine
import QatOutput
import QatSupport
import QatsLanguage

/// How an integer model shows itself: method, bits, accuracy and file size in one line, and the
/// table of its quantization points (the grids its integer activations live on).
enum IntegerModelText {
  static let memberNames = QuantizedModelText.memberNames + ["steps", "equalized", "bias_corrected", "rounding"]

  static func bits(_ info: IntegerProgramInfo) -> String {
    if !info.layerBits.isEmpty { return QuantizedModelText.mixed(info.layerBits) }
    return info.weightBits == info.activationBits
      ? "\(info.weightBits)-bit" : "w\(info.weightBits)/a\(info.activationBits)"
  }

  /// "ptq · 8-bit · accuracy 98.61 % · integer-only, 6 steps · 7.1 KB file · 10 layers · input 1x8x8".
  static func summary(_ model: ModelValue, _ program: IntegerNetwork) -> String {
    var parts = [program.info.method.rawValue, bits(program.info)]
    if program.info.equalized { parts.append("equalized") }
    if program.info.biasCorrected { parts.append("bias-corrected") }
    if program.info.adaRounded { parts.append("adarounded") }
    if let accuracy = model.knownAccuracy { parts.append("accuracy \(Units.percent(accuracy))") }
    parts.append("integer-only, \(program.stepCount) \(program.stepCount == 1 ? "step" : "steps")")
    if let size = model.fileSize { parts.append("\(Units.bytes(size)) file") }
    let layers = ModelValue.layerCount(model.specs)
    let s = program.inputShape
    parts.append("\(layers) \(layers == 1 ? "layer" : "layers") · input \(s.channels)x\(s.height)x\(s.width)")
    return parts.joined(separator: " · ")
  }

  static func member(_ name: String, of model: ModelValue, _ program: IntegerNetwork) -> Value? {
    let info = program.info
    switch name {
    case "method": return .string(info.method.rawValue)
    case "bits":
      if !info.layerBits.isEmpty { return .list(info.layerBits.map(Value.int)) }
      return .int(min(info.weightBits, info.activationBits))
    case "weight_bits": return .int(info.weightBits)
    case "act_bits": return .int(info.activationBits)
    case "accuracy": return model.knownAccuracy.map(Value.float) ?? Value.none
    case "quantized": return .bool(true)
    case "prepared": return .bool(false)
    case "steps": return .list(program.stepNames.map(Value.string))
    case "equalized": return .bool(info.equalized)
    case "bias_corrected": return .bool(info.biasCorrected)
    case "rounding": return .string((info.adaRounded ? WeightRounding.adaround : .nearest).rawValue)
    case "quantizers":
      return .list(
        program.quantizationPoints.map { point in
          let p = point.params
          return .record(
            Record([
              ("name", .string(point.name)), ("bits", .int(p.range.bits)), ("scale", .float(Double(p.scale))),
              ("zero_point", .int(Int(p.zeroPoint))), ("min", .float(Double(p.representable.lowerBound))),
              ("max", .float(Double(p.representable.upperBound))),
            ]))
        })
    default: return nil
    }
  }

  /// One row per quantization point.
  static func table(_ model: ModelValue, _ program: IntegerNetwork) -> TextTable {
    let rows = program.quantizationPoints.enumerated().map { i, point -> [String] in
      let p = point.params
      return [
        "\(i)", point.name, "\(p.range.bits)", Units.significant4(Double(p.scale)), "\(p.zeroPoint)",
        """
        [\(Units.significant4(Double(p.representable.lowerBound))), \
        \(Units.significant4(Double(p.representable.upperBound)))]
        """,
      ]
    }
    return TextTable(
      title: "model: " + summary(model, program),
      headers: ["#", "activations after", "bits", "scale", "zero point", "range"], rows: rows,
      rightAligned: [true, false, true, true, true, false])
  }
}
