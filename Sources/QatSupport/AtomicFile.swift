import Foundation

/// Writes files so that a reader never sees half of one: a temporary file in the same directory,
/// fsync, rename over the target, then fsync the directory (SPEC §9: nothing a user saved is ever
/// left half-written). POSIX calls, because Foundation's atomic write does not promise the fsync.
public enum AtomicFile {
  /// Why a write failed; the description names the path and says what to do.
  public struct Failure: Error, CustomStringConvertible {
    public let description: String
  }

  public static func write(_ data: Data, to path: String) throws {
    let (directory, name) = split(path)
    guard !name.isEmpty else { throw Failure(description: "cannot write '\(path)': the path names a directory") }
    var info = stat()
    guard stat(directory, &info) == 0 else {
      throw Failure(description: "cannot write '\(path)': the directory '\(directory)' does not exist; create it first")
    }
    guard (info.st_mode & S_IFMT) == S_IFDIR else {
      throw Failure(description: "cannot write '\(path)': '\(directory)' is not a directory")
    }
    // Hidden, unique per process and attempt, and in the same directory so the rename is atomic.
    let temp = "\(directory)/.\(name).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
    let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
    guard fd >= 0 else { throw failure(path, errno) }
    var ok = false
    defer { if !ok { unlink(temp) } }
    do {
      defer { close(fd) }
      try data.withUnsafeBytes { raw in
        var offset = 0
        while offset < raw.count, let base = raw.baseAddress {
          let written = Foundation.write(fd, base + offset, raw.count - offset)
          if written < 0 {
            if errno == EINTR { continue }
            throw failure(path, errno)
          }
          offset += written
        }
      }
      guard fsync(fd) == 0 else { throw failure(path, errno) }
    }
    guard rename(temp, path) == 0 else { throw failure(path, errno) }
    ok = true
    // Make the rename itself durable; a failure here still leaves a complete file, so it is ignored.
    let dirFD = open(directory, O_RDONLY | O_CLOEXEC)
    if dirFD >= 0 {
      _ = fsync(dirFD)
      close(dirFD)
    }
  }

  /// `"a/b/c.html"` → (`"a/b"`, `"c.html"`); `"c.html"` → (`"."`, `"c.html"`); `"/c"` → (`"/"`, `"c"`).
  public static func split(_ path: String) -> (directory: String, name: String) {
    guard let slash = path.lastIndex(of: "/") else { return (".", path) }
    let directory = String(path[..<slash])
    return (directory.isEmpty ? "/" : directory, String(path[path.index(after: slash)...]))
  }

  static func failure(_ path: String, _ code: Int32) -> Failure {
    Failure(description: "cannot write '\(path)': \(String(cString: strerror(code)))")
  }
}
