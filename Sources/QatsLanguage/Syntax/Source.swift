/// The text of one script, REPL cell or `:load`ed file, kept so errors can quote the line they point at.
public final class Source: Sendable {
  /// The name shown in error locations: a file path, or `<cell 3>` in the REPL.
  public let name: String
  /// The whole text, as Unicode scalars (columns count characters, never UTF-8 bytes).
  public let scalars: [Unicode.Scalar]
  /// Offsets (into `scalars`) where each line starts.
  let lineStarts: [Int]

  /// Added to every line number, for a cell that starts part-way through a longer input (piped stdin).
  public let firstLine: Int

  public init(name: String, text: String, firstLine: Int = 1) {
    self.name = name
    self.firstLine = firstLine
    self.scalars = Array(text.unicodeScalars)
    var starts = [0]
    for (i, s) in scalars.enumerated() where s == "\n" { starts.append(i + 1) }
    self.lineStarts = starts
  }

  /// The 1-based line and column of a scalar offset.
  public func lineAndColumn(of offset: Int) -> (line: Int, column: Int) {
    // Binary search for the last line start <= offset.
    var lo = 0, hi = lineStarts.count - 1
    while lo < hi {
      let mid = (lo + hi + 1) / 2
      if lineStarts[mid] <= offset { lo = mid } else { hi = mid - 1 }
    }
    return (lo + firstLine, offset - lineStarts[lo] + 1)
  }

  /// The text of line `number` (numbered as `lineAndColumn` numbers them), without its newline.
  public func lineText(_ number: Int) -> String {
    let line = number - firstLine + 1
    guard line >= 1, line <= lineStarts.count else { return "" }
    let start = lineStarts[line - 1]
    var end = line < lineStarts.count ? lineStarts[line] - 1 : scalars.count
    if end > start, scalars[end - 1] == "\r" { end -= 1 }
    var s = String.UnicodeScalarView()
    s.append(contentsOf: scalars[start..<max(start, end)])
    return String(s)
  }

  /// The text between two scalar offsets.
  public func text(from start: Int, to end: Int) -> String {
    let lo = max(0, min(start, scalars.count)), hi = max(lo, min(end, scalars.count))
    var s = String.UnicodeScalarView()
    s.append(contentsOf: scalars[lo..<hi])
    return String(s)
  }
}

/// A position in a `Source`: what every token, node and error carries.
public struct SourceLocation: Sendable {
  public let source: Source
  /// Offset in Unicode scalars from the start of the source.
  public let offset: Int

  public init(source: Source, offset: Int) {
    self.source = source
    self.offset = offset
  }

  public var line: Int { source.lineAndColumn(of: offset).line }
  public var column: Int { source.lineAndColumn(of: offset).column }

  /// `file:line:col`.
  public var description: String {
    let (l, c) = source.lineAndColumn(of: offset)
    return "\(source.name):\(l):\(c)"
  }
}
