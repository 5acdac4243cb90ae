import Foundation
import QatSupport

/// The file system side: reading with errors for each way a path can be wrong, and atomic writes.
enum ModelFileIO {
  /// The bytes of the regular file at `path`. Only the first chunk of a file that does not start
  /// with the signature is read, so pointing `load` at a large foreign file costs nothing. A model
  /// file's size is checked against the length its header gives, and that length against `budget`,
  /// before the rest is read: a crafted 10 GB file is refused after its first chunk.
  static func read(path: String, budget: Int = MemoryBudget.bytes) throws(ModelFileError) -> [UInt8] {
    func refuse(_ kind: ModelFileError.Kind, _ reason: String, _ hint: String?) -> ModelFileError {
      ModelFileError(kind, path: path, reason: reason, hint: hint)
    }
    func refuseKind(_ mode: mode_t) -> ModelFileError? {
      switch mode & S_IFMT {
      case S_IFREG: return nil
      case S_IFDIR:
        return refuse(.notAFile, "it is a directory", "give the path of a .\(ModelFile.fileExtension) file inside it")
      default:
        return refuse(
          .notAFile, "it is not a regular file (\(fileKind(mode)))",
          "give the path of a saved .\(ModelFile.fileExtension) file")
      }
    }
    // The kind first, by stat: opening a named pipe would wait for a writer, with Ctrl-C unheard.
    var info = stat()
    guard stat(path, &info) == 0 else { throw openFailure(errno, path: path) }
    if let refusal = refuseKind(info.st_mode) { throw refusal }
    // Non-blocking, in case the file was replaced by a pipe since; a regular file reads the same.
    let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
    guard fd >= 0 else { throw openFailure(errno, path: path) }
    defer { close(fd) }
    guard fstat(fd, &info) == 0 else { throw refuse(.unreadable, String(cString: strerror(errno)), nil) }
    if let refusal = refuseKind(info.st_mode) { throw refusal }

    var bytes: [UInt8] = []
    let size = max(0, Int(info.st_size))
    var reserved = false
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
      let n = chunk.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress, $0.count) }
      if n < 0 {
        if errno == EINTR { continue }
        throw refuse(.unreadable, "reading failed: \(String(cString: strerror(errno)))", nil)
      }
      if n == 0 { break }
      bytes.append(contentsOf: chunk[0..<n])
      if bytes.count >= ModelFile.magic.count, !reserved {
        // Enough to tell a foreign file: the decoder names it from these bytes.
        guard bytes.starts(with: ModelFile.magic) else { break }
      }
      if bytes.count >= ModelFile.headerSize, !reserved {
        // A damaged header is named by the decoder from these bytes alone.
        guard let length = ModelFile.headerLength(bytes), length >= UInt64(ModelFile.headerSize + ModelFile.trailerSize)
        else { break }
        if let refusal = ModelFile.sizeRefusal(size: size, length: length, budget: budget, path: path) {
          throw refusal
        }
        // Only a file that starts like a model file, and is as long as it says, gets room for all of it.
        bytes.reserveCapacity(size)
        reserved = true
      }
    }
    return bytes
  }

  /// Why `path` could not be stat'ed or opened, as the error `read` throws.
  static func openFailure(_ code: Int32, path: String) -> ModelFileError {
    switch code {
    case ENOENT, ENOTDIR:
      return ModelFileError(
        .notFound, path: path, reason: "no such file",
        hint: "check the path (relative paths start from \(FileManager.default.currentDirectoryPath))")
    case EACCES, EPERM:
      return ModelFileError(
        .unreadable, path: path, reason: "permission denied",
        hint: "make the file readable (chmod +r) or copy it somewhere you can read")
    case EISDIR:
      return ModelFileError(
        .notAFile, path: path, reason: "it is a directory",
        hint: "give the path of a .\(ModelFile.fileExtension) file inside it")
    default:
      return ModelFileError(.unreadable, path: path, reason: String(cString: strerror(code)))
    }
  }

  /// "a named pipe (FIFO)", "a socket", "a device": what a file that is not regular is.
  static func fileKind(_ mode: mode_t) -> String {
    switch mode & S_IFMT {
    case S_IFIFO: return "a named pipe (FIFO)"
    case S_IFSOCK: return "a socket"
    case S_IFCHR, S_IFBLK: return "a device"
    case S_IFDIR: return "a directory"
    default: return "not a file"
    }
  }

  /// Writes through `AtomicFile` (temporary file, fsync, rename), so a failure leaves any earlier
  /// file at `path` as it was and no temporary file behind.
  static func write(_ bytes: [UInt8], to path: String) throws(ModelFileError) {
    do throws(AtomicFile.Failure) {
      try AtomicFile.write(Data(bytes), to: path)
    } catch {
      var reason = error.reason
      // AtomicFile refuses a path ending in "/" before it looks at the directory; here a missing
      // directory, the commonest mistake, is named first.
      if reason == .namesADirectory, let problem = AtomicFile.directoryProblem(AtomicFile.split(path).directory) {
        reason = problem
      }
      switch reason {
      case .missingDirectory(let directory):
        let shown = PrintableName.of(directory)
        throw ModelFileError(
          .cannotWrite, path: path, reason: "the directory '\(shown)' does not exist",
          hint: "create it first (mkdir -p '\(shown)'), or save somewhere else")
      case .notADirectory(let directory):
        throw ModelFileError(
          .cannotWrite, path: path, reason: "'\(PrintableName.of(directory))' is not a directory",
          hint: "save somewhere else")
      case .notARegularFile:
        throw ModelFileError(
          .cannotWrite, path: path, reason: reason.message, hint: "save to a file name, such as net.qnet")
      case .namesADirectory, .system:
        throw ModelFileError(
          .cannotWrite, path: path, reason: reason.message, hint: "check the path and that the directory is writable")
      }
    }
  }
}
