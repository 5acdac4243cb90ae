import Foundation

/// Writes files so that a reader never sees half of one: a temporary file in the same directory,
/// fsync, rename over the target, then fsync the directory (SPEC §9: nothing a user saved is ever
/// left half-written). POSIX calls, because Foundation's atomic write does not promise the fsync.
public enum AtomicFile {
  /// Why a write failed: the path, and the reason as a case; the description names both and says
  /// what to do.
  public struct Failure: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Reason: Sendable, Equatable {
      /// The path ends in "/", so it names a directory rather than a file in one.
      case namesADirectory
      /// The directory the file would go in (given) does not exist.
      case missingDirectory(String)
      /// What would be the file's directory (given) is something else, a file say.
      case notADirectory(String)
      /// A system call failed with this `errno`.
      case system(code: Int32)

      /// The reason in words, as it follows "cannot write 'PATH': ".
      public var message: String {
        switch self {
        case .namesADirectory: return "the path names a directory"
        case .missingDirectory(let directory): return "the directory '\(directory)' does not exist; create it first"
        case .notADirectory(let directory): return "'\(directory)' is not a directory"
        case .system(let code): return String(cString: strerror(code))
        }
      }
    }

    /// The file that was to be written.
    public let path: String
    public let reason: Reason

    public init(path: String, reason: Reason) {
      self.path = path
      self.reason = reason
    }

    public var description: String { "cannot write '\(path)': \(reason.message)" }
  }

  public static func write(_ data: Data, to path: String) throws(Failure) {
    let (directory, name) = split(path)
    guard !name.isEmpty else { throw Failure(path: path, reason: .namesADirectory) }
    if let problem = directoryProblem(directory) { throw Failure(path: path, reason: problem) }
    // Hidden, unique per process and attempt, and in the same directory so the rename is atomic.
    let temp = "\(directory)/.\(name).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
    let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
    guard fd >= 0 else { throw failure(path, errno) }
    var ok = false
    defer { if !ok { unlink(temp) } }
    do {
      defer { close(fd) }
      // The errno of a failed write(2), or nil when every byte was written.
      let writeError: Int32? = data.withUnsafeBytes { raw in
        var offset = 0
        while offset < raw.count, let base = raw.baseAddress {
          let written = Foundation.write(fd, base + offset, raw.count - offset)
          if written < 0 {
            if errno == EINTR { continue }
            return errno
          }
          offset += written
        }
        return nil
      }
      if let writeError { throw failure(path, writeError) }
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

  /// Why no file can be written in `directory` (`.missingDirectory` or `.notADirectory`), or nil
  /// when it is a directory. `write` asks this after refusing a path that names a directory.
  public static func directoryProblem(_ directory: String) -> Failure.Reason? {
    var info = stat()
    guard stat(directory, &info) == 0 else { return .missingDirectory(directory) }
    guard (info.st_mode & S_IFMT) == S_IFDIR else { return .notADirectory(directory) }
    return nil
  }

  /// `"a/b/c.html"` → (`"a/b"`, `"c.html"`); `"c.html"` → (`"."`, `"c.html"`); `"/c"` → (`"/"`, `"c"`).
  public static func split(_ path: String) -> (directory: String, name: String) {
    guard let slash = path.lastIndex(of: "/") else { return (".", path) }
    let directory = String(path[..<slash])
    return (directory.isEmpty ? "/" : directory, String(path[path.index(after: slash)...]))
  }

  static func failure(_ path: String, _ code: Int32) -> Failure {
    Failure(path: path, reason: .system(code: code))
  }
}
