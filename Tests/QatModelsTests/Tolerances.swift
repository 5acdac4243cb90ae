/// How far a computed number may be from its exact value in these tests, and why.
enum Tolerance {
  /// A difference of two fractions of the same count, times 100: float64 rounding of the
  /// subtraction and the scaling only.
  static let percentagePoints: Double = 1e-9
}
