import Foundation
import QatSupport
import Testing

@testable import QatEngine

/// The MSE and KL observers against brute-force searches and distributions whose answer is known, and
/// a network calibrated with each of them agreeing with its integer program.
@Suite struct RangeSearchTests {
  /// A bell-shaped sample (a sum of four uniforms, seeded) with two far outliers.
  static func bell(_ count: Int, outliers: [Float] = [12, -9]) -> [Float] {
    var random = SeededRandom(seed: 5)
    let values = (0..<count).map { _ in Float((0..<4).map { _ in random.nextUnit() }.reduce(0, +) - 2) * 2 }
    return values + outliers
  }

  static func histogram(_ values: [Float]) -> Histogram {
    var h = Histogram(lower: values.min() ?? 0, upper: values.max() ?? 0)
    h.add(values, count: values.count)
    return h
  }

  /// The true squared error of fake-quantizing every value with `params`.
  static func trueError(_ values: [Float], _ params: QuantParams) -> Double {
    values.reduce(0) { sum, x in
      let d = Double(params.fakeQuantize(x)) - Double(x)
      return sum + d * d
    }
  }

  /// The MSE range, found on the histogram one end at a time, is within 2 % of the best of every pair
  /// of ends (on a coarser grid) measured on the values themselves, for signed and ReLU data, affine
  /// and symmetric grids, 8, 4 and 3 bits; and it clips the outliers where that pays.
  @Test(arguments: [8, 4, 3], [false, true])
  func mseMatchesABruteForceSearch(bits: Int, relu: Bool) {
    let values = Self.bell(4000).map { relu ? max($0, 0) : $0 }
    let h = Self.histogram(values)
    for symmetric in [false, true] {
      let grid = QuantRange(bits: bits, signed: false)
      let chosen = h.mseOptimalRange(range: grid, symmetric: symmetric)
      let low = min(h.lower, 0), high = max(h.upper, 0)
      // Every pair of ends at 4 %, 8 %, …, 100 % of the widest (the search's own grid is 1 %).
      var brute = Double.infinity
      for i in stride(from: 4, through: 100, by: 4) {
        for k in stride(from: 4, through: 100, by: 4) {
          let params = QuantParams.fromRange(
            min: low * Float(i) / 100, max: high * Float(k) / 100, range: grid, symmetric: symmetric)
          brute = min(brute, Self.trueError(values, params))
        }
      }
      let found = Self.trueError(
        values, .fromRange(min: chosen.min, max: chosen.max, range: grid, symmetric: symmetric))
      #expect(found <= brute * 1.02, "\(bits) bits relu \(relu) symmetric \(symmetric): \(found) vs \(brute)")
      if bits <= 4 { #expect(chosen.max < 12, "at \(bits) bits the outlier at 12 is clipped: \(chosen)") }
    }
  }

  /// The histogram's error is the sum over values when every value sits at a bin's quarter centre.
  @Test func squaredErrorOfKnownValues() {
    var h = Histogram(lower: 0, upper: 4, bins: 1)
    let quarters: [Float] = [0.5, 1.5, 2.5, 3.5]
    h.add(quarters, count: 4)
    let params = QuantParams(scale: 2, zeroPoint: 0, range: QuantRange(bits: 2, signed: false))
    // 0.5 → 0, 1.5 → 2, 2.5 → 2, 3.5 → 4: errors 0.25 each.
    #expect(abs(h.squaredError(params) - 1.0) < 1e-12)
  }

  /// KL(P‖Q) for every threshold computed the plain way — P the clipped histogram, Q built group by
  /// group from explicit bin lists — picks the same threshold as the search.
  @Test(arguments: [2, 4, 8]) func klMatchesABruteForceSearch(levels: Int) {
    var random = SeededRandom(seed: UInt64(levels))
    var counts: [Int64] = []
    for k in 0..<48 {
      let smooth: Double = 200 * exp(-Double(k) / 9) + random.nextUnit() * 20
      counts.append(k % 7 == 3 ? 0 : Int64(smooth) + (k == 47 ? 30 : 0))
    }
    func kl(_ i: Int) -> Double {
      var p = counts[0..<i].map(Double.init)
      p[i - 1] += counts[i...].reduce(0) { $0 + Double($1) }
      var q = [Double](repeating: 0, count: i)
      for j in 0..<levels {
        let group = Array((j * i / levels)..<((j + 1) * i / levels))
        let filled = group.filter { p[$0] > 0 }
        let total = group.reduce(0.0) { $0 + Double(counts[$1]) }
        for k in filled { q[k] = total / Double(filled.count) }
      }
      let qSmoothed = zip(p, q).map { $0 > 0 && $1 == 0 ? 1e-4 : $1 }
      let pSum = p.reduce(0, +), qSum = qSmoothed.reduce(0, +)
      return zip(p, qSmoothed).reduce(0.0) { sum, pair in
        pair.0 > 0 ? sum + pair.0 / pSum * log((pair.0 / pSum) / (pair.1 / qSum)) : sum
      }
    }
    // The search starts at 1/16 of the bins, or at `levels` bins when that is more.
    let divergences = (max(levels, counts.count / 16)...counts.count).map { (i: $0, kl: kl($0)) }
    let best = divergences.min { $0.kl < $1.kl || ($0.kl == $1.kl && $0.i > $1.i) }!
    #expect(Histogram.klThreshold(counts, levels: levels) == best.i)
  }

  /// Uniform values keep their whole range; a bell's thin tails and outliers are cut (min-max keeps them).
  @Test func klKeepsUniformValuesAndCutsThinTails() {
    let uniform = (0..<4096).map { Float($0) / 4095 }
    let kept = Self.histogram(uniform).klOptimalRange(bits: 8)
    #expect(kept.min == 0 && kept.max > 0.95, "\(kept)")
    let signed = Self.histogram(Self.bell(4000)).klOptimalRange(bits: 8)
    #expect(signed.min < -1 && signed.max > 1 && signed.max < 12 && signed.min > -9, "\(signed)")
    let relu = Self.histogram(Self.bell(4000).map { max($0, 0) }).klOptimalRange(bits: 8)
    #expect(relu.min == 0 && relu.max > 1 && relu.max < 12, "\(relu)")
  }

  /// A network calibrated with each new observer compiles to an integer program that agrees with its
  /// simulation as closely as with the other observers.
  @Test(arguments: [ObserverKind.mse, .kl], [8, 4])
  func networksCalibratedWithThemAgreeWithTheirIntegerProgram(observer: ObserverKind, bits: Int) throws {
    let (net, data) = try QuantizedNetworkTests.trained(IntegerAgreementTests.everyLayer, epochs: 2)
    let config = IntegerAgreementTests.config(.ptq, bits: bits, observer: observer)
    let simulation = try net.prepareQuantization(config, calibration: data, pool: IntegerAgreementTests.pool)
    let program = try simulation.integerProgram()
    let (error, step) = IntegerAgreementTests.worstStepError(program, simulation: simulation, data: data)
    #expect(error <= Tolerance.integerStepLSB, "\(observer) \(bits) bits: step \(step) is \(error) LSB off")
  }
}
