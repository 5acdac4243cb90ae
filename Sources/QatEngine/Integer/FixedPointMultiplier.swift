import Foundation

/// A real factor M > 0 as an integer multiplier and a right shift, M ≈ M0·2^−n (Jacob et al. 2018):
/// integer-only inference rescales an int32 accumulator by M with one 64-bit multiply, a rounding
/// add and a shift, `(acc·M0 + 2^(n−1)) >> n`. M0 is normalized into [2^30, 2^31), so it keeps 31
/// significant bits — far more than the 8-bit result needs — and the product of an int32 and M0 fits
/// in 62 bits.
public struct FixedPointMultiplier: Equatable, Sendable, CustomStringConvertible {
  /// M0, in [0, 2^31).
  public let multiplier: Int32
  /// n, in [1, 62].
  public let shift: Int32

  public init(multiplier: Int32, shift: Int32) {
    self.multiplier = multiplier
    self.shift = shift
  }

  /// The closest M0·2^−n to `real`. Zero, negative and non-finite factors give M0 = 0; factors too
  /// small for n = 62 lose precision (M0 < 2^30), factors of 2^30 or more saturate.
  public init(_ real: Double) {
    let (multipliers, shift) = Self.shared([real])
    self.init(multiplier: max(0, multipliers.first ?? 0), shift: shift)
  }

  /// Signed multipliers that share one shift (an add of two inputs, a per-channel affine map): the
  /// shift is chosen for the largest magnitude, which gets the full 31 bits.
  public static func shared(_ reals: [Double]) -> (multipliers: [Int32], shift: Int32) {
    let largest = reals.lazy.filter(\.isFinite).map(abs).max() ?? 0
    guard largest > 0 else { return (reals.map { _ in 0 }, 1) }
    // largest·2^n in [2^30, 2^31) for n = 30 − ⌊log2(largest)⌋.
    var shift = min(62, max(1, 30 - Int(Foundation.floor(Foundation.log2(largest)))))
    func scaled(_ r: Double, _ n: Int) -> Double {
      (r * Foundation.pow(2, Double(n))).rounded(.toNearestOrAwayFromZero)
    }
    // Rounding can carry largest·2^n up to exactly 2^31: one bit less then.
    if shift > 1 && scaled(largest, shift) >= 2_147_483_648 { shift -= 1 }
    let limit = 2_147_483_647.0
    let multipliers = reals.map { r -> Int32 in
      guard r.isFinite else { return 0 }
      return Int32(min(limit, max(-limit, scaled(r, shift))))
    }
    return (multipliers, Int32(shift))
  }

  /// M0·2^−n as a real number.
  public var value: Double { Double(multiplier) * Foundation.pow(2, -Double(shift)) }

  /// (x·M0 + 2^(n−1)) >> n: x·M rounded to the nearest integer, ties towards +∞ (the kernels' formula).
  public func apply(_ x: Int64) -> Int64 { Self.rescale(x, by: Int64(multiplier), shift: shift) }

  /// (x·m + 2^(n−1)) >> n for any signed m, exactly (the product must fit in 64 bits).
  @inline(__always)
  public static func rescale(_ x: Int64, by m: Int64, shift: Int32) -> Int64 {
    (x &* m &+ (Int64(1) << (shift - 1))) >> Int64(shift)
  }

  public var description: String { "\(multiplier)·2^−\(shift)" }
}
