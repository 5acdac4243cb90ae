import Foundation
import QatSupport

/// Tick positions for a chart axis: "nice" round numbers (1, 2, 2.5 or 5 × 10ᵏ apart) that
/// cover the data, so a reader can interpolate between labels at a glance.
struct AxisTicks: Equatable {
  /// The axis runs from `lower` to `upper`; both are ticks.
  var lower: Double
  var upper: Double
  /// The distance between neighbouring ticks.
  var step: Double
  /// The tick values from `lower` to `upper`, inclusive.
  var values: [Double]

  /// Ticks covering `low…high` with about `intervals` gaps between them.
  /// - Parameter clampToUnit: the data are fractions (accuracies): never run the axis past 0 or 1,
  ///   because "104 %" is a value accuracy cannot have.
  /// - Parameter integers: only whole-number steps (epochs, bits).
  static func nice(
    _ low: Double, _ high: Double, intervals: Int, clampToUnit: Bool = false,
    integers: Bool = false
  ) -> AxisTicks {
    var lo = low.isFinite ? low : 0
    var hi = high.isFinite ? high : 1
    if lo > hi { swap(&lo, &hi) }
    if hi - lo < 1e-12 {
      // A flat line still needs an axis: open a band around it so it sits in the middle.
      let pad = lo == 0 ? 1 : abs(lo) * 0.05
      lo -= pad
      hi += pad
    }
    let step = niceStep((hi - lo) / Double(max(1, intervals)), integers: integers)
    var first = (lo / step).rounded(.down) * step
    var last = (hi / step).rounded(.up) * step
    if clampToUnit {
      // 0 and 1 are multiples of every step below 1, so the clamped ends are still ticks.
      if low >= 0 { first = max(first, 0) }
      if high <= 1 { last = min(last, 1) }
    }
    // A span beyond Int (or not finite) cannot come from drawable data; one tick keeps it safe.
    let intervals = ((last - first) / step).rounded()
    let count = intervals.isFinite && intervals < 10_000 ? Int(intervals) + 1 : 1
    let values = (0..<max(1, count)).map { roundOff(first + Double($0) * step, step: step) }
    return AxisTicks(lower: values.first ?? first, upper: values.last ?? last, step: step, values: values)
  }

  /// The smallest of 1, 2, 2.5, 5, 10 × 10ᵏ that is at least `rough` (whole numbers only when
  /// `integers`, so epoch axes never show "2.5").
  static func niceStep(_ rough: Double, integers: Bool = false) -> Double {
    guard rough.isFinite, rough > 0 else { return 1 }
    if integers && rough <= 1 { return 1 }
    let magnitude = pow(10, (log10(rough)).rounded(.down))
    for factor in [1.0, 2, 2.5, 5, 10] where factor * magnitude >= rough * (1 - 1e-9) {
      if integers && (factor * magnitude).rounded() != factor * magnitude { continue }
      return factor * magnitude
    }
    return 10 * magnitude
  }

  /// `x` with the floating-point noise of repeated addition removed (0.30000000000000004 → 0.3).
  static func roundOff(_ x: Double, step: Double) -> Double {
    let scale = pow(10, Double(decimals(step) + 2))
    let r = (x * scale).rounded() / scale
    return r == 0 ? 0 : r  // no "−0"
  }

  /// How many decimals show `step` exactly (0.25 → 2, 5 → 0), at most 9.
  static func decimals(_ step: Double) -> Int {
    guard step.isFinite, step > 0 else { return 0 }
    var d = 0
    var scaled = step
    while d < 9 && abs(scaled - scaled.rounded()) > 1e-9 * max(1, abs(scaled)) {
      d += 1
      scaled *= 10
    }
    return d
  }
}

extension AxisFormat {
  /// A tick label: every tick of an axis shares the decimals its `step` needs, so labels line up
  /// ("80 %", "85 %", "90 %" rather than "80 %", "85.0 %").
  func tick(_ x: Double, step: Double, largest: Double) -> String {
    switch self {
    case .number:
      let big = max(abs(largest), abs(x))
      // Beyond giga, exponents keep the labels short (a label wider than the chart would break it).
      if big >= 1e12 { return Self.minus(String(format: "%.2g", x)) }
      if big >= 10_000 {
        let (scale, suffix) = big >= 1e9 ? (1e9, "G") : big >= 1e6 ? (1e6, "M") : (1e3, "k")
        return Self.fixed(x / scale, AxisTicks.decimals(step / scale)) + suffix
      }
      if big > 0 && big < 1e-3 { return Self.minus(String(format: "%.1e", x)) }
      return Self.fixed(x, AxisTicks.decimals(step))
    case .percent:
      return Self.fixed(x * 100, AxisTicks.decimals(step * 100)) + " %"
    case .bytes:
      let big = max(abs(largest), abs(x))
      let (scale, unit) = big >= 1e9 ? (1e9, "GB") : big >= 1e6 ? (1e6, "MB") : big >= 1e3 ? (1e3, "KB") : (1, "B")
      return Self.fixed(x / scale, AxisTicks.decimals(step / scale)) + " " + unit
    case .microseconds:
      let big = max(abs(largest), abs(x))
      let (scale, unit) = big >= 1e6 ? (1e6, "s") : big >= 1e3 ? (1e3, "ms") : (1, "µs")
      return Self.fixed(x / scale, AxisTicks.decimals(step / scale)) + " " + unit
    case .decibels:
      return Self.fixed(x, AxisTicks.decimals(step)) + " dB"
    }
  }

  /// One value written on its own (a bar's value, a tooltip), in the units tables use.
  public func value(_ x: Double) -> String {
    guard x.isFinite else { return x.isNaN ? "NaN" : (x > 0 ? "∞" : "-∞") }
    switch self {
    case .number: return Self.compact(x)
    case .percent: return Self.minus(Units.percent(x))
    case .bytes: return (x < 0 ? "-" : "") + Units.bytes(Int(abs(x).rounded()))
    case .microseconds:
      return (x < 0 ? "-" : "") + Units.duration(abs(x) / 1e6)
    case .decibels: return Self.fixed(x, 1) + " dB"
    }
  }

  /// Shortest readable number: integers as integers, others with three significant digits
  /// ("0.0523", "12.3", "1.5e-05").
  static func compact(_ x: Double) -> String {
    if x == x.rounded() && abs(x) < 1e15 { return minus(String(Int(x))) }
    let a = abs(x)
    if a >= 1e-3 && a < 1e6 {
      var text = String(format: "%.3g", x)
      if text.contains("e") { text = String(format: "%.1f", x) }
      return minus(text)
    }
    return minus(String(format: "%.2g", x))
  }

  /// `x` with `digits` decimals, and no minus sign on a zero.
  static func fixed(_ x: Double, _ digits: Int) -> String {
    let text = String(format: "%.\(max(0, digits))f", x)
    // "-0" and "-0.0" are zero; a minus there would suggest a negative value.
    if text.hasPrefix("-") && text.dropFirst().allSatisfy({ $0 == "0" || $0 == "." }) {
      return String(text.dropFirst())
    }
    return minus(text)
  }

  /// The one minus sign the language prints and reads back: the ASCII "-" printf writes.
  static func minus(_ text: String) -> String { text }
}

extension Double {
  /// A value a chart can place: finite, and small enough that spans between values stay finite
  /// (1e308 − (−1e308) is infinity). Larger values are left out like NaN, and shown as numbers only.
  var isDrawable: Bool { isFinite && magnitude <= 1e100 }
}
