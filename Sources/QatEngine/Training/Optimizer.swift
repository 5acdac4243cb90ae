import Foundation

/// How parameters move given their gradients. Weight decay is L2 added to the gradient, applied
/// to every parameter, as PyTorch's SGD and Adam do.
public enum OptimizerKind: Sendable, Equatable {
  /// SGD with (heavy-ball) momentum: v = μ·v + g, w −= lr·v.
  case sgd(momentum: Double)
  /// Adam with β = (0.9, 0.999), ε = 1e-8 and bias correction.
  case adam

  public var name: String {
    switch self {
    case .sgd: return "sgd"
    case .adam: return "adam"
    }
  }
}

/// Optimizer state for one training run (momentum and moment buffers per parameter).
final class Optimizer {
  let kind: OptimizerKind
  let weightDecay: Float
  let parameters: [LearnableTensor]
  private var first: [FloatBuffer]
  private var second: [FloatBuffer]
  private var steps = 0

  init(kind: OptimizerKind, weightDecay: Double, parameters: [LearnableTensor]) {
    self.kind = kind
    self.weightDecay = Float(weightDecay)
    self.parameters = parameters
    first = parameters.map { FloatBuffer(count: $0.count) }
    second = kind == .adam ? parameters.map { FloatBuffer(count: $0.count) } : []
  }

  /// The state that a restored snapshot must also roll back.
  var state: [FloatBuffer] { first + second }

  /// One update with learning rate `lr`, using each parameter's reduced `gradient`.
  func step(lr: Double) {
    steps += 1
    let rate = Float(lr), decay = weightDecay
    switch kind {
    case .sgd(let momentum):
      let mu = Float(momentum)
      for (p, v) in zip(parameters, first) {
        let w = p.value.pointer, g = p.gradient.pointer, vel = v.pointer
        for i in 0..<p.count {
          let grad = g[i] + decay * w[i]
          vel[i] = mu * vel[i] + grad
          w[i] -= rate * vel[i]
        }
      }
    case .adam:
      let beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8
      let correction1 = 1 - Float(Foundation.pow(0.9, Double(steps)))
      let correction2 = 1 - Float(Foundation.pow(0.999, Double(steps)))
      for (index, p) in parameters.enumerated() {
        let w = p.value.pointer, g = p.gradient.pointer, m = first[index].pointer, v = second[index].pointer
        for i in 0..<p.count {
          let grad = g[i] + decay * w[i]
          m[i] = beta1 * m[i] + (1 - beta1) * grad
          v[i] = beta2 * v[i] + (1 - beta2) * grad * grad
          let mHat = m[i] / correction1, vHat = v[i] / correction2
          w[i] -= rate * mHat / (vHat.squareRoot() + epsilon)
        }
      }
    }
  }
}

/// The learning rate over epochs.
public enum Schedule: String, Sendable, CaseIterable {
  /// The same rate every epoch.
  case constant
  /// ×0.1 after each third of the epochs (at least one epoch per step).
  case step
  /// Cosine annealing from lr to 0 over the run: lr·(1 + cos(π·e/E))/2 for epoch e = 0…E−1.
  case cosine

  /// The rate for epoch `epoch` (0-based) of `epochs`.
  public func rate(base: Double, epoch: Int, epochs: Int) -> Double {
    switch self {
    case .constant: return base
    case .step:
      let every = max(1, Int((Double(epochs) / 3).rounded(.up)))
      return base * Foundation.pow(0.1, Double(epoch / every))
    case .cosine:
      return base * (1 + Foundation.cos(Double.pi * Double(epoch) / Double(max(1, epochs)))) / 2
    }
  }
}
