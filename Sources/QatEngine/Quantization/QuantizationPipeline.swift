/// A network quantized end to end: its deployed simulation and its integer program.
public struct QuantizedNetwork {
  /// The fake-quantized network as deployed: converted, with QAT's batch norms folded into the
  /// weights. What `inspect` and the simulation-vs-integer comparisons read.
  public let simulation: Network
  /// The integer-only program compiled from `simulation`; nil when only part of the network was
  /// quantized (`QuantizationConfig.only`), which runs in simulation only.
  public let program: IntegerNetwork?
  /// What AdaRound did, one report per conv/dense layer (empty with nearest rounding).
  public var rounding: [AdaRoundLayerReport] = []
}

extension Network {
  /// The quantization pipeline — the one place its steps are ordered. On a copy of this fp32
  /// network (left untouched):
  /// 1. prepare: fold batch norm (PTQ) or set up the QAT fold, attach observers and quantizers;
  /// 2. calibrate on `config.samples` images of `training` (see `calibrationIndices`);
  /// 3. fine-tune: QAT only — `fineTune` trains the prepared copy with fake quantization (the
  ///    caller owns training: its options, progress and interrupts);
  /// 4. convert: observers and batch norm frozen;
  /// 5. fold: QAT's batch norms into the weights, with the factors training used;
  /// 6. compile: the integer program.
  /// With `config.equalize`, step 1 starts from a copy with batch norm folded and cross-layer
  /// equalized (`quantizationSource`); with `config.biasCorrection`, each bias is corrected between
  /// steps 5 and 6 (`BiasCorrection`), on the same calibration images.
  /// With `config.rounding` AdaRound, the weights are rounded layer by layer (`AdaRound.round`) after
  /// step 5 and before bias correction, `rounding` seeing its progress (true stops it: throws
  /// `AdaRoundInterrupted`).
  /// A partial quantization (`config.only`) stops after step 4.
  /// Throws `ShapeError` (the network cannot be quantized), `IntegerConversionError` (it has no
  /// integer form), or whatever `fineTune` throws.
  public func quantized(
    _ config: QuantizationConfig, training: LabeledImages, pool: WorkerPool,
    fineTune: (Network) throws -> Void, rounding: (AdaRoundProgress) -> Bool = { _ in false }
  ) throws -> QuantizedNetwork {
    let calibration = training.subset(Network.calibrationIndices(count: training.count, samples: config.samples))
    var simulation = try prepared(config, calibration: calibration, pool: pool)
    if config.method == .qat { try fineTune(simulation) }
    simulation.quantization?.convert()
    guard config.only == nil else { return QuantizedNetwork(simulation: simulation, program: nil) }
    simulation = simulation.foldingQATBatchNorms()
    let reference = config.biasCorrection || config.rounding == .adaround ? try quantizationSource(config)?.0 : nil
    var reports: [AdaRoundLayerReport] = []
    if config.rounding == .adaround, let reference {
      reports = try AdaRound.round(
        simulation, reference: reference, calibration: calibration, pool: pool, progress: rounding)
    }
    if config.biasCorrection, let reference {
      BiasCorrection.correct(simulation, reference: reference, calibration: calibration, pool: pool)
    }
    var result = QuantizedNetwork(simulation: simulation, program: try simulation.integerProgram())
    result.rounding = reports
    return result
  }

  /// Steps 1 and 2 of `quantized`: a fake-quantized copy calibrated on `config.samples` images of
  /// `training` — what `prepare` returns for training with fake quantization.
  public func preparedForQuantization(
    _ config: QuantizationConfig, training: LabeledImages, pool: WorkerPool
  ) throws(ShapeError) -> Network {
    let calibration = training.subset(Network.calibrationIndices(count: training.count, samples: config.samples))
    return try prepared(config, calibration: calibration, pool: pool)
  }

  /// Step 1 and 2 on `calibration`, from the folded (and equalized) copy when `config` asks for one.
  func prepared(
    _ config: QuantizationConfig, calibration: LabeledImages, pool: WorkerPool
  ) throws(ShapeError) -> Network {
    guard let source = try quantizationSource(config) else {
      return try prepareQuantization(config, calibration: calibration, pool: pool)
    }
    return Self.prepareQuantization(of: source.0, source.1, calibration: calibration, pool: pool)
  }
}
