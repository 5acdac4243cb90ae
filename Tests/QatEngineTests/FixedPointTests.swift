import Foundation
import Testing

@testable import QatEngine
import QatSupport

/// The fixed-point multiplier M = M0·2^−n against exact (128-bit) arithmetic, and one integer
/// layer worked by hand (the example of docs/quantization.md).
@Suite struct FixedPointTests {
  @Test func multiplierKeepsThirtyOneBits() {
    var random = SeededRandom(seed: 3)
    for _ in 0..<2_000 {
      let real = exp2(random.nextUnit() * 40 - 30)  // 2^−30 … 2^10
      let m = FixedPointMultiplier(real)
      #expect((1...62).contains(m.shift))
      if real < 0x1p29 && real > 0x1p-31 {
        #expect(m.multiplier >= 1 << 30, "\(real) → \(m)")
      }
      #expect(abs(m.value - real) <= real * 0x1p-30 + 0x1p-62, "\(real) → \(m)")
    }
    #expect(FixedPointMultiplier(0) == FixedPointMultiplier(multiplier: 0, shift: 1))
    #expect(FixedPointMultiplier(-1).multiplier == 0)
    #expect(FixedPointMultiplier(.nan).multiplier == 0)
    // 0.5 is exact: 2^30·2^−31.
    #expect(FixedPointMultiplier(0.5) == FixedPointMultiplier(multiplier: 1 << 30, shift: 31))
  }

  /// (x·M0 + 2^(n−1)) >> n is ⌊x·M0/2^n + 1/2⌋ exactly: rounding to nearest, ties towards +∞.
  @Test func rescaleRoundsToNearestTiesUp() {
    var random = SeededRandom(seed: 4)
    for _ in 0..<5_000 {
      let x = Int64(Int32(truncatingIfNeeded: random.next()))
      let m = FixedPointMultiplier(exp2(random.nextUnit() * 20 - 20))
      let exact = Int128(x) * Int128(m.multiplier)
      let denominator = Int128(1) << Int128(m.shift)
      // ⌊(2·exact + denominator) / (2·denominator)⌋ with floor division.
      let numerator = 2 * exact + denominator, d = 2 * denominator
      let floor = numerator >= 0 ? numerator / d : -((-numerator + d - 1) / d)
      #expect(Int128(m.apply(x)) == floor)
    }
    let half = FixedPointMultiplier(0.5)
    #expect(half.apply(3) == 2 && half.apply(-3) == -1 && half.apply(1) == 1 && half.apply(-1) == 0)
  }

  @Test func sharedMultipliersUseTheLargestMagnitude() {
    let (m, shift) = FixedPointMultiplier.shared([0.75, -0.25, 0.001])
    #expect(shift == 31)
    #expect(m == [Int32(0.75 * 0x1p31), Int32(-0.25 * 0x1p31), Int32((0.001 * 0x1p31).rounded())])
  }

  /// A dense layer with two inputs and two outputs, by hand:
  /// x = [130, 120] on (s_x = 0.05, z_x = 128), weights [[3, 1], [−2, 4]] (rows: inputs) with per-channel
  /// scales [0.01, 0.02], bias [0.1, −0.05], output grid (s = 0.04, z = 10).
  /// Channel 0: Σ(q_x − z_x)·q_w = 2·3 + (−8)·(−2) = 22, bias 0.1/(0.05·0.01) = 200 → 222;
  /// M = 0.05·0.01/0.04 = 0.0125 → 222·0.0125 = 2.775 → 3, + 10 = 13.
  /// Channel 1: 2·1 + (−8)·4 = −30, bias −0.05/(0.05·0.02) = −50 → −80; M = 0.025 → −2 → 8.
  @Test func oneDenseLayerByHand() throws {
    let layout = WeightLayout(blocks: 1, rows: 2, columns: 2)
    let weights = QuantizedWeights(
      layout: layout, values: [3, 1, -2, 4], scales: [0.01, 0.02], bits: 8, bias: [200, -50])
    let x = QuantParams(scale: 0.05, zeroPoint: 128, range: QuantRange(bits: 8, signed: false))
    let y = QuantParams(scale: 0.04, zeroPoint: 10, range: QuantRange(bits: 8, signed: false))
    let requant = Requantization(weights: weights, input: x, output: y, low: 0, high: 255)
    // The zero point's correction is folded into the bias: 200 − 128·(3 − 2) and −50 − 128·(1 + 4).
    #expect(requant.bias.array == [72, -690])
    let activations = [
      IntegerActivation(shape: ActivationShape(features: 2), params: x, name: "input"),
      IntegerActivation(shape: ActivationShape(features: 2), params: y, name: "dense"),
    ]
    let op = IntegerMatMulOp(
      form: .dense, weights: weights, requant: requant, input: 0, inputActivation: activations[0], output: 1,
      name: "dense")
    let program = IntegerNetwork(
      activations: activations, ops: [op], output: 1,
      info: IntegerProgramInfo(method: .ptq, weightBits: 8, activationBits: 8))
    #expect(program.runStep(0, inputs: [[130, 120]], images: 1) == [13, 8])
  }
}
