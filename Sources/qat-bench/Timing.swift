import QatSupport

/// Wall-clock timing for the benchmark: medians of repeated runs, never a single sample.
enum Timing {
  /// The median time of `runs` calls of `body` (after `warmup` untimed calls).
  static func median(runs: Int, warmup: Int = 1, _ body: () throws -> Void) rethrows -> Double {
    for _ in 0..<warmup { try body() }
    var times: [Double] = []
    for _ in 0..<runs {
      let start = MonotonicClock.seconds()
      try body()
      times.append(MonotonicClock.seconds() - start)
    }
    times.sort()
    return times[times.count / 2]
  }
}

/// Fixed-width rows for the benchmark's report.
struct ReportTable {
  var rows: [[String]] = []

  mutating func add(_ cells: String...) { rows.append(cells) }

  func render() -> String {
    let widths = (0..<(rows.map(\.count).max() ?? 0)).map { c in rows.map { c < $0.count ? $0[c].count : 0 }.max() ?? 0
    }
    return rows.map { row in
      row.enumerated().map { c, cell in
        c == 0
          ? cell + String(repeating: " ", count: widths[c] - cell.count)
          : String(repeating: " ", count: widths[c] - cell.count) + cell
      }.joined(separator: "  ")
    }.joined(separator: "\n")
  }
}

/// "367.2 k/s", "5,000".
func rate(_ perSecond: Double) -> String {
  perSecond >= 1e6
    ? String(format: "%.2f M/s", perSecond / 1e6)
    : perSecond >= 1e3 ? String(format: "%.1f k/s", perSecond / 1e3) : String(format: "%.0f /s", perSecond)
}
