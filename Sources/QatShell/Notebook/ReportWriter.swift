import Foundation
import QatsLanguage

/// Why a report could not be written; `message` names the path and is ready to show.
public struct ReportError: Error, CustomStringConvertible {
  /// The user-facing explanation, e.g.
  /// `cannot write report 'out/r.html': directory 'out' does not exist`.
  public let message: String
  /// Creates an error with a ready-to-show message.
  public init(message: String) { self.message = message }
  /// The same as `message`.
  public var description: String { message }
}

/// Writes a notebook to disk as HTML or Markdown, chosen by the file extension.
public enum ReportWriter {
  /// The report formats, keyed by file extension.
  public enum Format: Sendable, Equatable {
    /// `.html` or `.htm`.
    case html
    /// `.md` or `.markdown`.
    case markdown

    /// The format for `path`'s extension (case-insensitive), or nil for any other extension.
    public init?(path: String) {
      let name = path.split(separator: "/", omittingEmptySubsequences: false).last ?? ""
      guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return nil }
      switch name[name.index(after: dot)...].lowercased() {
      case "html", "htm": self = .html
      case "md", "markdown": self = .markdown
      default: return nil
      }
    }
  }

  /// Renders `notebook` in the format named by `path`'s extension and writes it atomically:
  /// to a temporary file in the same directory, flushed with `fsync`, then renamed over `path`,
  /// so a reader (or a crash) never sees a half-written report.
  /// - Parameters:
  ///   - notebook: what to write.
  ///   - path: the destination; `.html`/`.htm` for HTML, `.md`/`.markdown` for Markdown.
  ///   - generator: the line naming what made the report.
  /// - Throws: `ReportError` for another extension, a missing directory, or an I/O failure.
  public static func write(_ notebook: Notebook, to path: String, generator: String) throws {
    guard let format = Format(path: path) else {
      throw ReportError(
        message: "cannot write report '\(path)': unknown file type; use a .html or .md file name")
    }
    let text: String
    switch format {
    case .html: text = HTMLReport.render(notebook, generator: generator)
    case .markdown: text = MarkdownReport.render(notebook, generator: generator)
    }
    try writeAtomically(text, to: path)
  }

  /// Writes `text` to `path` through a temporary file and a rename (POSIX, so it can `fsync`).
  static func writeAtomically(_ text: String, to path: String) throws {
    let (directory, name) = split(path)
    guard !name.isEmpty else {
      throw ReportError(message: "cannot write report '\(path)': the path names a directory")
    }
    var info = stat()
    guard stat(directory, &info) == 0 else {
      throw ReportError(
        message: "cannot write report '\(path)': directory '\(directory)' does not exist")
    }
    guard (info.st_mode & S_IFMT) == S_IFDIR else {
      throw ReportError(
        message: "cannot write report '\(path)': '\(directory)' is not a directory")
    }
    // Hidden, unique per process and attempt, and in the same directory so rename is atomic.
    let temp = "\(directory)/.\(name).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
    let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
    guard fd >= 0 else { throw failure(path, errno) }
    var ok = false
    defer { if !ok { unlink(temp) } }
    do {
      defer { close(fd) }
      try writeAll(fd, Array(text.utf8), path: path)
      guard fsync(fd) == 0 else { throw failure(path, errno) }
    }
    guard rename(temp, path) == 0 else { throw failure(path, errno) }
    ok = true
    // Make the rename itself durable; a failure here leaves a complete file, so ignore it.
    let dirFD = open(directory, O_RDONLY | O_CLOEXEC)
    if dirFD >= 0 {
      _ = fsync(dirFD)
      close(dirFD)
    }
  }

  private static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws {
    var offset = 0
    while offset < bytes.count {
      let written = bytes[offset...].withUnsafeBytes { posixWrite(fd, $0.baseAddress, $0.count) }
      if written < 0 {
        if errno == EINTR { continue }
        throw failure(path, errno)
      }
      offset += written
    }
  }

  /// `"a/b/c.html"` → (`"a/b"`, `"c.html"`); `"c.html"` → (`"."`, `"c.html"`);
  /// `"/c"` → (`"/"`, `"c"`).
  private static func split(_ path: String) -> (directory: String, name: String) {
    guard let slash = path.lastIndex(of: "/") else { return (".", path) }
    let directory = String(path[..<slash])
    return (directory.isEmpty ? "/" : directory, String(path[path.index(after: slash)...]))
  }

  private static func failure(_ path: String, _ code: Int32) -> ReportError {
    ReportError(message: "cannot write report '\(path)': \(String(cString: strerror(code)))")
  }
}

/// The libc `write`, which `ReportWriter.write` would shadow inside the enum.
private func posixWrite(_ fd: Int32, _ buffer: UnsafeRawPointer?, _ count: Int) -> Int {
  write(fd, buffer, count)
}
