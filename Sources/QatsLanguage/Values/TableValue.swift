import QatOutput
import QatSupport
/// A table value: rows of records with a fixed column order, each column shown with its unit.
/// `compare`, `sweep`, `sensitivity` and `table(rows)` return one; `json` and `write(t, "x.csv")`
/// see the raw numbers (fractions, microseconds, bytes), the terminal and reports the formatted
/// ones. Figures attached to the table (a sweep's chart) are drawn under it.
public final class TableValue: HostObject, CompositeRenderable {
  /// How a column's values are written in the terminal and in reports.
  public enum ColumnFormat: Sendable, Equatable {
    /// The value's own display form.
    case plain
    /// A fraction as a percentage: 0.9861 → "98.61 %".
    case percent
    /// A difference of fractions in percentage points: −0.0028 → "−0.28".
    case points
    /// A spread of fractions (a standard deviation) in percentage points, unsigned: 0.0032 → "±0.32".
    case spreadPoints
    /// A signed integer count: −3 → "−3", 2 → "+2".
    case signedCount
    /// Microseconds: 1.74 → "1.74 µs".
    case microseconds
    /// Images per second: 1.5e6 → "1.50 M img/s".
    case imageRate
    /// Bytes: 7300 → "7.30 KB".
    case bytes
    /// Decibels with one decimal: 31.96 → "32.0 dB".
    case decibels
    /// A number with this many decimals.
    case fixed(Int)
    /// A number with this many significant digits: a scale 0.019607843831181526 → "0.01961". Only
    /// the text is shortened; the value (`json`, `t.rows`) keeps every digit.
    case significant(Int)
  }

  /// One column: the record key, the header shown, and the format.
  public struct Column: Sendable, Equatable {
    public var key: String
    public var header: String
    public var format: ColumnFormat
    public init(_ key: String, header: String? = nil, format: ColumnFormat = .plain) {
      self.key = key
      self.header = header ?? key
      self.format = format
    }
  }

  public let title: String?
  public let columns: [Column]
  public let rows: [Record]
  /// Shown under the table, in order (charts).
  public let figures: [any Renderable]
  /// Lines of text shown under the table and its figures (how to read it).
  public let notes: [String]

  public init(
    title: String? = nil, columns: [Column], rows: [Record], figures: [any Renderable] = [], notes: [String] = []
  ) {
    self.title = title
    self.columns = columns
    self.rows = rows
    self.figures = figures
    self.notes = notes
  }

  /// A table whose columns are every key of `rows`, in first-seen order, each shown as its
  /// name says (`accuracy` as %, `…_bytes` as KB: `ColumnConvention`).
  public convenience init(title: String? = nil, records rows: [Record]) {
    let columns = Record.keys(of: rows).map { Column($0, format: ColumnConvention.columnFormat($0)) }
    self.init(title: title, columns: columns, rows: rows)
  }

  public var typeName: String { "table" }

  /// "table: 3 rows × 8 columns (model, method, bits, …)".
  public var summary: String {
    let names = columns.prefix(6).map(\.key).joined(separator: ", ") + (columns.count > 6 ? ", …" : "")
    return "table: \(rows.count) \(rows.count == 1 ? "row" : "rows") × \(columns.count) columns (\(names))"
  }

  public var memberNames: [String] {
    ["rows", "columns", "count"] + columns.map(\.key).filter { !["rows", "columns", "count"].contains($0) }
  }

  /// `t.rows`, `t.columns`, `t.count`, or a column by key as a list (`t.accuracy`).
  public func member(_ name: String) throws -> Value? {
    switch name {
    case "rows": return .list(rows.map(Value.record))
    case "columns": return .list(columns.map { .string($0.key) })
    case "count": return .int(rows.count)
    default: return column(name)
    }
  }

  /// The values of column `key`, one per row (nil where a row lacks it), or nil if no such column.
  public func column(_ key: String) -> Value? {
    guard columns.contains(where: { $0.key == key }) else { return nil }
    return .list(rows.map { $0[key] ?? .none })
  }

  /// `t[i]` is row i as a record (negative counts from the end); `t["key"]` is a column.
  public func index(_ key: Value) throws -> Value? {
    switch key {
    case .int(let i):
      let at = i < 0 ? rows.count + i : i
      guard rows.indices.contains(at) else {
        throw QatsError(.runtime, "row index \(i) is out of range: the table has \(rows.count) rows", at: nil)
      }
      return .record(rows[at])
    case .string(let k):
      guard let values = column(k) else {
        throw QatsError(
          .runtime, "the table has no column `\(k)`; its columns are \(columns.map(\.key).joined(separator: ", "))",
          at: nil)
      }
      return values
    default: return nil
    }
  }

  public func plainValue() -> Value? { .list(rows.map(Value.record)) }

  /// The rows as a `TextTable` with every cell formatted.
  public var textTable: TextTable {
    let cells = rows.map { row in columns.map { c in Self.format(row[c.key] ?? .none, c.format) } }
    let right = columns.map { c in
      c.format != .plain || rows.contains { $0[c.key]?.number != nil }
    }
    return TextTable(title: title, headers: columns.map(\.header), rows: cells, rightAligned: right)
  }

  public func render(_ format: RenderFormat) -> String { RenderableGroup(parts).render(format) }

  /// The table, its figures and its notes, so reports can draw each figure as SVG.
  public var parts: [any Renderable] {
    [textTable] + figures + (notes.isEmpty ? [] : [NoteText(lines: notes)])
  }

  /// One cell's text. Missing values and nil show as "—".
  public static func format(_ value: Value, _ format: ColumnFormat) -> String {
    if value.isNil { return "—" }
    guard let x = value.number else { return value.displayString }
    switch format {
    case .plain: return value.displayString
    case .percent: return Units.percent(x)
    case .points: return signed(Units.fixed(x * 100, digits: 2), x)
    case .spreadPoints: return "±" + Units.fixed(abs(x) * 100, digits: 2)
    case .signedCount:
      // Beyond Int (or not finite), a number a user put in the table shows as it is.
      guard let count = Int(exactly: x.rounded()) else { return Value.formatFloat(x) }
      return signed(String(count.magnitude), x)
    case .microseconds: return x.isFinite ? Units.significant(x) + " µs" : "—"
    case .imageRate: return Units.imageRate(x)
    case .bytes:
      guard x.isFinite else { return "—" }
      return Int(exactly: x.rounded(.towardZero)).map(Units.bytes) ?? Value.formatFloat(x) + " B"
    case .decibels: return x.isFinite ? Units.fixed(x, digits: 1) + " dB" : (x > 0 ? "∞ dB" : "—")
    case .fixed(let digits): return Units.fixed(x, digits: digits)
    case .significant(let digits):
      guard x.isFinite, x != 0 else { return value.displayString }
      return String(format: "%.\(min(max(digits, 1), 17))g", x)
    }
  }

  /// "-" for negatives (the one minus sign the language prints and reads), "+" for positives,
  /// nothing for zero.
  private static func signed(_ magnitude: String, _ x: Double) -> String {
    let m = magnitude.hasPrefix("-") ? String(magnitude.dropFirst()) : magnitude
    if x < 0 && m.contains(where: { $0 != "0" && $0 != "." }) { return "-" + m }
    if x > 0 && m.contains(where: { $0 != "0" && $0 != "." }) { return "+" + m }
    return m
  }
}

/// Lines that explain a table (how it was measured): plain lines in the terminal, a small
/// paragraph that wraps in reports (a `<pre>` would run off a narrow page).
public struct NoteText: Renderable, Sendable, Equatable {
  public var lines: [String]
  public init(lines: [String]) { self.lines = lines }

  public func render(_ format: RenderFormat) -> String {
    switch format {
    case .text: return lines.joined(separator: "\n")
    // Hard line breaks (two trailing spaces); `*` and `_` would start emphasis, so they are escaped.
    case .markdown:
      return lines.map { $0.replacingOccurrences(of: "*", with: "\\*").replacingOccurrences(of: "_", with: "\\_") }
        .joined(separator: "  \n")
    case .html: return "<p class=\"note\">" + lines.map(HTMLEscaping.escape).joined(separator: "<br>") + "</p>"
    }
  }
}
