/// How far a result may be from its reference in the session tests, and why: qats source text,
/// written into the cells that compare (`abs(a - b) < \(Tolerance.float64Formula)`).
enum Tolerance {
  /// A float64 result against the same formula in float64 (a learning-rate schedule, a table's
  /// delta recomputed from its columns): a few ulps.
  static let float64Formula = "1e-12"
  /// A fixed-point multiplier M0·2^−shift against the real number it stands for: rounding M0
  /// leaves at most 2^−(shift+1), 3.6e-12 at shift 37.
  static let fixedPointMultiplier = "1e-11"
  /// Test accuracy of 8-bit PTQ against fp32 on the 360 digits: at most a couple of images.
  static let eightBitPTQAccuracy = "2 / 360"
  /// Test accuracy of a converted (integer) model against its prepared simulation on the 360
  /// digits at 4 bits: 1-LSB rounding differences may move a few predictions.
  static let convertedAccuracy = "4 / 360"
}
