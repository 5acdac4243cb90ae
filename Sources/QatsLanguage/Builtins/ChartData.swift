import QatOutput
import QatSupport
/// Rows of records taken from whatever a user hands to `table`, `plot` or `bars`: a table, a
/// list of records, or any host object whose plain value is a list of records (`net.history`).
struct ChartRows {
  var records: [Record]
  /// Every key of the records, in first-seen order (a table's own column order).
  var columns: [String]

  /// The rows of `value`, or a located error at `argument` saying what was expected.
  static func from(_ value: Value, _ call: BuiltinCall, argument: String) throws -> ChartRows {
    let expected = "a table, a list of records, or something with rows such as `net.history`"
    switch value {
    case .object(let table as TableValue):
      return ChartRows(records: table.rows, columns: table.columns.map(\.key))
    case .object(let object):
      guard let plain = object.plainValue(), case .list = plain else {
        throw call.error("`\(argument)` must be \(expected); got a \(object.typeName)", argument: argument)
      }
      return try from(plain, call, argument: argument)
    case .list(let items):
      var records: [Record] = []
      for (i, item) in items.enumerated() {
        guard case .record(let r) = item else {
          throw call.error(
            "`\(argument)` must be a list of records; item \(i) is \(BuiltinRegistry.describe(item))",
            argument: argument, hint: "for example [{bits: 8, accuracy: 0.98}, {bits: 4, accuracy: 0.95}]")
        }
        records.append(r)
      }
      return ChartRows(records: records, columns: Record.keys(of: records))
    default:
      throw call.error("`\(argument)` must be \(expected); got \(BuiltinRegistry.describe(value))", argument: argument)
    }
  }

  /// Fails unless `column` is one of the columns; the hint suggests the nearest name and lists them.
  func require(_ column: String, _ call: BuiltinCall, argument: String) throws {
    guard !columns.contains(column) else { return }
    let list = "the columns are " + columns.map { "`\($0)`" }.joined(separator: ", ")
    let guess = Suggest.nearest(to: column, in: columns)
    throw call.error(
      "there is no column `\(column)` in the data", argument: argument,
      hint: guess.map { "did you mean `\($0)`? \(list)" } ?? list)
  }

  /// Column `column` as numbers, nil where a row lacks it or holds nil; fails at `argument` on
  /// the first row holding something that is not a number.
  func numbers(_ column: String, _ call: BuiltinCall, argument: String) throws -> [Double?] {
    try require(column, call, argument: argument)
    return try records.enumerated().map { i, record in
      guard let v = record[column], !v.isNil else { return nil }
      guard let x = v.number else {
        throw call.error(
          "column `\(column)` is not numeric: row \(i) has \(BuiltinRegistry.describe(v))",
          argument: argument,
          hint: argument == "by"
            ? nil : "`x:` and `y:` take numeric columns; `by: \"\(column)\"` draws one line per value")
      }
      return x
    }
  }
}

/// How a column's name says its values should be written, shared by `table` and `plot` so a
/// table and its chart agree: names are the contract (SPEC §10 keys: accuracy, delta,
/// latency_us, throughput, size_bytes).
enum ColumnConvention {
  /// accuracy… → percent, delta → percent, …bytes → bytes, …_us → µs, sqnr/…_db → dB.
  static func axisFormat(_ name: String) -> AxisFormat {
    let n = name.lowercased()
    if n.contains("accuracy") || n == "acc" || n == "delta" || n.hasSuffix("_delta") { return .percent }
    if n == "bytes" || n.hasSuffix("_bytes") || n == "size" { return .bytes }
    if n.hasSuffix("_us") { return .microseconds }
    if n == "sqnr" || n.hasSuffix("_db") { return .decibels }
    return .number
  }

  /// The table format for a column of that name (deltas as percentage points, rates per second).
  static func columnFormat(_ name: String) -> TableValue.ColumnFormat {
    let n = name.lowercased()
    if n == "delta" || n.hasSuffix("_delta") { return .points }
    if n == "throughput" || n.hasSuffix("images_per_second") { return .imageRate }
    // Quantization scales are float32 steps: four significant digits say all a reader needs.
    if n == "scale" || n.hasSuffix("_scale") { return .significant(4) }
    switch axisFormat(name) {
    case .percent: return .percent
    case .bytes: return .bytes
    case .microseconds: return .microseconds
    case .decibels: return .decibels
    case .number: return .plain
    }
  }

  /// Bit widths read from high to low (8 on the left): precision falls as you read right.
  static func descending(_ name: String) -> Bool {
    let n = name.lowercased()
    return n == "bits" || n.hasSuffix("_bits")
  }

  /// fp32 is "32 bits" in a table (a sweep's first rows), but a point at x = 32 would squeeze the
  /// widths that matter into a corner: over bits, when some rows have fewer bits, the points at 32
  /// become reference lines, one per series ("fp32", or "accuracy at 32 bits" without `by:`).
  static func referenceLines(_ series: [ChartSeries], x: String) -> [ChartSeries] {
    let full = 32.0
    guard descending(x), series.contains(where: { $0.points.contains { $0.x < full } }) else { return series }
    var out: [ChartSeries] = []
    var references: [ChartSeries] = []
    for s in series {
      let (fp32, rest) = (s.points.filter { $0.x == full }, s.points.filter { $0.x != full })
      if !rest.isEmpty { out.append(ChartSeries(name: s.name, points: rest)) }
      guard !fp32.isEmpty else { continue }
      let name = rest.isEmpty ? s.name : "\(s.name) at 32 bits"
      references.append(ChartSeries(name: name, points: fp32, reference: true))
    }
    return out + references
  }
}
