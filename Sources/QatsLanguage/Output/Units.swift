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

/// Writes files so that a reader never sees half of one: a temporary file in the same directory,
/// fsync, then rename over the target (SPEC §9: nothing a user saved is ever left half-written).
public enum AtomicFile {
  /// The failure, with the path and what to do.
  public struct Failure: Error, CustomStringConvertible {
    public let description: String
  }

  public static func write(_ data: Data, to path: String) throws {
    let url = URL(fileURLWithPath: path)
    let dir = url.deletingLastPathComponent().path
    var isDir: ObjCBool = false
    guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
      throw Failure(description: "cannot write \(path): the directory \(dir) does not exist; create it first")
    }
    let temp = dir + "/." + url.lastPathComponent + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL, 0o644)
    guard fd >= 0 else {
      throw Failure(description: "cannot write \(path): \(String(cString: strerror(errno)))")
    }
    var ok = true
    data.withUnsafeBytes { raw in
      var offset = 0
      while offset < raw.count, let base = raw.baseAddress {
        let n = Foundation.write(fd, base + offset, raw.count - offset)
        if n <= 0 { if errno == EINTR { continue }; ok = false; return }
        offset += n
      }
    }
    let err = errno
    if ok { ok = fsync(fd) == 0 }
    close(fd)
    guard ok, rename(temp, path) == 0 else {
      let reason = String(cString: strerror(ok ? errno : err))
      unlink(temp)
      throw Failure(description: "cannot write \(path): \(reason)")
    }
  }
}
