import Foundation

/// How the weights are put on their grid: to the nearest level, or up or down as AdaRound learns.
public enum WeightRounding: String, Sendable, CaseIterable {
  case nearest, adaround
}

/// AdaRound (Nagel et al. 2020, "Up or Down? Adaptive Rounding for Post-Training Quantization").
/// Rounding each weight to its nearest level minimizes each weight's own error, not the layer's
/// output error: the errors of a row of weights add up in W·x. AdaRound keeps every weight on one of
/// its two neighbouring levels and learns which, per layer, from the calibration images:
///   W̃ = s·clamp(⌊W/s⌋ + h(V), qmin, qmax),  h(V) = clamp(σ(V)·(ζ − γ) + γ, 0, 1),  ζ = 1.1, γ = −0.1,
/// V starting where h(V) is W/s's fractional part (so W̃ starts at W, unrounded), minimizing
///   ‖W·x − W̃·x̂‖² + λ·Σ (1 − |2h(V) − 1|^β)
/// with Adam on V. The first term is the layer's output error on the calibration images (see
/// `AdaRoundProblem`); the regularizer, off during a warm-up, then with β annealed from 20 to 2,
/// pushes every h(V) to 0 or 1. At the end h(V) ≥ ½ rounds up, otherwise down.
public enum AdaRound {
  /// The rectified sigmoid's stretch: h reaches 0 and 1 at finite V, so the regularizer can make
  /// the choice exact and its gradient vanishes there.
  static let zeta: Float = 1.1, gamma: Float = -0.1

  /// The optimization's fixed settings: the paper's λ, β schedule and warm-up; fewer iterations than
  /// its 10,000 (on batches of 32) because every step here uses the whole calibration set's exact
  /// gradient, so there is nothing random in it.
  public struct Settings: Sendable, Equatable {
    /// Adam steps per layer.
    public var iterations = 1000
    /// λ, the regularizer's weight against the output error (per image and position).
    public var regularization = 0.01
    /// The fraction of the iterations without the regularizer (only the output error).
    public var warmUp = 0.2
    /// β at the end of the warm-up and at the last iteration, linearly in between.
    public var betaStart = 20.0, betaEnd = 2.0
    /// Adam's step size on V (β₁ = 0.9, β₂ = 0.999).
    public var learningRate: Float = 0.01
    /// The most inputs per output (K) a layer may have: its two K × K Gram matrices then take at most
    /// 64 MB each. A wider layer keeps nearest rounding.
    public var maxInputs = 4096

    public init() {}

    /// β at `iteration` (from 0), nil during the warm-up.
    func beta(at iteration: Int) -> Double? {
      let start = Int((warmUp * Double(iterations)).rounded())
      guard iteration >= start else { return nil }
      let t = Double(iteration - start) / Double(max(1, iterations - start))
      return betaEnd + (betaStart - betaEnd) * (1 - t)
    }
  }

  /// h(V): the rectified sigmoid, in [0, 1].
  static func rectified(_ v: Float) -> Float {
    min(1, max(0, sigmoid(v) * (zeta - gamma) + gamma))
  }

  /// dh/dV: zero where the rectification clamps.
  static func rectifiedDerivative(_ v: Float) -> Float {
    let s = sigmoid(v), stretched = s * (zeta - gamma) + gamma
    return stretched > 0 && stretched < 1 ? s * (1 - s) * (zeta - gamma) : 0
  }

  /// The V where h(V) = `fraction` (in [0, 1)): σ(V) = (fraction − γ)/(ζ − γ), which lies in (0, 1).
  static func initialV(fraction: Float) -> Float {
    let p = (fraction - gamma) / (zeta - gamma)
    return log(p / (1 - p))
  }

  static func sigmoid(_ v: Float) -> Float { 1 / (1 + exp(-v)) }

  /// The regularizer's term for one weight, 1 − |2h − 1|^β, and its derivative with respect to h.
  static func regularizer(_ h: Float, beta: Double) -> (value: Double, derivative: Double) {
    let d = 2 * Double(h) - 1, a = Swift.abs(d)
    guard a > 0 else { return (1, 0) }
    let power = pow(a, beta)
    return (1 - power, -beta * power / a * (d > 0 ? 2 : -2))
  }
}

/// Progress of AdaRound: layer `layer` of `layers` (from 1), `iteration` of `iterations` done, and
/// the layer's output error (the first term of the loss, per image and position) at that point.
public struct AdaRoundProgress: Sendable {
  public let layer, layers, iteration, iterations: Int
  public let reconstructionError: Double
}

/// AdaRound was stopped (the progress callback asked): the network being rounded is a copy, and
/// the caller discards it.
public struct AdaRoundInterrupted: Error, Sendable {
  /// The layer (from 1) whose rounding was under way.
  public let layer: Int
}
