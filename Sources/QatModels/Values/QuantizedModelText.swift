import QatEngine
import QatOutput
import QatSupport
import QatsLanguage

/// How a fake-quantized model shows itself: its method, bits and accuracy in one line, and the table
/// of its quantization points (where activations are quantized, with what scale and zero point).
enum QuantizedModelText {
  static let memberNames = [
    "method", "bits", "weight_bits", "act_bits", "accuracy", "quantized", "prepared", "quantizers",
  ]

  /// "w4/a4", "8-bit" or, with a width per layer, "mixed 8/4/4/2-bit".
  static func bits(_ config: QuantizationConfig) -> String {
    if config.isMixed { return mixed(config.layerWidths) }
    return config.weightBits == config.activationBits
      ? "\(config.weightBits)-bit" : "w\(config.weightBits)/a\(config.activationBits)"
  }

  /// "mixed 8/4/4/2-bit": each conv/dense layer's width, first to last.
  static func mixed(_ widths: [Int]) -> String { "mixed " + widths.map(String.init).joined(separator: "/") + "-bit" }

  /// "ptq · 8-bit · accuracy 98.61 % · simulated (fake quantization) · 10 layers · input 1x8x8".
  static func summary(_ model: ModelValue, _ network: Network, _ state: QuantizationState) -> String {
    var parts = [state.config.method.rawValue, bits(state.config)]
    if let accuracy = model.knownAccuracy { parts.append("accuracy \(Units.percent(accuracy))") }
    parts.append(state.converted ? "simulated (fake quantization)" : "prepared: trainable with fake quantization")
    let layers = ModelValue.layerCount(model.specs)
    let s = network.inputShape
    parts.append("\(layers) \(layers == 1 ? "layer" : "layers") · input \(s.channels)x\(s.height)x\(s.width)")
    return parts.joined(separator: " · ")
  }

  static func member(_ name: String, of model: ModelValue, state: QuantizationState) -> Value? {
    let config = state.config
    switch name {
    case "method": return .string(config.method.rawValue)
    case "bits":
      if config.isMixed { return .list(config.layerWidths.map(Value.int)) }
      return .int(min(config.weightBits, config.activationBits))
    case "weight_bits": return .int(config.weightBits)
    case "act_bits": return .int(config.activationBits)
    case "accuracy": return model.knownAccuracy.map(Value.float) ?? Value.none
    case "quantized": return .bool(state.converted)
    case "prepared": return .bool(!state.converted)
    case "quantizers":
      return .list(
        state.activations.map { q in
          .record(
            Record([
              ("name", .string(q.name)), ("bits", .int(q.range.bits)), ("scale", .float(Double(q.params.scale))),
              ("zero_point", .int(Int(q.params.zeroPoint))),
              ("min", .float(Double(q.params.representable.lowerBound))),
              ("max", .float(Double(q.params.representable.upperBound))),
            ]))
        })
    default: return nil
    }
  }

  /// One row per activation quantization point.
  static func table(_ model: ModelValue, _ network: Network, _ state: QuantizationState) -> TextTable {
    let rows = state.activations.enumerated().map { i, q -> [String] in
      let p = q.params
      return [
        "\(i)", q.name, "\(q.range.bits)", Units.significant4(Double(p.scale)), "\(p.zeroPoint)",
        """
        [\(Units.significant4(Double(p.representable.lowerBound))), \
        \(Units.significant4(Double(p.representable.upperBound)))]
        """,
      ]
    }
    return TextTable(
      title: "model: " + summary(model, network, state),
      headers: ["#", "activations after", "bits", "scale", "zero point", "range"], rows: rows,
      rightAligned: [true, false, true, true, true, false])
  }
}

extension Units {
  /// Four significant digits ("0.02353", "12.35", "0").
  static func significant4(_ x: Double) -> String {
    guard x.isFinite else { return fixed(x, digits: 0) }
    if x == 0 { return "0" }
    var text = String(format: "%.4g", x)
    if text.contains("e") { text = String(format: "%.3e", x) }
    return text
  }
}
