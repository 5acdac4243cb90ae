/// How far a result may be from its reference in the engine's tests, and why. Each constant has the
/// type of the values it is compared with, so every assertion compares with the number it always did.
enum Tolerance {
  // MARK: - Gradients

  /// Relative error of backpropagation against a central difference (h = 1e-3) of a float32 loss:
  /// the difference's truncation and the loss's float32 rounding.
  static let gradientCheck: Double = 2e-2

  // MARK: - float64 arithmetic

  /// A float64 result against the same closed form worked out by hand in float64: a few ulps of
  /// values of order 1–10.
  static let float64Formula: Double = 1e-12
  /// float64 sums of the squares of a few float32 values (up to ~70), and the SQNR from them,
  /// accumulated in another order.
  static let float64Sum: Double = 1e-9
  /// A sum of squares of decimals stored as float32 (0.3 is 0.30000001…) against the decimal sum.
  static let float32Decimals: Double = 1e-5
  /// A value the docs quote to two decimals (an SQNR of 12.82 dB).
  static let documentedTwoDecimals: Double = 0.01
  /// A position counted in bins whose bounds are float32: their rounding over ~40 bins.
  static let binEdgePosition: Double = 1e-3
  /// A float32 result of order 1, widened to float64, against the exact value: a few float32
  /// roundings (ε ≈ 1.2e-7).
  static let float32InFloat64: Double = 1e-6
  /// The engine's softmax cross-entropy of float32 logits against the float64 formula.
  static let crossEntropy: Double = 1e-5

  // MARK: - float32 arithmetic

  /// A few float32 operations on values of order 1 against the exact value (ε ≈ 1.2e-7).
  static let float32Rounding: Float = 1e-6
  /// float32 results of order 1–10 (a sum of products, a running variance): a few ulps of 10
  /// (≈ 1e-6 each).
  static let float32OfOrderTen: Float = 1e-5
  /// float32 values near 10⁴ lie 2⁻¹⁰ ≈ 9.8e-4 apart, and the expected value is written to four
  /// decimals.
  static let float32NearTenThousand: Float = 1e-3
  /// A fake-quantized logit divided back by its scale (levels 0…15): float32 rounding of the
  /// division and the zero point.
  static let logitGridLevel: Float = 1e-3
  /// A fake-quantized weight divided back by its channel's scale (levels −4…3).
  static let weightGridLevel: Float = 1e-4

  // MARK: - Networks

  /// Relative logit difference after batch norm is folded into the weights (fake quantization
  /// off): the same function, float32 arithmetic in another order.
  static let foldedBatchNorm: Float = 1e-5
  /// Relative logit difference after QAT's batch norms are folded into the trained weights: the
  /// same fake-quantized weights, float32 arithmetic in another order before each rounding.
  static let foldedQATBatchNorm: Float = 1e-3
  /// Predictions changed by folding QAT's batch norms: a near-tie may tip.
  static let foldedPredictionChanges = 1
  /// Relative logit difference with 8-bit fake quantization on: a few grid steps over a few layers.
  static let eightBitFakeQuantization: Float = 0.1
  /// The share kept by 1,000 Bernoulli(0.75) dropout draws: σ ≈ 0.014, so this is over 3.5 σ.
  static let dropoutKeptShare: Double = 0.05

  // MARK: - Integer programs and references

  /// A step of the integer program against the simulation, in grid steps: fixed-point
  /// requantization rounds once where the simulation rounds a float32 value.
  static let integerStepLSB = 1
  /// Share of test predictions where the integer program and the simulation agree at 8 bits, at 4
  /// bits, and below (1-LSB differences move the arg-max more often as the logits get fewer
  /// levels; at 2 bits they take 4 values and ties are common).
  static let predictionAgreement8Bits: Double = 0.995
  static let predictionAgreement4Bits: Double = 0.97
  static let predictionAgreementFewerBits: Double = 0.85
  /// Difference in correct test predictions between the integer program and the simulation, in
  /// percent of the test images (at 2 bits, where ties are common: `…2Bits`).
  static let accuracyDifferencePercent = 1
  static let accuracyDifferencePercent2Bits = 4
  /// Test images (of 360) whose PTQ prediction must match PyTorch's: a float-order difference in a
  /// convolution may flip a value at a rounding edge, so a couple may differ.
  static let pyTorchMatchingPredictions = 358

  // MARK: - Data-free quantization

  /// Logits of an equalized network against the original's, relative to the largest |logit|: the
  /// rescaling is exact in real numbers, so only float32 rounding of the scaled weights remains.
  static let equalizedFunction: Float = 1e-5
  /// r1 against r2 of an equalized pair, relative: the iteration stops once no scale moves by 1e-6.
  static let equalizedRanges: Double = 1e-5
  /// One hand-computed scaling step: float32 weights against the decimals written down.
  static let handScaling: Float = 1e-5
  /// Mean output error left after bias correction, relative to the channel's mean magnitude (at
  /// least 1): what float32 rounding of the corrected bias and of the sums leaves.
  static let correctedMeanError: Double = 1e-4
}
