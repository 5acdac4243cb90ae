import Foundation
import Testing

@testable import QatEngine

/// The observers: running min/max (plain and moving average, per tensor and per channel), the
/// histogram, PyTorch's L2 range search and the percentile range, against hand-computed values.
@Suite struct ObserverTests {
  // MARK: - Running ranges

  @Test func minMaxOverSeveralBatches() {
    var t = RangeTracker()
    #expect(t.isEmpty && t.min == .infinity && t.max == -.infinity)
    t.observe(min: -1, max: 1)
    t.observe(min: -3, max: 0.5)
    t.observe(min: 0.2, max: 4)
    #expect(t.min == -3 && t.max == 4 && !t.isEmpty)
    // An empty batch (qk_min_max's +inf/−inf) or NaN extremes change nothing.
    t.observe(min: .infinity, max: -.infinity)
    t.observe(min: .nan, max: 10)
    #expect(t.min == -3 && t.max == 4)
    // A whole batch at once.
    let batch: [Float] = [3, -7, 5, .nan]
    t.observe(batch, count: batch.count)
    #expect(t.min == -7 && t.max == 5)
    t.reset()
    #expect(t.isEmpty)
  }

  @Test func movingAverageStartsAtTheFirstBatchThenMovesOnePercent() {
    var t = RangeTracker(averagingConstant: 0.01)
    // An empty batch before anything was seen leaves it empty (PyTorch returns early on empty input).
    t.observe(min: .infinity, max: -.infinity)
    #expect(t.isEmpty)
    t.observe(min: -1, max: 1)
    #expect(t.min == -1 && t.max == 1)
    // min = −1 + 0.01·(−3 − (−1)) = −1.02; max = 1 + 0.01·(2 − 1) = 1.01 (float32, as PyTorch).
    t.observe(min: -3, max: 2)
    #expect(t.min == -1.02 && t.max == 1.01)
    // min = −1.02 + 0.01·(0 + 1.02) = −1.0098; max = 1.01 + 0.01·(0 − 1.01) = 0.9999.
    t.observe(min: 0, max: 0)
    #expect(t.min == -1.0098 && t.max == 0.9999)
    // The float32 expression PyTorch evaluates, written out.
    let c = Float(0.01)
    #expect(t.min == Float(-1.02) + c * (0 - Float(-1.02)))
  }

  @Test func perChannelMinMax() {
    var t = ChannelRangeTracker(channels: 3)
    #expect(t.isEmpty && t.channels == 3)
    t.observe(mins: [-1, -2, 0], maxs: [1, 2, 0.5])
    t.observe(mins: [-3, -1, 1], maxs: [0, 3, 2])
    #expect(t.mins == [-3, -2, 0] && t.maxs == [1, 3, 2])
    #expect(t[1].min == -2 && !t.isEmpty)
    t.reset()
    #expect(t.isEmpty)
  }

  @Test func perChannelMovingAverage() {
    var t = ChannelRangeTracker(channels: 3, averagingConstant: 0.01)
    t.observe(mins: [-1, -2, 0], maxs: [1, 2, 0.5])
    #expect(t.mins == [-1, -2, 0] && t.maxs == [1, 2, 0.5])
    t.observe(mins: [-3, -1, 1], maxs: [0, 3, 2])
    // ch0: −1 + 0.01·(−2) = −1.02, 1 + 0.01·(−1) = 0.99; ch1: −2 + 0.01·1 = −1.99, 2 + 0.01·1 = 2.01;
    // ch2: 0 + 0.01·1 = 0.01, 0.5 + 0.01·1.5 = 0.515 — each exactly as float32 rounds those decimals.
    #expect(t.mins == [-1.02, -1.99, 0.01])
    #expect(t.maxs == [0.99, 2.01, 0.515])
  }

  // MARK: - Histogram

  @Test func histogramCountsAndMerges() {
    var a = Histogram(lower: 0, upper: 4, bins: 4)
    let xs: [Float] = [0, 1, 1.5, 4, 9, -1]
    a.add(xs, count: xs.count)
    #expect(a.counts == [1, 2, 0, 1] && a.total == 4 && a.bins == 4)
    var b = Histogram(lower: 0, upper: 4, bins: 4)
    b.add([Float(3.5)], count: 1)
    #expect(a.merged(with: b)?.counts == [1, 2, 0, 2])
    #expect(a.merged(with: Histogram(lower: 0, upper: 5, bins: 4)) == nil)
    #expect(a.merged(with: Histogram(lower: 0, upper: 4, bins: 8)) == nil)
    #expect(Histogram(lower: 0, upper: 1).bins == Histogram.defaultBins)
  }

  // MARK: - L2 range search

  @Test func quantizationErrorIsTheIntegralOfTheSquaredDistance() {
    // 4 bins of width 1 over [0, 4], 2 levels over bins 0…3: destination bins [0, 2) and [2, 4),
    // centres 1 and 3. Bin 1 holds 3 values spread over [1, 2]: ∫₁² 3·(x − 1)² dx = 1.
    let one = L2Search(counts: [0, 3, 0, 0], binWidth: 1, levels: 2)
    #expect(abs(one.error(start: 0, end: 3) - 1) < Tolerance.float64Formula)
    // Range bins 0…1 ([0, 2], destination centres 0.5 and 1.5): bin 3 ([3, 4]) lies beyond it and is
    // charged against the last centre 1.5: ∫₃⁴ 2·(x − 1.5)² dx = 2·(2.5³ − 1.5³)/3 = 49/6.
    let clipped = L2Search(counts: [0, 0, 0, 2], binWidth: 1, levels: 2)
    #expect(abs(clipped.error(start: 0, end: 1) - 49.0 / 6) < Tolerance.float64Formula)
    // Python-style floor division, as PyTorch's div(…, rounding_mode: "floor").
    #expect(L2Search.floorDivide(7, 2) == 3 && L2Search.floorDivide(-7, 2) == -4 && L2Search.floorDivide(-0.5, 2) == -1)
    #expect(L2Search.floorDivide(0.3, 0.1) == 2)  // 0.3/0.1 = 2.9999999999999996 in Double
  }

  @Test func uniformHistogramLosesOnlyItsLastBin() {
    // PyTorch's search always accepts its first candidate (the best error so far starts at +inf):
    // on a flat histogram the first move cuts the last bin (its cumulative count is above the
    // 1 − 1e−5 quantile), and every later candidate has a larger error, so the search stops there.
    // Replaying PyTorch's algorithm in float32 and in float64 gives the same for 2, 4 and 8 bits.
    var h = Histogram(lower: 0, upper: 2048)
    h.counts = Array(repeating: 10, count: 2048)
    for bits in [2, 4, 8] {
      let r = h.l2OptimalRange(bits: bits)
      #expect(r.min == 0 && r.max == 2047, "\(bits) bits: \(r)")
    }
    var unit = Histogram(lower: 0, upper: 1)
    unit.counts = Array(repeating: 10, count: 2048)
    #expect(unit.l2OptimalRange(bits: 8) == (0, 1 - 1 / 2048))
  }

  @Test func outliersAreCutAtLowBitWidths() {
    // A tight cluster (bins 1000…1047, 5,000 values each) and one outlier at each end, over [0, 2048]
    // (bins of width 1). Total 240,002, so the 1e−5 quantile step is 2.4 values.
    var h = Histogram(lower: 0, upper: 2048)
    for b in 1000...1047 { h.counts[b] = 5000 }
    h.counts[0] = 1
    h.counts[2047] = 1
    // First move: the upper edge. Walking down from bin 2047 while the cumulative count exceeds
    // (1 − 1e−5)·240,002 = 239,999.6 passes bin 1047 too (its cumulative count is 240,001), so the
    // candidate is bins 0…1046. Second move: the lower edge jumps to bin 1000, the first bin whose
    // cumulative count reaches 2.4 — the left outlier is gone. Cutting bin 1046 next raises the
    // error, so the search stops at bins 1000…1046: [1000, 1047].
    #expect(h.l2OptimalRange(bits: 2) == (1000, 1047))
    #expect(h.l2OptimalRange(bits: 4) == (1000, 1047))
    // At 8 bits the grid is fine enough that the left outlier's clipping error (~1000² per value)
    // outweighs the finer steps on the cluster: only the upper side is cut.
    #expect(h.l2OptimalRange(bits: 8) == (0, 1047))
  }

  @Test func bellShapedHistogramMatchesPyTorchsAlgorithm() {
    // counts[b] = ⌊1000·exp(−((b − 1024)/200)²)⌋ plus outliers in bins 3 and 2040, over [−4, 4].
    // Expected ranges: PyTorch's _non_linear_param_search replayed step by step in numpy (float32
    // tensors as PyTorch, and float64 as here: both give these). Lower bit widths clip harder; the
    // result is lopsided because the lower edge only moves when it would cut more bins than the upper.
    var h = Histogram(lower: -4, upper: 4)
    for b in 0..<2048 {
      let t = Double(b - 1024) / 200
      h.counts[b] = Int64(1000 * exp(-(t * t)))
    }
    h.counts[3] += 2
    h.counts[2040] += 1
    #expect(h.total == 353_891)
    #expect(h.l2OptimalRange(bits: 2) == (-1.8125, 1.109375))
    #expect(h.l2OptimalRange(bits: 3) == (-1.8125, 1.28515625))
    #expect(h.l2OptimalRange(bits: 4) == (-1.8125, 1.453125))
    #expect(h.l2OptimalRange(bits: 8) == (-2.046875, 2.04296875))
  }

  @Test func degenerateHistogramsKeepTheirRange() {
    // Nothing counted: the whole range, as PyTorch's search (which then moves nothing) returns.
    #expect(Histogram(lower: -1, upper: 1).l2OptimalRange(bits: 8) == (-1, 1))
    // A single value (lower == upper): bin width 0, so every candidate maps back to that value.
    var single = Histogram(lower: 3, upper: 3)
    single.add([Float(3), 3], count: 2)
    #expect(single.l2OptimalRange(bits: 8) == (3, 3))
    #expect(single.percentileRange() == (3, 3))
  }

  // MARK: - Percentile range

  @Test func percentileOfTenThousandValues() {
    // 0, 1, …, 9999 over [0, 9999] in 2048 bins of width w = 9999/2048 = 4.88232421875. The last bin
    // starts at 2047·w = 9994.12 and holds 9995…9999 (5 values, 9,995 below it). The 99.99 % point is
    // rank 0.9999·10,000 = 9,999, i.e. 4/5 into the last bin: w·2047.8 = 9998.0235…
    var h = Histogram(lower: 0, upper: 9999)
    let values = (0..<10_000).map(Float.init)
    h.add(values, count: values.count)
    #expect(h.counts[2047] == 5 && h.counts[0] == 5 && h.total == 10_000)
    let r = h.percentileRange()
    #expect(r.max == Float(9999.0 / 2048 * 2047.8))
    #expect(abs(r.max - 9998.0235) < Tolerance.float32NearTenThousand)
    // No negative values: the lower bound is the data's lower edge.
    #expect(r.min == 0)
    // 100 % keeps the outermost non-empty bins' edges.
    #expect(h.percentileRange(100) == (0, 9999))
  }

  @Test func percentileOfDataAroundZero() {
    // −5000 … 4999 over [−5000, 4999]: the same bins shifted. Lower bound: rank 0.01 % · 10,000 = 1,
    // 1/5 into bin 0 (which holds −5000 … −4996): −5000 + w·0.2 = −4999.0235…; upper: −5000 + w·2047.8.
    var h = Histogram(lower: -5000, upper: 4999)
    let values = (0..<10_000).map { Float($0 - 5000) }
    h.add(values, count: values.count)
    let r = h.percentileRange()
    #expect(abs(r.min - -4999.0235) < Tolerance.float32NearTenThousand)
    #expect(abs(r.max - 4998.0235) < Tolerance.float32NearTenThousand)
    #expect(h.percentileRange(100) == (-5000, 4999))
  }

  @Test func percentileInterpolatesInsideTheBin() {
    // 10 bins of width 1 over [−5, 5], 10 values each. The 90 % point is rank 90: bin 8 is the first
    // whose cumulative count (90) reaches it, at its far end: −5 + 9 = 4. The 10 % point: rank 10, the
    // end of bin 0: −4. The 95 % point: rank 95, half-way into bin 9: 4.5.
    var h = Histogram(lower: -5, upper: 5, bins: 10)
    h.counts = Array(repeating: 10, count: 10)
    #expect(h.percentileRange(90) == (-4, 4))
    #expect(h.percentileRange(95) == (-4.5, 4.5))
    // Percentiles below 50 are read as 50: both bounds meet at the median.
    #expect(h.percentileRange(10) == (0, 0))
    // Empty: the histogram's own range.
    #expect(Histogram(lower: -2, upper: 7, bins: 10).percentileRange() == (-2, 7))
  }

  @Test func observerKindsNameTheirOptions() {
    #expect(
      ObserverKind.allCases.map(\.rawValue) == ["minmax", "moving_average", "histogram", "percentile", "mse", "kl"])
    #expect(ObserverKind(rawValue: "moving_average") == .movingAverage)
    #expect(ObserverKind.allCases.allSatisfy { !$0.summary.isEmpty && !$0.summary.contains("\n") })
  }
}
