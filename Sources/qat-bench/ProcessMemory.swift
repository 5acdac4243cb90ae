import Foundation

#if os(Linux)
  /// glibc's malloc_trim (not in the Glibc module's headers): returns freed heap pages to the system.
  @_silgen_name("malloc_trim") func mallocTrim(_ pad: Int) -> Int32
#endif

/// The process's resident memory from /proc (Linux), for peak-memory figures: the high-water mark is
/// reset before a phase (writing 5 to /proc/self/clear_refs) and read after it.
enum ProcessMemory {
  /// VmRSS and VmHWM in bytes (nil where /proc is missing).
  static func status() -> (resident: Int, peak: Int)? {
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
    var resident: Int?, peak: Int?
    for line in text.split(separator: "\n") {
      let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
      guard fields.count >= 2, let kilobytes = Int(fields[1]) else { continue }
      if fields[0] == "VmRSS:" { resident = kilobytes * 1024 }
      if fields[0] == "VmHWM:" { peak = kilobytes * 1024 }
    }
    guard let resident, let peak else { return nil }
    return (resident, peak)
  }

  /// Resets the high-water mark to the current resident size; false where the kernel refuses.
  @discardableResult
  static func resetPeak() -> Bool {
    guard let handle = FileHandle(forWritingAtPath: "/proc/self/clear_refs") else { return false }
    defer { try? handle.close() }
    return (try? handle.write(contentsOf: Data("5".utf8))) != nil
  }

  /// Bytes the resident size rose above its level at the start while `body` ran (its peak, not its
  /// end), or nil where it cannot be measured.
  static func peakGrowth(_ body: () throws -> Void) rethrows -> Int? {
    // Memory an earlier phase freed but the allocator kept would hide this phase's growth: give it back.
    #if os(Linux)
      _ = mallocTrim(0)
    #endif
    let resetWorked = resetPeak()
    let before = status()
    try body()
    guard resetWorked, let before, let after = status() else { return nil }
    return max(0, after.peak - before.resident)
  }
}
