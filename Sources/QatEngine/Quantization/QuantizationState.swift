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
