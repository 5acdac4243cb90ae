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
      /// Something other than a regular file is already at the path (a device such as /dev/null, a
      /// pipe, a socket, a directory): replacing it would destroy it, so it is left alone.
      case notARegularFile
      /// A system call failed with this `errno`.
      case system(code: Int32)

      /// The reason in words, as it follows "cannot write 'PATH': ".
      public var message: String {
        switch self {
        case .namesADirectory: return "the path names a directory"
        case .missingDirectory(let directory):
          return "the directory '\(PrintableName.of(directory))' does not exist; create it first"
        case .notADirectory(let directory): return "'\(PrintableName.of(directory))' is not a directory"
        case .notARegularFile:
          return "something other than a regular file is there (a directory, device or pipe); choose a file name"
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

    public var description: String { "cannot write '\(PrintableName.of(path))': \(reason.message)" }
  }

  /// Writes `data` to `path` atomically. A symbolic link at `path` is followed and its target
  /// replaced (the link stays a link); an existing file keeps its permission bits. Stale
  /// temporary files of earlier writes into the same directory (`staleTemporaryFiles`) are
  /// removed first.
  public static func write(_ data: Data, to path: String) throws(Failure) {
    guard !split(path).name.isEmpty else { throw Failure(path: path, reason: .namesADirectory) }
    let target = try resolvingSymbolicLinks(path)
    let (directory, _) = split(target)
    if let problem = directoryProblem(directory) { throw Failure(path: path, reason: problem) }
    removeStaleTemporaryFiles(in: directory)
    // Only a regular file is ever replaced: renaming over /dev/null (as root) or a pipe would destroy it.
    // The mode of the file being replaced is kept; a new file gets the usual 0666 less the umask.
    var existing = stat()
    let exists = lstat(target, &existing) == 0
    if exists && (existing.st_mode & S_IFMT) != S_IFREG { throw Failure(path: path, reason: .notARegularFile) }
    let keptMode: mode_t? = exists ? existing.st_mode & 0o777 : nil
    // Hidden, unique per process and attempt, in the same directory so the rename is atomic, and
    // short, so that any name the file system allows still leaves room for it.
    let temp = "\(directory)/\(temporaryPrefix)\(getpid())-\(UInt32.random(in: 0...UInt32.max))\(temporarySuffix)"
    // A file that replaces a private one is private from the start, not only after the rename.
    let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, keptMode == nil ? 0o666 : 0o600)
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
      if let keptMode, fchmod(fd, keptMode) != 0 { throw failure(path, errno) }
      guard fsync(fd) == 0 else { throw failure(path, errno) }
    }
    guard rename(temp, target) == 0 else { throw failure(path, errno) }
    ok = true
    // Make the rename itself durable; a failure here still leaves a complete file, so it is ignored.
    let dirFD = open(directory, O_RDONLY | O_CLOEXEC)
    if dirFD >= 0 {
      _ = fsync(dirFD)
      close(dirFD)
    }
  }

  /// The start and end of every temporary file name: `.qat-PID-RANDOM.tmp`.
  static let temporaryPrefix = ".qat-"
  static let temporarySuffix = ".tmp"

  /// The file a write to `path` replaces: `path` itself, or the end of the chain of symbolic
  /// links starting there (relative targets are taken from the link's directory). The target
  /// need not exist yet. A chain of more than 40 links is refused as a loop.
  static func resolvingSymbolicLinks(_ path: String) throws(Failure) -> String {
    var current = path
    for _ in 0..<40 {
      var info = stat()
      guard lstat(current, &info) == 0, (info.st_mode & S_IFMT) == S_IFLNK else { return current }
      var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
      let length = readlink(current, &buffer, buffer.count - 1)
      guard length > 0 else { throw failure(path, length == 0 ? ENOENT : errno) }
      let link = String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
      current = link.hasPrefix("/") ? link : split(current).directory + "/" + link
    }
    throw failure(path, ELOOP)
  }

  /// Whether the directory entry `name` is a temporary file this writer made (`.qat-PID-RANDOM.tmp`)
  /// or an earlier version of it made (`.NAME.PID.RANDOM.tmp`), and if so the process that made it.
  static func temporaryFileOwner(_ name: String) -> pid_t? {
    guard name.hasPrefix("."), name.hasSuffix(temporarySuffix) else { return nil }
    let stem = name.dropFirst().dropLast(temporarySuffix.count)
    /// The PID when `fields` are a PID and a 32-bit random number, both in decimal.
    func owner(_ fields: [Substring]) -> pid_t? {
      guard fields.count == 2, fields.allSatisfy({ !$0.isEmpty && $0.allSatisfy { ("0"..."9").contains($0) } }),
        let pid = pid_t(fields[0]), pid > 0, UInt32(fields[1]) != nil
      else { return nil }
      return pid
    }
    if stem.hasPrefix("qat-"),
      let pid = owner(stem.dropFirst(4).split(separator: "-", omittingEmptySubsequences: false))
    {
      return pid
    }
    // The earlier pattern: a NAME, then the PID and the random number, each after a dot.
    let parts = stem.split(separator: ".", omittingEmptySubsequences: false)
    guard parts.count >= 3, !parts.dropLast(2).joined(separator: ".").isEmpty else { return nil }
    return owner(Array(parts.suffix(2)))
  }

  /// Temporary files older than this are removed even when their process still runs.
  static let staleAge: Double = 3600

  /// The temporary files in `directory` left by writes that never finished (the process was
  /// killed between creating and renaming one): ours by name, regular files of this user, whose
  /// process is gone or which are older than an hour.
  static func staleTemporaryFiles(in directory: String, now: Double = Date().timeIntervalSince1970) -> [String] {
    guard let handle = opendir(directory) else { return [] }
    defer { closedir(handle) }
    var stale: [String] = []
    while let entry = readdir(handle) {
      let bytes = withUnsafeBytes(of: entry.pointee.d_name) { raw in Array(raw.prefix { $0 != 0 }) }
      guard bytes.first == UInt8(ascii: "."), let name = String(validating: bytes, as: UTF8.self),
        let pid = temporaryFileOwner(name)
      else { continue }
      let path = directory + "/" + name
      var info = stat()
      guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, info.st_uid == geteuid() else { continue }
      let modified = Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9
      let processGone = kill(pid, 0) != 0 && errno == ESRCH
      if processGone || now - modified > staleAge { stale.append(path) }
    }
    return stale.sorted()
  }

  /// Removes `staleTemporaryFiles(in:)`; a file that cannot be removed is left.
  static func removeStaleTemporaryFiles(in directory: String) {
    for path in staleTemporaryFiles(in: directory) { unlink(path) }
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
