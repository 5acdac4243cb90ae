import QatSupport

/// Honest inference timings for `compare` and `sweep`: warmed up, repeated, the median reported,
/// and the same conditions for every model (batch 1 on one thread; batch 256 on the session's
/// threads). Each measurement runs until a time budget is spent (with a floor on the run count),
/// so fast and slow models both get a stable median without a fixed, slow repetition count.
public enum InferenceTiming {
  /// One timing: the median seconds per run and how many runs it came from.
  public struct Measurement: Sendable, Equatable {
    public var seconds: Double
    public var runs: Int
  }

  /// Median seconds of one batch-1 inference of `image` (a one-image set) on one thread.
  /// - Parameters:
  ///   - budget: seconds to spend timing after warm-up (at least `minimumRuns` runs are made).
  ///   - stop: checked between runs; returning true ends the measurement early (Ctrl-C).
  public static func latency(
    _ program: InferenceProgram, image: LabeledImages, budget: Double = 0.08,
    minimumRuns: Int = 15, stop: () -> Bool = { false }
  ) -> Measurement {
    let single = WorkerPool.shared(threads: 1)
    var predictions: [Int32] = []
    return median(budget: budget, warmup: 10, minimumRuns: minimumRuns, stop: stop) {
      _ = program.evaluate(image, pool: single, batch: 1, predictions: &predictions, logits: nil)
    }
  }

  /// Images per second at batch 256: the median time of one pass over `batch` (256 images) on
  /// `threads` threads.
  public static func throughput(
    _ program: InferenceProgram, batch: LabeledImages, threads: Int, budget: Double = 0.15,
    minimumRuns: Int = 5, stop: () -> Bool = { false }
  ) -> (imagesPerSecond: Double, runs: Int) {
    let pool = WorkerPool.shared(threads: threads)
    var predictions: [Int32] = []
    let m = median(budget: budget, warmup: 2, minimumRuns: minimumRuns, stop: stop) {
      _ = program.evaluate(batch, pool: pool, batch: batch.count, predictions: &predictions, logits: nil)
    }
    return (m.seconds > 0 ? Double(batch.count) / m.seconds : 0, m.runs)
  }

  /// `count` images taken from `data` in order, wrapping around when it has fewer: the batch the
  /// throughput is measured on.
  public static func batch(from data: LabeledImages, count: Int = 256) -> LabeledImages {
    guard data.count > 0 else { return data }
    return data.subset((0..<count).map { $0 % data.count })
  }

  static func median(budget: Double, warmup: Int, minimumRuns: Int, stop: () -> Bool, _ body: () -> Void) -> Measurement
  {
    for _ in 0..<warmup { body() }
    var times: [Double] = []
    let start = MonotonicClock.seconds()
    while times.count < minimumRuns || MonotonicClock.seconds() - start < budget {
      if stop() || times.count >= 100_000 { break }
      let t0 = MonotonicClock.seconds()
      body()
      times.append(MonotonicClock.seconds() - t0)
    }
    guard !times.isEmpty else { return Measurement(seconds: 0, runs: 0) }
    times.sort()
    return Measurement(seconds: times[times.count / 2], runs: times.count)
  }
}
