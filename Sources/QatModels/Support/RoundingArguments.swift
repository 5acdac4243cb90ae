import QatEngine
import QatOutput
import QatSupport
import QatsLanguage

/// `quantize(…, rounding: "adaround")`: how PTQ puts the weights on their grid (`WeightRounding`).
extension ModelArguments {
  static var roundingParameters: [Parameter] {
    [
      .optional(
        "rounding", .choice(WeightRounding.allCases.map(\.rawValue)), default: .string("nearest"),
        """
        PTQ: \"nearest\" rounds each weight to its nearest level; \"adaround\" (Nagel et al. 2020) learns per \
        weight whether to round up or down, layer by layer, so that each layer's output on the calibration \
        images stays closest to fp32's (\(AdaRound.Settings().iterations) Adam steps per layer)
        """)
    ]
  }

  /// Sets `rounding` when the built-in declares it. AdaRound is refused with QAT: fine-tuning moves
  /// the weights after any rounding chosen before it, and rounds them to nearest in every pass.
  static func readRounding(_ call: BuiltinCall, into config: inout QuantizationConfig) throws {
    guard case .string(let name) = call.value("rounding"), let rounding = WeightRounding(rawValue: name) else { return }
    if rounding == .adaround && config.method == .qat {
      throw call.error(
        "`rounding: \"adaround\"` is a PTQ technique: QAT's fine-tuning moves the weights after any rounding",
        argument: "rounding", hint: "quantize with method: ptq, or drop rounding")
    }
    config.rounding = rounding
  }

  /// AdaRound's progress as a transient line ("adaround · layer 2/3", a bar over the layer's
  /// iterations, the layer's output error); true (stop) once Ctrl-C is pending.
  static func roundingProgress(_ call: BuiltinCall) -> (AdaRoundProgress) -> Bool {
    var lastDraw = 0.0
    return { p in
      let now = MonotonicClock.seconds()
      if now - lastDraw >= 0.1 {
        lastDraw = now
        call.interpreter.output.progress(
          ProgressLine(
            lead: "adaround · layer \(p.layer)/\(p.layers)",
            fraction: Double(p.iteration) / Double(max(1, p.iterations)),
            details: ["iteration \(p.iteration)/\(p.iterations)", "output error \(Units.loss(p.reconstructionError))"]))
      }
      return call.interpreter.interruptCheck()
    }
  }
}
