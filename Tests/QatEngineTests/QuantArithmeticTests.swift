import CKernels
import Testing

@testable import QatEngine

/// The quantization arithmetic (QuantParams.fromRange, fake quantization, the C range scans)
/// against values computed by hand in float32, as PyTorch computes them.
@Suite struct QuantArithmeticTests {
  static func params(_ min: Float, _ max: Float, bits: Int = 8, signed: Bool = false, symmetric: Bool = false)
    -> QuantParams
  {
    QuantParams.fromRange(min: min, max: max, range: QuantRange(bits: bits, signed: signed), symmetric: symmetric)
  }

  /// Fake-quantizes `xs` through the C kernel, returning the outputs and the mask.
  static func fakeQuant(_ xs: [Float], _ p: QuantParams) -> (y: [Float], mask: [UInt8]) {
    var y = [Float](repeating: .nan, count: xs.count), mask = [UInt8](repeating: 7, count: xs.count)
    qk_fake_quant(xs, Int64(xs.count), p.scale, p.inverseScale, p.zeroPoint, p.range.qmin, p.range.qmax, &y, &mask)
    return (y, mask)
  }

  // MARK: - Ranges

  @Test func integerRangesPerBitWidth() {
    let cases: [(Int, Bool, Int32, Int32)] = [
      (2, false, 0, 3), (2, true, -2, 1), (4, false, 0, 15), (4, true, -8, 7),
      (8, false, 0, 255), (8, true, -128, 127), (16, false, 0, 65535), (16, true, -32768, 32767),
    ]
    for (bits, signed, qmin, qmax) in cases {
      let r = QuantRange(bits: bits, signed: signed)
      #expect(r.qmin == qmin && r.qmax == qmax, "\(r)")
      #expect(r.levels == 1 << bits)
    }
    #expect(QuantRange.isSupported(bits: 2) && QuantRange.isSupported(bits: 8) && QuantRange.isSupported(bits: 16))
    #expect(!QuantRange.isSupported(bits: 1) && !QuantRange.isSupported(bits: 9) && !QuantRange.isSupported(bits: 17))
  }

  // MARK: - Affine parameters

  @Test func affineUnsignedMinusOneToOne() {
    let p = Self.params(-1, 1)
    // scale = (1 − (−1))/255 in float32 = 0.007843138 (a hair above 2/255 = 0.00784313725…).
    #expect(p.scale == Float(2) / Float(255))
    #expect(Double(p.scale) == 0.007843137718737125)
    // zero_point = 0 − round(−1/scale). Exactly it would be round(−127.5) = −128 → 128, but in
    // float32 −1/0.007843138 = −127.49999 (the scale rounded up), which rounds to −127 → 127.
    // PyTorch's MinMaxObserver gives the same 127.
    #expect(Float(-1) / p.scale == -127.49999)
    #expect(p.zeroPoint == 127)
    #expect(p.range.qmin == 0 && p.range.qmax == 255)
  }

  @Test func affineSignedMinusOneToOne() {
    // Same scale; zero_point = −128 − round(−127.49999) = −128 + 127 = −1.
    let p = Self.params(-1, 1, signed: true)
    #expect(p.scale == Float(2) / Float(255))
    #expect(p.zeroPoint == -1)
  }

  @Test func affineZeroPointRoundsHalfToEven() {
    // [−126.5, 128.5] spans 255, so scale = 1 exactly and min/scale = −126.5 exactly:
    // half to even gives −126 → zero_point 126 (half away from zero would give 127).
    let eight = Self.params(-126.5, 128.5)
    #expect(eight.scale == 1)
    #expect(eight.zeroPoint == 126)
    // 4 bits: [−2.5, 12.5] spans 15 → scale 1, round(−2.5) = −2 → zero_point 2 (not 3).
    let four = Self.params(-2.5, 12.5, bits: 4)
    #expect(four.scale == 1 && four.zeroPoint == 2)
    // 2 bits: [−0.5, 2.5] spans 3 → scale 1, round(−0.5) = −0 → zero_point 0 (not 1).
    let two = Self.params(-0.5, 2.5, bits: 2)
    #expect(two.scale == 1 && two.zeroPoint == 0)
    // 16 bits: [−0.5, 65534.5] spans 65535 → scale 1, zero_point 0.
    let sixteen = Self.params(-0.5, 65534.5, bits: 16)
    #expect(sixteen.scale == 1 && sixteen.zeroPoint == 0)
  }

  @Test func zeroIsForcedIntoTheRange() {
    // min > 0: [2, 4] becomes [0, 4]: scale 4/255, zero_point = 0 − round(0) = 0 (= qmin).
    let positive = Self.params(2, 4)
    #expect(positive.scale == Float(4) / Float(255))
    #expect(positive.zeroPoint == 0)
    // max < 0: [−4, −2] becomes [−4, 0]: −4/scale = −254.99998 in float32 → −255 → zero_point 255 (= qmax).
    let negative = Self.params(-4, -2)
    #expect(negative.scale == Float(4) / Float(255))
    #expect(negative.zeroPoint == 255)
    // The same for signed integers: the zero point lands on the range's ends.
    #expect(Self.params(2, 4, signed: true).zeroPoint == -128)
    #expect(Self.params(-4, -2, signed: true).zeroPoint == 127)
    // And 0 is then exactly representable: it quantizes to the zero point and back to 0.
    #expect(negative.fakeQuantize(0) == 0 && positive.fakeQuantize(0) == 0)
  }

  @Test func scaleIsFlooredAtEpsilon() {
    // min == max == 0: (0 − 0)/255 = 0 is raised to float32's epsilon 2^−23; zero_point 0 − round(0/ε) = 0.
    let zero = Self.params(0, 0)
    #expect(zero.scale == Float.ulpOfOne && zero.scale == 1.1920929e-07)
    #expect(zero.zeroPoint == 0)
    // A range narrower than 255·ε is floored too: [−1e−6, 1e−6] would give 7.8e−9.
    let tiny = Self.params(-1e-6, 1e-6)
    #expect(tiny.scale == Float.ulpOfOne)
    // zero_point = 0 − round(−1e−6/2^−23) = −round(−8.388608) = 8.
    #expect(tiny.zeroPoint == 8)
    #expect(Self.params(0, 0, symmetric: true).scale == Float.ulpOfOne)
  }

  @Test func zeroPointStaysInsideTheIntegerRange() {
    // The clamp in zero_point = clamp(qmin − round(min/scale), qmin, qmax) is a guard: with the range
    // widened to include 0, the shift stays within [qmin, qmax], at its ends for one-sided data.
    for bits in [2, 4, 8, 16] {
      for signed in [false, true] {
        let r = QuantRange(bits: bits, signed: signed)
        for (lo, hi) in [(Float(-4), Float(-2)), (2, 4), (-1e30, 1), (-1, 1e30), (-3e38, 3e38), (0, 0)] {
          let p = QuantParams.fromRange(min: lo, max: hi, range: r, symmetric: false)
          #expect(p.zeroPoint >= r.qmin && p.zeroPoint <= r.qmax, "\(r) [\(lo), \(hi)] → \(p.zeroPoint)")
        }
        #expect(QuantParams.fromRange(min: -4, max: -2, range: r, symmetric: false).zeroPoint == r.qmax)
        #expect(QuantParams.fromRange(min: 2, max: 4, range: r, symmetric: false).zeroPoint == r.qmin)
      }
    }
  }

  @Test func affineAtEveryBitWidth() {
    // [−1, 3] spans 4: scale = 4/(qmax − qmin), zero_point = qmin − round(−1/scale).
    // 2 bits: scale 4/3 = 1.3333334; −1/1.3333334 = −0.75 → −1 → zero_point 1.
    let two = Self.params(-1, 3, bits: 2)
    #expect(two.scale == Float(4) / Float(3) && two.zeroPoint == 1)
    // 4 bits: scale 4/15 = 0.26666668; −1/0.26666668 = −3.75 → −4 → zero_point 4.
    let four = Self.params(-1, 3, bits: 4)
    #expect(four.scale == Float(4) / Float(15) && four.zeroPoint == 4)
    // 8 bits: scale 4/255; −1/scale = −63.749996 → −64 → zero_point 64.
    let eight = Self.params(-1, 3, bits: 8)
    #expect(eight.scale == Float(4) / Float(255) && eight.zeroPoint == 64)
    // 16 bits: scale 4/65535; −1/scale = −16383.75 → −16384 → zero_point 16384; signed: −32768 + 16384.
    let sixteen = Self.params(-1, 3, bits: 16)
    #expect(sixteen.scale == Float(4) / Float(65535) && sixteen.zeroPoint == 16384)
    #expect(Self.params(-1, 3, bits: 16, signed: true).zeroPoint == -16384)
    #expect(Self.params(-1, 3, bits: 4, signed: true).zeroPoint == -4)
  }

  // MARK: - Symmetric parameters

  @Test func symmetricSignedAndUnsigned() {
    // Signed 8 bits: scale = max(1, 0.5)/((127 − (−128))/2) = 1/127.5, zero_point 0.
    let signed = Self.params(-1, 0.5, signed: true, symmetric: true)
    #expect(signed.scale == Float(1) / Float(127.5) && signed.zeroPoint == 0)
    // Unsigned 8 bits: the same scale, zero_point ⌊(0 + 255)/2⌋ = 127 (PyTorch's explicit-range
    // path; its implicit quint8 default would say 128).
    let unsigned = Self.params(-1, 0.5, symmetric: true)
    #expect(unsigned.scale == Float(1) / Float(127.5) && unsigned.zeroPoint == 127)
    // Unsigned 4 bits: scale = 3/7.5 = 0.4, zero_point ⌊15/2⌋ = 7.
    let four = Self.params(-2, 3, bits: 4, symmetric: true)
    #expect(four.scale == Float(3) / Float(7.5) && four.zeroPoint == 7)
    // Signed 4 bits: scale 3/7.5, zero point 0.
    #expect(Self.params(-2, 3, bits: 4, signed: true, symmetric: true).zeroPoint == 0)
    // 2 bits: (qmax − qmin)/2 = 1.5; unsigned zero point ⌊3/2⌋ = 1, signed 0.
    let two = Self.params(-3, 1, bits: 2, symmetric: true)
    #expect(two.scale == 2 && two.zeroPoint == 1)
    #expect(Self.params(-3, 1, bits: 2, signed: true, symmetric: true).zeroPoint == 0)
    // 16 bits signed: scale = 1/32767.5.
    let sixteen = Self.params(-1, 1, bits: 16, signed: true, symmetric: true)
    #expect(sixteen.scale == Float(1) / Float(32767.5) && sixteen.zeroPoint == 0)
    #expect(Self.params(-1, 1, bits: 16, symmetric: true).zeroPoint == 32767)
    // All-positive data: the bound is max(−0, 4) = 4.
    #expect(Self.params(2, 4, signed: true, symmetric: true).scale == Float(4) / Float(127.5))
  }

  @Test func nothingObservedGivesScaleOne() {
    // PyTorch returns scale 1, zero point 0 before anything was observed (min = +inf, max = −inf).
    let empty = Self.params(.infinity, -.infinity)
    #expect(empty.scale == 1 && empty.zeroPoint == 0)
    #expect(Self.params(.nan, 1).scale == 1)
  }

  // MARK: - Fake quantization

  @Test func roundingIsHalfToEven() {
    // scale 0.25 has the exact reciprocal 4, so x·4 is exactly 0.5, 1.5, 2.5, −0.5, −1.5, −2.5.
    let p = QuantParams(scale: 0.25, zeroPoint: 0, range: QuantRange(bits: 8, signed: true))
    let xs: [Float] = [0.125, 0.375, 0.625, -0.125, -0.375, -0.625]
    // q = 0, 2, 2, −0, −2, −2 → y = q·0.25.
    #expect(xs.map(p.quantize) == [0, 2, 2, 0, -2, -2])
    let (y, mask) = Self.fakeQuant(xs, p)
    #expect(y == [0, 0.5, 0.5, 0, -0.5, -0.5])
    #expect(mask == [1, 1, 1, 1, 1, 1])
    // nearbyint(−0.5) is −0, but adding the zero point (0 + −0 = +0) makes it +0, as in PyTorch,
    // whose kernel adds the zero point before clamping.
    #expect(y[3].sign == .plus)
    // With an unsigned zero point of 10 the same ties land on 10, 12, 12, 10, 8, 8.
    let shifted = QuantParams(scale: 0.25, zeroPoint: 10, range: QuantRange(bits: 8, signed: false))
    #expect(xs.map(shifted.quantize) == [10, 12, 12, 10, 8, 8])
    #expect(Self.fakeQuant(xs, shifted).y == [0, 0.5, 0.5, 0, -0.5, -0.5])
  }

  @Test func clampingAtBothEndsWithTheMask() {
    // 4-bit unsigned [0, 15], scale 1, zero point 3: representable values are −3 … 12.
    let p = QuantParams(scale: 1, zeroPoint: 3, range: QuantRange(bits: 4, signed: false))
    let xs: [Float] = [-4, -3.5, -3.4, -3, 5.4, 12, 12.5, 13, 13.5, 100]
    // q = round(x) + 3 = −1, −1 (−3.5 → −4), 0 (−3.4 → −3), 0, 8, 15, 15 (12.5 → 12), 16, 17 (13.5 → 14), 103.
    let (y, mask) = Self.fakeQuant(xs, p)
    #expect(y == [-3, -3, -3, -3, 5, 12, 12, 12, 12, 12])
    // The mask is 1 where q was inside [0, 15] before clamping: −3.4 passes (it rounds onto the grid),
    // −3.5 does not (it rounds to −4 first).
    #expect(mask == [0, 0, 1, 1, 1, 1, 1, 0, 0, 0])
    #expect(xs.map(p.quantize) == [0, 0, 0, 0, 8, 15, 15, 15, 15, 15])
    #expect(p.representable == -3...12)
    // Without a mask buffer the outputs are the same.
    var plain = [Float](repeating: 0, count: xs.count)
    qk_fake_quant(xs, Int64(xs.count), 1, 1, 3, 0, 15, &plain, nil)
    #expect(plain == y)
  }

  @Test func multipliesByTheReciprocalInsteadOfDividing() {
    // scale = 0.3 in float32 = 0.30000001192…; its float32 reciprocal is 3.3333332538…
    // x = 2.25: x·(1/s) = 7.49999982… rounds to the float32 7.5 → ties to even → 8, while
    // x/s = 7.49999970… rounds to the float32 7.4999995 → 7. PyTorch multiplies; so do we.
    let s = Float(0.3)
    #expect((Float(2.25) * (1 / s)).rounded(.toNearestOrEven) == 8)
    #expect((Float(2.25) / s).rounded(.toNearestOrEven) == 7)
    let p = QuantParams(scale: s, zeroPoint: 0, range: QuantRange(bits: 8, signed: true))
    #expect(p.inverseScale == 3.3333332538604736)
    #expect(p.quantize(2.25) == 8)
    // 8·0.3 in float32 = 2.4000000953674316 (division would have given 7·0.3 = 2.1).
    #expect(p.fakeQuantize(2.25) == 2.4000000953674316)
    #expect(Self.fakeQuant([2.25], p).y == [Float(8) * s])
  }

  @Test func perColumnEqualsPerTensorColumnByColumn() {
    let rows = 4, cols = 3
    let x: [Float] = [0.1, -0.7, 2.6, 1.25, 0.05, -3.9, -0.45, 0.33, 7.5, 9.0, -9.0, 0.0]
    let range = QuantRange(bits: 4, signed: false)
    let columns = [
      QuantParams(scale: 0.1, zeroPoint: 5, range: range),
      QuantParams(scale: 0.5, zeroPoint: 8, range: range),
      QuantParams(scale: 0.3, zeroPoint: 0, range: range),
    ]
    var y = [Float](repeating: 0, count: x.count), mask = [UInt8](repeating: 9, count: x.count)
    qk_fake_quant_columns(
      x, Int64(rows), Int64(cols), columns.map(\.scale), columns.map(\.inverseScale),
      columns.map(\.zeroPoint), range.qmin, range.qmax, &y, &mask)
    for c in 0..<cols {
      let column = (0..<rows).map { x[$0 * cols + c] }
      let expected = Self.fakeQuant(column, columns[c])
      #expect((0..<rows).map { y[$0 * cols + c] } == expected.y, "column \(c)")
      #expect((0..<rows).map { mask[$0 * cols + c] } == expected.mask, "column \(c)")
    }
    // Spot checks by hand: column 0 (scale 0.1, zp 5): 0.1 → q 6 → 0.1; 1.25 → 12.5 → 12 (even) + 5 = 17
    // → clamped to 15 → 1.0, masked; column 2 (scale 0.3, zp 0): 2.6 → 8.67 → 9 → 2.7 (9·0.3 in float32).
    #expect(y[0] == Float(0.1) && y[3] == Float(10) * Float(0.1) && mask[3] == 0)
    #expect(y[2] == Float(9) * Float(0.3) && mask[2] == 1)
  }

  @Test func maskMultiplyZeroesClippedGradients() {
    var g: [Float] = [1, -2, 3, -4, 5]
    let mask: [UInt8] = [1, 0, 1, 0, 2]
    qk_mask_multiply(&g, mask, Int64(g.count))
    #expect(g == [1, 0, 3, 0, 5])
    #expect(g[1].sign == .plus)
    qk_mask_multiply(&g, mask, 0)
    #expect(g == [1, 0, 3, 0, 5])
  }

  // MARK: - Range scans

  @Test func minMaxScan() {
    var lo: Float = 0, hi: Float = 0
    qk_min_max([3, -1, 7, 2], 4, &lo, &hi)
    #expect(lo == -1 && hi == 7)
    qk_min_max([42], 1, &lo, &hi)
    #expect(lo == 42 && hi == 42)
    // Nothing to scan: +inf and −inf, which every tracker reads as "nothing observed".
    qk_min_max([Float](), 0, &lo, &hi)
    #expect(lo == .infinity && hi == -.infinity)
    // fminf/fmaxf skip NaN.
    qk_min_max([.nan, 1, -2, .nan], 4, &lo, &hi)
    #expect(lo == -2 && hi == 1)
  }

  @Test func histogramBins() {
    // [0, 4] in 4 bins of width 1: bin = ⌊x⌋, except that 4 (the upper edge) goes to the last bin.
    var counts = [Int64](repeating: 0, count: 4)
    let xs: [Float] = [0, 0.999, 1, 2.5, 3.999, 4, -0.001, 4.001, .nan, -.infinity, .infinity]
    qk_histogram(xs, Int64(xs.count), 0, 4, 4, &counts)
    #expect(counts == [2, 1, 1, 2])
    // Counts accumulate across calls.
    qk_histogram([1.5], 1, 0, 4, 4, &counts)
    #expect(counts == [2, 2, 1, 2])
    // lower == upper: a single value, counted in bin 0.
    var single = [Int64](repeating: 0, count: 3)
    qk_histogram([2, 2, .nan], 3, 2, 2, 3, &single)
    #expect(single == [2, 0, 0])
    // Infinite or NaN bounds count nothing (rather than computing an index from inf·0).
    var none = [Int64](repeating: 0, count: 2)
    qk_histogram([1, 2], 2, 0, .infinity, 2, &none)
    qk_histogram([1, 2], 2, -.infinity, 3, 2, &none)
    qk_histogram([1, 2], 2, .nan, 3, 2, &none)
    #expect(none == [0, 0])
  }
}
