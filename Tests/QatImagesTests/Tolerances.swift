/// How far a result may be from its reference in the image tests, and why. Each constant has the
/// type of the values it is compared with, so every assertion compares with the number it always did.
enum Tolerance {
  /// A float64 mean or standard deviation of a few pixels against the formula: a few ulps.
  static let float64Statistics: Double = 1e-12
  /// A pixel normalized in float32 ((x − mean) / std, of order 1) against the same in float64.
  static let normalizedPixel: Float = 1e-5
  /// A resized pixel (0–255, area-averaged in float32) against its exact value.
  static let resizedPixel: Float = 1e-3
  /// The mean of an area-shrunk image against the original's: float32 sums of values up to 255.
  static let shrunkImageMean: Float = 1e-2
}
