import Foundation

/// Numbers with units, formatted the same way everywhere (SPEC §7: numbers carry units).
public enum Units {
  /// "850 ns", "12.3 µs", "4.56 ms", "1.52 s", "2 min 05 s".
  public static func duration(_ seconds: Double) -> String {
    guard seconds.isFinite, seconds >= 0 else { return "—" }
    if seconds < 1e-6 { return String(format: "%.0f ns", seconds * 1e9) }
    if seconds < 1e-3 { return significant(seconds * 1e6) + " µs" }
    if seconds < 1 { return significant(seconds * 1e3) + " ms" }
    if seconds < 120 { return significant(seconds) + " s" }
    let whole = Int(seconds.rounded())
    return "\(whole / 60) min \(String(format: "%02d", whole % 60)) s"
  }

  /// "512 B", "24.7 KB", "3.10 MB" (powers of 1000, as file managers show).
  public static func bytes(_ count: Int) -> String {
    let c = Double(count)
    if count < 1000 { return "\(count) B" }
    if c < 1e6 { return significant(c / 1e3) + " KB" }
    if c < 1e9 { return significant(c / 1e6) + " MB" }
    return significant(c / 1e9) + " GB"
  }

  /// Three significant digits, without trailing zeros beyond one decimal ("12.3", "4.56", "123").
  public static func significant(_ x: Double) -> String {
    if x >= 100 { return String(format: "%.0f", x) }
    if x >= 10 { return String(format: "%.1f", x) }
    return String(format: "%.2f", x)
  }
}

extension Units {
  /// "6,186": thousands separated by commas.
  public static func grouped(_ n: Int) -> String {
    let digits = String(n.magnitude)
    var out = ""
    for (i, ch) in digits.enumerated() {
      if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
      out.append(ch)
    }
    return (n < 0 ? "-" : "") + out
  }

  /// "98.61 %" for 0.9861 (two decimals: one test image in 360 is 0.28 points).
  public static func percent(_ fraction: Double) -> String {
    guard fraction.isFinite else { return "—" }
    return String(format: "%.2f %%", fraction * 100)
  }

  /// "52.3 k img/s".
  public static func imageRate(_ perSecond: Double) -> String {
    guard perSecond.isFinite, perSecond >= 0 else { return "—" }
    if perSecond >= 1e6 { return significant(perSecond / 1e6) + " M img/s" }
    if perSecond >= 1e3 { return significant(perSecond / 1e3) + " k img/s" }
    return significant(perSecond) + " img/s"
  }
}

extension Units {
  /// `x` with `digits` decimals; "NaN", "inf" or "-inf" for values that are not finite (printf
  /// would write "-nan" for some NaNs).
  public static func fixed(_ x: Double, digits: Int) -> String {
    if x.isNaN { return "NaN" }
    if x.isInfinite { return x > 0 ? "inf" : "-inf" }
    return String(format: "%.\(digits)f", x)
  }
}

extension Units {
  /// A loss with four significant digits, `%#.4g`-style: "0.5967", "0.1690", "0.0008127",
  /// "1.234e+30", so a small loss never reads "0.0000" and a diverged one never runs to 30 digits.
  public static func loss(_ x: Double) -> String {
    if x.isNaN { return "NaN" }
    if x.isInfinite { return x > 0 ? "inf" : "-inf" }
    return String(format: "%#.4g", x)
  }
}
