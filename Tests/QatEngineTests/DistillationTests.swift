import Foundation
import QatSupport
import Testing

@testable import QatEngine

/// Knowledge distillation's loss: its value by hand, its gradient by finite differences, and its limits.
@Suite struct DistillationTests {
  static func loss(_ s: [Float], _ t: [Float], label: Int32, temperature: Float, weight: Float, gradient: inout [Float])
    -> Double
  {
    var predictions: [Int32] = [0]
    let labels: [Int32] = [label]
    return s.withUnsafeBufferPointer { sp in
      t.withUnsafeBufferPointer { tp in
        gradient.withUnsafeMutableBufferPointer { g in
          DistillationLoss.apply(
            logits: sp.baseAddress!, teacher: tp.baseAddress!, rows: 1, classes: s.count, labels: labels,
            predictions: &predictions, gradient: g.baseAddress, scale: 1, temperature: temperature, weight: weight
          ).loss
        }
      }
    }
  }

  /// Two classes by hand: s = (0, 0), t = (2 ln 3, 0), T = 2, α = 0.5, label 0. Hard term ln 2; the teacher's
  /// softened distribution is (3/4, 1/4), the student's (1/2, 1/2): KL = ¾ ln(3/2) + ¼ ln(1/2).
  @Test func valueByHand() {
    var g: [Float] = [0, 0]
    let value = Self.loss([0, 0], [Float(2 * log(3.0)), 0], label: 0, temperature: 2, weight: 0.5, gradient: &g)
    let kl = 0.75 * log(1.5) + 0.25 * log(0.5)
    #expect(abs(value - (0.5 * log(2.0) + 0.5 * 4 * kl)) < 1e-6)
    // ∂/∂s_0 = ½(½ − 1) + ½·2·(½ − ¾) = −0.5.
    #expect(abs(g[0] + 0.5) < 1e-6 && abs(g[1] - 0.5) < 1e-6)
  }

  /// The analytic gradient against central differences of the loss, for several T and α.
  @Test(arguments: [(Float(1), Float(0.5)), (4, 0.5), (8, 0.9), (2, 0)])
  func gradientMatchesFiniteDifferences(temperature: Float, weight: Float) {
    var random = SeededRandom(seed: 3)
    let s = (0..<5).map { _ in Float(random.nextUnit() * 4 - 2) }
    let t = (0..<5).map { _ in Float(random.nextUnit() * 6 - 3) }
    var g = [Float](repeating: 0, count: 5), scratch = g
    _ = Self.loss(s, t, label: 2, temperature: temperature, weight: weight, gradient: &g)
    for k in 0..<5 {
      let h: Float = 1e-2
      var plus = s, minus = s
      plus[k] += h
      minus[k] -= h
      let numeric =
        (Self.loss(plus, t, label: 2, temperature: temperature, weight: weight, gradient: &scratch)
          - Self.loss(minus, t, label: 2, temperature: temperature, weight: weight, gradient: &scratch)) / Double(2 * h)
      #expect(abs(numeric - Double(g[k])) < 2e-3, "T \(temperature) α \(weight) k \(k): \(numeric) vs \(g[k])")
    }
  }

  /// A teacher identical to the student adds nothing to the gradient: only the labels' term remains.
  @Test func aTeacherThatAgreesAddsNoGradient() {
    let s: [Float] = [1, -0.5, 2]
    var g = [Float](repeating: 0, count: 3), hard = g
    _ = Self.loss(s, s, label: 1, temperature: 4, weight: 0.5, gradient: &g)
    _ = Self.loss(s, s, label: 1, temperature: 4, weight: 0, gradient: &hard)
    for k in 0..<3 { #expect(abs(g[k] - 0.5 * hard[k]) < 1e-6) }
  }
}
