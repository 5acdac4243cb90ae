import Foundation
import QatSupport
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
        message: "cannot write report '\(PrintableName.of(path))': unknown file type; use a .html or .md file name")
    }
    let text: String
    switch format {
    case .html: text = HTMLReport.render(notebook, generator: generator)
    case .markdown:
      let (directory, relative) = figureDirectory(for: path)
      let result = MarkdownReport.render(notebook, generator: generator, figureDirectory: relative)
      // Figures first, so the report never refers to a file that is not there yet.
      try writeFigures(result.figures, into: directory, report: path)
      text = result.text
    }
    try writeAtomically(text, to: path)
  }

  /// Where a Markdown report's figures go: `out/report.md` → (`out/report-figures`,
  /// `report-figures`), the second relative to the report for its links.
  public static func figureDirectory(for path: String) -> (path: String, relative: String) {
    let (parent, name) = AtomicFile.split(path)
    let stem = name.lastIndex(of: ".").map { String(name[..<$0]) } ?? name
    let relative = stem + "-figures"
    return (parent == "." && !path.hasPrefix("./") ? relative : parent + "/" + relative, relative)
  }

  /// Writes each figure atomically into `directory` (made if missing) and removes
  /// `figure-N.svg` and `image-N.png` files left there by an earlier, longer run, so the directory matches the
  /// report. Nothing is created when there are no figures.
  static func writeFigures(_ figures: [MarkdownReport.FigureFile], into directory: String, report: String) throws {
    guard !figures.isEmpty else { return }
    let files = FileManager.default
    var isDirectory: ObjCBool = false
    if files.fileExists(atPath: directory, isDirectory: &isDirectory) {
      guard isDirectory.boolValue else {
        throw ReportError(
          message: """
            cannot write the figures of '\(PrintableName.of(report))': '\(PrintableName.of(directory))' exists and \
            is not a directory
            """)
      }
    } else {
      let parent = AtomicFile.split(directory).directory
      guard files.fileExists(atPath: parent, isDirectory: &isDirectory), isDirectory.boolValue else {
        throw ReportError(
          message: """
            cannot write report '\(PrintableName.of(report))': the directory '\(PrintableName.of(parent))' does not \
            exist; create it first
            """)
      }
      do {
        try files.createDirectory(atPath: directory, withIntermediateDirectories: false)
      } catch {
        throw ReportError(
          message:
            "cannot write the figures of '\(PrintableName.of(report))': cannot create "
            + "'\(PrintableName.of(directory))' (\(error.localizedDescription))")
      }
    }
    for figure in figures {
      try writeAtomically(figure.bytes, to: directory + "/" + figure.name)
    }
    let current = Set(figures.map(\.name))
    for old in (try? files.contentsOfDirectory(atPath: directory)) ?? [] where !current.contains(old) {
      if isNumbered(old, prefix: "figure-", suffix: ".svg") || isNumbered(old, prefix: "image-", suffix: ".png") {
        try? files.removeItem(atPath: directory + "/" + old)
      }
    }
  }

  /// Whether `name` is `prefix` + digits + `suffix`: a file this writer made and may remove.
  private static func isNumbered(_ name: String, prefix: String, suffix: String) -> Bool {
    name.hasPrefix(prefix) && name.hasSuffix(suffix) && name.count > prefix.count + suffix.count
      && name.dropFirst(prefix.count).dropLast(suffix.count).allSatisfy(\.isNumber)
  }

  /// Writes through `AtomicFile`, reporting failures as `ReportError`.
  static func writeAtomically(_ text: String, to path: String) throws {
    try writeAtomically(Array(text.utf8), to: path)
  }

  /// Writes bytes through `AtomicFile`, reporting failures as `ReportError`.
  static func writeAtomically(_ bytes: [UInt8], to path: String) throws {
    do throws(AtomicFile.Failure) {
      try AtomicFile.write(Data(bytes), to: path)
    } catch {
      throw ReportError(message: "report: " + error.description)
    }
  }
}
