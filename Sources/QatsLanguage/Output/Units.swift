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
