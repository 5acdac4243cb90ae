import QatEngine
import QatsLanguage

/// `quantize`'s data-free options (Nagel et al. 2019): cross-layer equalization and bias correction,
/// read into the `QuantizationConfig` beside the options every quantizing built-in shares.
extension ModelArguments {
  static var dataFreeParameters: [Parameter] {
    [
      .optional(
        "equalize", .bool, default: .bool(false),
        """
        cross-layer equalization: fold batch norm, then rescale each conv/dense pair that meets through ReLU \
        (depthwise → pointwise too) until their per-channel weight ranges match; the fp32 function is unchanged
        """),
      .optional(
        "bias_correction", .bool, default: .bool(false),
        """
        PTQ: subtract from each conv/dense bias the mean output error the quantized model shows on the \
        calibration images, layer after layer
        """),
    ]
  }

  /// Sets `equalize` and `bias_correction` when the built-in declares them. Bias correction is
  /// refused with QAT: fine-tuning already learns the biases, and correcting would take batch norm
  /// out of the training that QAT's fold keeps it in.
  static func readDataFree(_ call: BuiltinCall, into config: inout QuantizationConfig) throws {
    if case .bool(let equalize) = call.value("equalize") { config.equalize = equalize }
    guard case .bool(let correct) = call.value("bias_correction") else { return }
    if correct && config.method == .qat {
      throw call.error(
        "`bias_correction` is a PTQ technique: QAT's fine-tuning learns the biases itself",
        argument: "bias_correction", hint: "quantize with method: ptq, or drop bias_correction")
    }
    config.biasCorrection = correct
  }
}
