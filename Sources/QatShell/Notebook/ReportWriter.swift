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

  /// Writes through `AtomicFile`, reporting failures as `ReportError`.
  static func writeAtomically(_ text: String, to path: String) throws {
    do {
      try AtomicFile.write(Data(text.utf8), to: path)
    } catch let failure as AtomicFile.Failure {
      throw ReportError(message: "report: " + failure.description)
    }
  }
}
