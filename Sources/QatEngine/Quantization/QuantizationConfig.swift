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
  /// Per-layer widths (mixed precision): engine operation index of a conv/dense layer → the bits of
  /// its weights and of its output. Layers not named use `weightBits`/`activationBits` (or 8 if kept).
  public var layerBits: [Int: Int] = [:]
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
  /// Cross-layer equalization (Nagel et al. 2019): batch norm folded, then consecutive conv/dense
  /// pairs meeting through ReLU rescaled so that their per-channel weight ranges match, before
  /// calibration (`CrossLayerEqualization`).
  public var equalize = false
  /// Empirical bias correction (Nagel et al. 2019): each conv/dense bias shifted by the mean output
  /// error measured on the calibration images, after calibration (`BiasCorrection`).
  public var biasCorrection = false
  /// How PTQ puts the weights on their grid: nearest (the default) or AdaRound (Nagel et al. 2020),
  /// learned layer by layer on the calibration images (`AdaRound`).
  public var rounding = WeightRounding.nearest

  public init(method: QuantMethod) { self.method = method }

  /// The width of conv/dense operation `i`'s weights: its own, 8 when kept, or the model's.
  public func weightBits(ofOperation i: Int) -> Int { layerBits[i] ?? (keep.contains(i) ? 8 : weightBits) }
  /// The width of conv/dense operation `i`'s output: its own, 8 when kept, or the model's.
  public func activationBits(ofOperation i: Int) -> Int { layerBits[i] ?? (keep.contains(i) ? 8 : activationBits) }
  /// True when layers have widths of their own (mixed precision).
  public var isMixed: Bool { !layerBits.isEmpty }
  /// The per-layer widths in network order (empty when uniform): what summaries and files show.
  public var layerWidths: [Int] { layerBits.sorted { $0.key < $1.key }.map(\.value) }

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
