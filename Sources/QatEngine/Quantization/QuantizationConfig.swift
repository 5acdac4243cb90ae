/// Post-training quantization or quantization-aware training.
public enum QuantMethod: String, Sendable, CaseIterable {
  case ptq, qat
}

/// What to quantize and how (SPEC §5.1 and §10): the defaults are the established tools'.
public struct QuantizationConfig: Sendable, Equatable {
  public var method: QuantMethod
  /// Weights: symmetric, signed; per output channel unless `perChannel` is false.
  public var weightBits = 8
  /// Activations — the network input, every quantized layer's output, the logits: per tensor,
  /// unsigned, affine unless `symmetric`.
  public var activationBits = 8
  public var perChannel = true
  public var symmetric = false
  /// The activations' observer; nil means the method's default (PTQ: histogram, QAT: moving average).
  public var observer: ObserverKind?
  /// The percentile observer's upper percentile (the lower one is 100 − p).
  public var percentile = 99.99
  /// Calibration images, taken at indices ⌊i·n/samples⌋ of the training data.
  public var samples = 256
  /// Engine operation indices (of the fp32 network) of conv/dense layers left at 8 bits, weights and output.
  public var keep: Set<Int> = []
  /// Training a prepared model: batch norm uses its running statistics (and stops updating them)
  /// after this many epochs, counted from `prepare`; the observers freeze after `freezeObserversAfter`.
  public var freezeBatchNormAfter = 1
  public var freezeObserversAfter = 2
  /// Learned step size (LSQ, Esser et al. 2019): training learns every scale by gradient descent,
  /// starting from the calibrated one, instead of following the observers.
  public var learnedScales = false
  /// Quantize only part of the network, the rest staying fp32 (`sensitivity`); nil quantizes
  /// everything (the default). A network restricted this way runs in simulation only: it has no
  /// integer form.
  public var only: QuantizationSubset?

  public init(method: QuantMethod) { self.method = method }

  /// The observer actually used for activations.
  public var activationObserver: ObserverKind { observer ?? (method == .ptq ? .histogram : .movingAverage) }
}

/// The part of a network that a restricted quantization covers (`QuantizationConfig.only`).
public struct QuantizationSubset: Sendable, Equatable {
  /// Quantize the network's input.
  public var input: Bool
  /// Engine operation indices of conv/dense layers whose weights and output (after the batch norm
  /// and ReLU that follow) are quantized. Nothing else is: lone batch norms, residual adds, ReLU6
  /// and the logits of an unquantized last layer stay fp32.
  public var operations: Set<Int>

  public init(input: Bool = false, operations: Set<Int> = []) {
    self.input = input
    self.operations = operations
  }
}

/// A network's quantization: its configuration, its quantizers and the QAT schedule.
public final class QuantizationState {
  public let config: QuantizationConfig
  /// Activation quantizers in network order (the input first, the logits last).
  public let activations: [ActivationQuantizer]
  let weights: [WeightQuantizer]
  let batchNorms: [BatchNormOp]
  /// The last epoch of the network's history when it was prepared; training epochs count from here.
  public let startEpoch: Int
  /// A converted model is final: observers and batch norm frozen, no more training.
  public internal(set) var converted = false

  init(
    config: QuantizationConfig, activations: [ActivationQuantizer], weights: [WeightQuantizer],
    batchNorms: [BatchNormOp], startEpoch: Int
  ) {
    self.config = config
    self.activations = activations
    self.weights = weights
    self.batchNorms = batchNorms
    self.startEpoch = startEpoch
  }

  /// Applies the freezing schedule before training epoch `epoch` (numbered as in the history).
  func epochStarting(_ epoch: Int) {
    let sincePrepare = epoch - startEpoch
    freeze(
      batchNorm: converted || sincePrepare > config.freezeBatchNormAfter,
      observers: converted || sincePrepare > config.freezeObserversAfter)
  }

  func freeze(batchNorm: Bool, observers: Bool) {
    for bn in batchNorms { bn.frozen = batchNorm }
    let observing = !observers
    for q in activations {
      // Histogram and percentile ranges come from a calibration histogram, which training does not
      // refill; learned scales follow their gradient instead of an observer.
      q.observesTraining = observing && q.learnedScale == nil && (q.observer == .minmax || q.observer == .movingAverage)
    }
    for w in weights { w.observing = observing }
  }

  /// The observers' ranges and the parameters from them (learned scales are parameters and are
  /// saved with the weights).
  public struct Snapshot {
    let activations: [ActivationQuantizer.SavedState]
    let weights: [(ChannelRangeTracker, [QuantParams])]
  }

  /// What a training batch may change here, to restore if the batch diverges.
  public func snapshot() -> Snapshot {
    Snapshot(activations: activations.map(\.savedState), weights: weights.map { ($0.trackers, $0.params) })
  }

  public func restore(_ snapshot: Snapshot) {
    for (q, state) in zip(activations, snapshot.activations) { q.restore(state) }
    for (w, state) in zip(weights, snapshot.weights) {
      w.trackers = state.0
      w.setParams(state.1)
    }
  }

  /// Freezes everything: the model as it will be deployed.
  public func convert() {
    converted = true
    freeze(batchNorm: true, observers: true)
  }

  /// True when batch norm currently uses its running statistics in training.
  public var batchNormFrozen: Bool { batchNorms.allSatisfy(\.frozen) }
  /// True when the observers still move in training.
  public var observersActive: Bool {
    activations.contains(where: \.observesTraining) || weights.contains(where: \.observing)
  }
}
