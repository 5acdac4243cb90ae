import Foundation
import QatSupport

/// Reading script files with errors that name the path and say what to do.
enum ScriptFile {
  enum Result { case success(String), failure(String) }

  /// Largest script accepted; anything bigger is almost certainly not a script.
  static let maxBytes = 16 << 20

  static func read(_ path: String) -> Result {
    let shown = PrintableName.of(path)
    // The kind first, by stat: opening a named pipe would wait for a writer, with Ctrl-C unheard.
    var info = stat()
    guard stat(path, &info) == 0 else { return openFailure(errno, shown) }
    if let problem = kindProblem(info.st_mode, shown) { return .failure(problem) }
    if info.st_size > maxBytes { return tooLarge(shown) }
    // Non-blocking, in case the file was replaced by a pipe since; a regular file reads the same.
    let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
    guard fd >= 0 else { return openFailure(errno, shown) }
    defer { close(fd) }
    guard fstat(fd, &info) == 0 else {
      return .failure("\(shown): cannot be read (\(String(cString: strerror(errno))))")
    }
    if let problem = kindProblem(info.st_mode, shown) { return .failure(problem) }
    // At most one byte past the limit is read, so a file that grew since the stat is still refused.
    var data = Data()
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while data.count <= maxBytes {
      let n = chunk.withUnsafeMutableBytes {
        Foundation.read(fd, $0.baseAddress, min($0.count, maxBytes + 1 - data.count))
      }
      if n < 0 {
        if errno == EINTR { continue }
        return .failure("\(shown): cannot be read (\(String(cString: strerror(errno))))")
      }
      if n == 0 { break }
      data.append(contentsOf: chunk[0..<n])
    }
    if data.count > maxBytes { return tooLarge(shown) }
    return decode(data, name: path)
  }

  static func tooLarge(_ shown: String) -> Result {
    .failure("\(shown) is larger than \(maxBytes) bytes, the limit for a script")
  }

  /// Why a path that is there is not a script file, or nil for a regular file.
  static func kindProblem(_ mode: mode_t, _ shown: String) -> String? {
    switch mode & S_IFMT {
    case S_IFREG: return nil
    case S_IFDIR: return "\(shown) is a directory, not a script file"
    case S_IFIFO: return "\(shown) is a named pipe (FIFO), not a regular file; give the path of a .qats script"
    case S_IFSOCK: return "\(shown) is a socket, not a regular file; give the path of a .qats script"
    default: return "\(shown) is a device, not a regular file; give the path of a .qats script"
    }
  }

  static func openFailure(_ code: Int32, _ shown: String) -> Result {
    switch code {
    case ENOENT, ENOTDIR: return .failure("\(shown): no such file; check the path (scripts end in .qats)")
    case EACCES, EPERM: return .failure("\(shown): permission denied; make the file readable (chmod +r)")
    default: return .failure("\(shown): cannot be read (\(String(cString: strerror(code))))")
    }
  }

  /// Decodes UTF-8, reporting the line and byte of the first invalid sequence.
  static func decode(_ data: Data, name: String) -> Result {
    if let text = String(validating: data, as: UTF8.self) { return .success(text) }
    let name = PrintableName.of(name)
    var line = 1, offset = 0
    var iterator = data.makeIterator()
    var decoder = UTF8()
    loop: while true {
      switch decoder.decode(&iterator) {
      case .scalarValue(let s):
        offset += String(s).utf8.count
        if s == "\n" { line += 1 }
      case .emptyInput: break loop
      case .error:
        return .failure(
          "\(name):\(line): the file is not valid UTF-8 (bad byte near offset \(offset)); save it as UTF-8")
      }
    }
    return .failure("\(name): the file is not valid UTF-8; save it as UTF-8")
  }
}
