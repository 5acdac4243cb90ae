import Foundation
import QatSupport

/// The file system side: reading with errors for each way a path can be wrong, and atomic writes.
enum ModelFileIO {
  /// The bytes of the regular file at `path`. Only the first chunk of a file that does not start
  /// with the signature is read, so pointing `load` at a large foreign file costs nothing.
  static func read(path: String) throws(ModelFileError) -> [UInt8] {
    func refuse(_ kind: ModelFileError.Kind, _ reason: String, _ hint: String?) -> ModelFileError {
      ModelFileError(kind, path: path, reason: reason, hint: hint)
    }
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else {
      let code = errno
      switch code {
      case ENOENT, ENOTDIR:
        throw refuse(
          .notFound, "no such file",
          "check the path (relative paths start from \(FileManager.default.currentDirectoryPath))")
      case EACCES, EPERM:
        throw refuse(
          .unreadable, "permission denied", "make the file readable (chmod +r) or copy it somewhere you can read")
      case EISDIR:
        throw refuse(.notAFile, "it is a directory", "give the path of a .\(ModelFile.fileExtension) file inside it")
      default:
        throw refuse(.unreadable, String(cString: strerror(code)), nil)
      }
    }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else { throw refuse(.unreadable, String(cString: strerror(errno)), nil) }
    switch info.st_mode & S_IFMT {
    case S_IFREG: break
    case S_IFDIR:
      throw refuse(.notAFile, "it is a directory", "give the path of a .\(ModelFile.fileExtension) file inside it")
    default:
      throw refuse(
        .notAFile, "it is not a regular file (a device, pipe or socket)",
        "give the path of a saved .\(ModelFile.fileExtension) file")
    }

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
        // Only a file that starts like a model file gets room for all of it.
        bytes.reserveCapacity(size)
        reserved = true
      }
    }
    return bytes
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
        throw ModelFileError(
          .cannotWrite, path: path, reason: "the directory '\(directory)' does not exist",
          hint: "create it first (mkdir -p '\(directory)'), or save somewhere else")
      case .notADirectory(let directory):
        throw ModelFileError(
          .cannotWrite, path: path, reason: "'\(directory)' is not a directory", hint: "save somewhere else")
      case .namesADirectory, .system:
        throw ModelFileError(
          .cannotWrite, path: path, reason: reason.message, hint: "check the path and that the directory is writable")
      }
    }
  }
}
