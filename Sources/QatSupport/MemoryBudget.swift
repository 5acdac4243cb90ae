import Foundation

/// The one memory budget for everything a user sizes — images, models, batches, lists, strings, model
/// files (SPEC §8–§9): a user-controlled allocation is checked against it before it is made, and
/// refused with a located error instead of aborting the process.
public enum MemoryBudget {
  /// Bytes one user-sized allocation may take: half of physical memory, or `QAT_MEMORY_BUDGET`
  /// (bytes) when set, so tests can exercise refusals cheaply.
  public static let bytes: Int = {
    if let configured { return configured }
    let physical = ProcessInfo.processInfo.physicalMemory
    return Int(clamping: physical / 2)
  }()

  /// `QAT_MEMORY_BUDGET`, when it is set to a positive number of bytes.
  static let configured: Int? = {
    guard let text = ProcessInfo.processInfo.environment["QAT_MEMORY_BUDGET"], let value = Int(text), value > 0
    else { return nil }
    return value
  }()

  /// The product of `factors` (element counts, byte sizes), or nil when it overflows `Int` or a
  /// factor is negative.
  public static func product(_ factors: [Int]) -> Int? {
    var total = 1
    for factor in factors {
      guard factor >= 0 else { return nil }
      let (value, overflow) = total.multipliedReportingOverflow(by: factor)
      if overflow { return nil }
      total = value
    }
    return total
  }

  /// The sum of `terms`, or nil when it overflows.
  public static func sum(_ terms: [Int]) -> Int? {
    var total = 0
    for term in terms {
      let (value, overflow) = total.addingReportingOverflow(term)
      if overflow { return nil }
      total = value
    }
    return total
  }

  /// Whether `bytes` (nil: beyond `Int`) fits the budget (or `budget`, a smaller one set for a
  /// session or a test).
  public static func fits(_ bytes: Int?, budget: Int = MemoryBudget.bytes) -> Bool {
    guard let bytes else { return false }
    return bytes >= 0 && bytes <= budget
  }

  /// "needs 24 GB, more than the 12 GB budget (half the memory)": the reason part of a refusal.
  public static func excess(_ bytes: Int?, budget: Int = MemoryBudget.bytes) -> String {
    let needed = bytes.map { Units.bytes($0) } ?? "more bytes than a 64-bit size can count"
    let share = budget == self.bytes && configured == nil ? " (half the memory)" : ""
    return "needs \(needed), more than the \(Units.bytes(budget)) budget\(share)"
  }
}
