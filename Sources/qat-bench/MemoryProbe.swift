import Foundation

#if os(Linux)
  /// glibc's malloc_trim (not in the Glibc module's headers): returns freed heap pages to the system.
  @_silgen_name("malloc_trim") func mallocTrim(_ pad: Int) -> Int32
#endif

/// Peak resident memory from /proc (Linux): the benchmark's "peak RSS growth" of one call.
enum MemoryProbe {
  /// A field of /proc/self/status in bytes ("VmHWM", "VmRSS"), or nil where there is no /proc.
  static func status(_ field: String) -> Int? {
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
    for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
      let number = line.dropFirst(field.count + 1).split(whereSeparator: { $0 == " " || $0 == "\t" }).first.flatMap {
        Int($0)
      }
      return number.map { $0 * 1024 }
    }
    return nil
  }

  /// The peak RSS reached while `body` ran, above the RSS before it: freed heap is returned and the
  /// high-water mark reset first (writing 5 to /proc/self/clear_refs), so earlier sections do not
  /// hide it. Nil without /proc.
  static func peakGrowth(_ body: () throws -> Void) rethrows -> Int? {
    // Memory an earlier phase freed but the allocator kept would hide this phase's growth: give it back.
    #if os(Linux)
      _ = mallocTrim(0)
    #endif
    let reset = resetPeak()
    let before = status("VmRSS")
    try body()
    guard reset, let before, let peak = status("VmHWM") else { return nil }
    return max(0, peak - before)
  }

  /// Resets VmHWM to the current RSS (Linux 4.0 and later); false where that is not possible.
  static func resetPeak() -> Bool {
    let fd = open("/proc/self/clear_refs", O_WRONLY)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    return write(fd, "5", 1) == 1
  }

  /// User plus system CPU seconds of the whole process so far: on a loaded machine the wall time
  /// of a load varies with the other work, its CPU time much less.
  static func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) * 1e-6 }
    return seconds(usage.ru_utime) + seconds(usage.ru_stime)
  }

  /// "219.5 MB".
  static func megabytes(_ bytes: Int?) -> String {
    bytes.map { String(format: "%.1f MB", Double($0) / 1e6) } ?? "n/a"
  }
}
