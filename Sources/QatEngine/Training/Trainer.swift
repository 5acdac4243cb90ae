import QatSupport

/// How to train: SPEC §10's defaults are the language's; the engine takes them explicitly.
public struct TrainingOptions: Sendable {
  public var epochs: Int
  public var learningRate: Double
  public var batchSize: Int
  public var optimizer: OptimizerKind
  public var weightDecay: Double
  public var schedule: Schedule
  public var threads: Int
  /// Crops and flips applied to the training batches (never to evaluation or calibration).
  public var augmentation: TrainingAugmentation?

  public init(
    epochs: Int = 10, learningRate: Double = 0.05, batchSize: Int = 32, optimizer: OptimizerKind = .sgd(momentum: 0.9),
    weightDecay: Double = 0, schedule: Schedule = .constant, threads: Int = 1, augmentation: TrainingAugmentation? = nil
  ) {
    self.epochs = epochs
    self.learningRate = learningRate
    self.batchSize = batchSize
    self.optimizer = optimizer
    self.weightDecay = weightDecay
    self.schedule = schedule
    self.threads = threads
    self.augmentation = augmentation
  }
}

/// Where training is, for progress bars. Epochs are counted within this run (1 to `epochs`), as a
/// learner reads `train(…, epochs: 3)`; the network's history keeps the absolute numbers.
public struct TrainingProgress: Sendable {
  public let epoch: Int
  public let epochs: Int
  public let batch: Int
  public let batches: Int
  /// Mean loss and accuracy so far in this epoch.
  public let loss: Double
  public let accuracy: Double
  public let imagesPerSecond: Double
  /// Estimated seconds until the whole run ends.
  public let secondsLeft: Double
}

/// How a training run ended.
public enum TrainingOutcome: Sendable, Equatable {
  case finished
  /// Stopped at a batch boundary because the monitor asked to; the weights are those after the
  /// last finished batch. `epoch` counts within this run, like the progress lines.
  case interrupted(epoch: Int, batch: Int)
  /// The loss or the weights stopped being finite at this batch; the weights were restored to
  /// their state before it. `epoch` counts within this run.
  case diverged(epoch: Int, batch: Int, what: String)
}

/// Watches a training run: progress, finished epochs, and whether to stop.
public protocol TrainingMonitor {
  func batchFinished(_ progress: TrainingProgress)
  /// `record` carries the absolute epoch (the history's); `number` counts from 1 within this run of
  /// `epochs` epochs.
  func epochFinished(_ record: EpochRecord, number: Int, of epochs: Int)
  /// Asked before every batch; true stops training there.
  func shouldStop() -> Bool
}

extension Network {
  /// Trains on `data` with shuffled mini-batches drawn from `random`. Epoch numbers continue the
  /// network's history. Returns how the run ended; the history has every finished epoch.
  public func train(
    on data: LabeledImages, options: TrainingOptions, random: inout SeededRandom,
    monitor: TrainingMonitor
  ) -> TrainingOutcome {
    let pool = WorkerPool.shared(threads: options.threads)
    let optimizer = Optimizer(kind: options.optimizer, weightDecay: options.weightDecay, parameters: parameters)
    let batches = (data.count + options.batchSize - 1) / options.batchSize
    let firstEpoch = (history.last?.epoch ?? 0) + 1
    let (_, overflow) = firstEpoch.addingReportingOverflow(options.epochs - 1)
    guard !overflow else { return .diverged(epoch: 1, batch: 1, what: "the epoch count overflows") }
    // The state before the current batch, kept in buffers allocated once, to roll back to if the
    // batch produces NaN or infinity.
    let savedState = snapshot(), savedOptimizer = optimizer.state.map { $0.clone() }
    var order = Array(0..<data.count)
    for e in 0..<options.epochs {
      let epoch = firstEpoch + e
      quantization?.epochStarting(epoch)
      let lr = options.schedule.rate(base: options.learningRate, epoch: e, epochs: options.epochs)
      // Fisher–Yates with the session's generator: the same seed, the same batches.
      for i in stride(from: order.count - 1, to: 0, by: -1) {
        order.swapAt(i, Int(random.next() % UInt64(i + 1)))
      }
      let epochStart = MonotonicClock.seconds()
      var sums = PassResult()
      for b in 0..<batches {
        if monitor.shouldStop() { return .interrupted(epoch: e + 1, batch: b + 1) }
        for (saved, current) in zip(savedState + savedOptimizer, trainedState + optimizer.state) {
          saved.copy(from: current)
        }
        // Observers and scales move during a QAT batch too: they are put back with the weights.
        let savedQuantization = quantization?.snapshot()
        let indices = order[(b * options.batchSize)..<min(data.count, (b + 1) * options.batchSize)]
        let pass = trainBatch(
          indices, of: data, pool: pool, stepSeed: random.next(), augmentation: options.augmentation)
        var problem: String?
        if !pass.lossSum.isFinite {
          problem = "the loss became \(pass.lossSum.isNaN ? "NaN" : "infinite")"
        } else if !pass.activationsFinite {
          // Fake quantization would round them onto its grid and hide them from the loss.
          problem = "an activation became NaN or infinite"
        } else {
          optimizer.step(lr: lr)
          if !isFinite { problem = "the weights stopped being finite" }
        }
        if let problem {
          for (current, saved) in zip(trainedState + optimizer.state, savedState + savedOptimizer) {
            current.copy(from: saved)
          }
          if let savedQuantization { quantization?.restore(savedQuantization) }
          return .diverged(epoch: e + 1, batch: b + 1, what: problem)
        }
        sums.lossSum += pass.lossSum
        sums.correct += pass.correct
        sums.count += pass.count
        let now = MonotonicClock.seconds()
        let rate = Double(sums.count) / max(1e-9, now - epochStart)
        // In Double: a huge epoch count must not overflow an estimate.
        let remaining =
          (Double(options.epochs - e - 1) * Double(data.count) + Double(data.count - sums.count)) / max(1e-9, rate)
        monitor.batchFinished(
          TrainingProgress(
            epoch: e + 1, epochs: options.epochs, batch: b + 1, batches: batches,
            loss: sums.lossSum / Double(sums.count), accuracy: Double(sums.correct) / Double(sums.count),
            imagesPerSecond: rate, secondsLeft: remaining))
      }
      let seconds = MonotonicClock.seconds() - epochStart
      let record = EpochRecord(
        epoch: epoch, loss: sums.lossSum / Double(max(1, sums.count)),
        accuracy: Double(sums.correct) / Double(max(1, sums.count)), learningRate: lr,
        seconds: seconds, imagesPerSecond: Double(sums.count) / max(1e-9, seconds))
      history.append(record)
      monitor.epochFinished(record, number: e + 1, of: options.epochs)
    }
    return .finished
  }
}
