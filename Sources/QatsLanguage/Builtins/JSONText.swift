import Foundation
import QatSupport

/// JSON and CSV encodings of plain values (host objects contribute through `plainValue()`).
enum JSONText {
  struct Unsupported: Error { let message: String }

  /// The longest JSON text `write` makes; `json()` gives a string, so it stops at the strings' limit.
  /// A value that holds one list many times over (`s = [s, s]` in a loop) is small in memory but
  /// exponentially long as text.
  static let maxFileLength = 100_000_000

  static func encode(_ value: Value, pretty: Bool, limit: Int = maxFileLength) throws -> String {
    var out = ""
    try write(value, into: &out, pretty: pretty, indent: 0, limit: limit)
    return out
  }

  static func write(_ value: Value, into out: inout String, pretty: Bool, indent: Int, limit: Int) throws {
    guard out.utf8.count <= limit else {
      throw Unsupported(
        message: "the JSON text would be longer than \(Units.grouped(limit)) characters (a list or record "
          + "that holds the same list many times over is written out in full each time)")
    }
    let pad = pretty ? "\n" + String(repeating: "  ", count: indent + 1) : ""
    let closePad = pretty ? "\n" + String(repeating: "  ", count: indent) : ""
    switch value {
    case .int(let i): out += String(i)
    case .float(let d):
      // JSON has no NaN or infinity; null is what other encoders write.
      out += d.isFinite ? (d == d.rounded() && abs(d) < 1e15 ? String(Int(d)) + ".0" : d.description) : "null"
    case .bool(let b): out += b ? "true" : "false"
    case .none: out += "null"
    case .string(let s): out += quote(s)
    case .list(let items):
      if items.isEmpty { out += "[]"; return }
      out += "["
      for (i, item) in items.enumerated() {
        out += (i > 0 ? "," : "") + pad
        try write(item, into: &out, pretty: pretty, indent: indent + 1, limit: limit)
      }
      out += closePad + "]"
    case .record(let r):
      if r.count == 0 { out += "{}"; return }
      out += "{"
      for (i, pair) in r.pairs.enumerated() {
        out += (i > 0 ? "," : "") + pad + quote(pair.key) + (pretty ? ": " : ":")
        try write(pair.value, into: &out, pretty: pretty, indent: indent + 1, limit: limit)
      }
      out += closePad + "}"
    case .function(let f): throw Unsupported(message: "the function `\(f.name)` has no JSON form")
    case .object(let o):
      guard let plain = o.plainValue() else { throw Unsupported(message: "a \(o.typeName) has no JSON form") }
      try write(plain, into: &out, pretty: pretty, indent: indent, limit: limit)
    }
  }

  /// A JSON string: the common escapes, and `\u00XX` for other control characters (RFC 8259).
  static func quote(_ s: String) -> String {
    Value.quote(s) { c in
      guard c.value < 0x20 else { return nil }
      let hex = String(c.value, radix: 16)
      return "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
    }
  }
}

enum CSVText {
  /// A list of records (or a table) as CSV: a header of every key in first-seen order, then one row each.
  static func encode(_ value: Value) throws -> String {
    var v = value
    if case .object(let o) = value, let plain = o.plainValue() { v = plain }
    guard case .list(let rows) = v else {
      throw JSONText.Unsupported(message: "CSV needs a table or a list of records, got \(value.typeName)")
    }
    let records = try rows.map { row -> Record in
      guard case .record(let r) = row else {
        throw JSONText.Unsupported(message: "CSV needs every row to be a record, got \(row.typeName)")
      }
      return r
    }
    let keys = Record.keys(of: records)
    var lines = [keys.map(field).joined(separator: ",")]
    for r in records {
      lines.append(keys.map { k in r[k].map { field($0.isNil ? "" : $0.displayString) } ?? "" }.joined(separator: ","))
    }
    return lines.joined(separator: "\n") + "\n"
  }

  static func field(_ s: String) -> String {
    guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return s }
    return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
  }
}
