import QatOutput
import QatSupport
extension Value {
  /// The source-like form: strings quoted, used inside lists/records and by `str` of containers.
  /// A list of more than `elideAbove` items shows NumPy-style: its first and last `elidedEnds`
  /// items around "…", then the count: `[0.12, -0.5, 0.3, …, 0.1, 0.2, 0.33] (2,000 items)`.
  /// The whole text is cut at `reprLimit` UTF-8 bytes: a list that holds itself twice per level
  /// (`s = [s, s]` forty times) would otherwise take 2^40 steps to show.
  public var repr: String {
    var writer = ReprWriter(limit: Value.reprLimit)
    writer.write(self)
    if writer.isFull {
      writer.out += "… (cut at \(Units.grouped(Value.reprLimit)) characters)"
    }
    return writer.out
  }

  /// The longest text `repr` (and so `str`, `print` and a cell's display) gives for one value.
  public static let reprLimit = 1_000_000

  /// Lists longer than this are shown elided (`repr`).
  public static let elideAbove = 1000
  /// How many items an elided list shows at each end.
  public static let elidedEnds = 3

  /// The form `print` uses: strings as they are, everything else as `repr`.
  public var displayString: String {
    if case .string(let s) = self { return s }
    return repr
  }

  /// Floats always show a decimal point or exponent, in shortest round-trip form, so they never
  /// look like integers (SPEC §10).
  public static func formatFloat(_ v: Double) -> String {
    if v.isNaN { return "nan" }
    if v.isInfinite { return v < 0 ? "-inf" : "inf" }
    return v.description
  }

  static func isPlainKey(_ key: String) -> Bool {
    guard let first = key.unicodeScalars.first, first.properties.isAlphabetic || first == "_" else { return false }
    return key.unicodeScalars.allSatisfy { $0.properties.isAlphabetic || $0 == "_" || ("0"..."9").contains($0) }
      && Keyword(rawValue: key) == nil
  }

  /// A string literal that reads back as the same string (`\0`, and `\u{…}` for other control
  /// characters).
  public static func quote(_ s: String) -> String {
    quote(s) { c in
      if c == "\0" { return "\\0" }
      return c.properties.generalCategory == .control ? "\\u{" + String(c.value, radix: 16) + "}" : nil
    }
  }

  /// Quotes `s` with the escapes qats and JSON share (`\" \\ \n \t \r`); `special` escapes any
  /// other scalar it returns text for.
  static func quote(_ s: String, special: (Unicode.Scalar) -> String?) -> String {
    var out = "\""
    for c in s.unicodeScalars {
      switch c {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\t": out += "\\t"
      case "\r": out += "\\r"
      default:
        if let escaped = special(c) { out += escaped } else { out.unicodeScalars.append(c) }
      }
    }
    return out + "\""
  }
}

/// How a cell shows a value: host objects render themselves; strings show as text; the rest as `repr`.
public struct ValueView: Renderable {
  public let value: Value
  public init(_ value: Value) { self.value = value }

  public func render(_ format: RenderFormat) -> String {
    if case .object(let o) = value { return o.render(format) }
    return PlainText(value.displayString).render(format)
  }
}

/// Builds `repr` text until it holds `limit` bytes, then stops descending.
private struct ReprWriter {
  var out = ""
  let limit: Int
  var isFull: Bool { out.utf8.count >= limit }

  mutating func write(_ value: Value) {
    guard !isFull else { return }
    switch value {
    case .int(let v): out += String(v)
    case .float(let v): out += Value.formatFloat(v)
    case .bool(let v): out += v ? "true" : "false"
    case .string(let s): out += Value.quote(s)
    case .none: out += "nil"
    case .list(let items):
      out += "["
      if items.count > Value.elideAbove {
        writeItems(items.prefix(Value.elidedEnds))
        out += ", …, "
        writeItems(items.suffix(Value.elidedEnds))
        out += "] (\(Units.grouped(items.count)) items)"
      } else {
        writeItems(items[...])
        out += "]"
      }
    case .record(let r):
      if r.count == 0 {
        out += "{}"
        return
      }
      out += "{"
      for (i, pair) in r.pairs.enumerated() {
        guard !isFull else { return }
        if i > 0 { out += ", " }
        out += "\(Value.isPlainKey(pair.key) ? pair.key : Value.quote(pair.key)): "
        write(pair.value)
      }
      out += "}"
    case .function(let f):
      switch f.body {
      case .user(let decl, _): out += "fn \(decl.name ?? "")(\(decl.parameters.joined(separator: ", ")))"
      case .builtin(let b): out += "built-in \(b.name)(\(b.parameters.map(\.name).joined(separator: ", ")))"
      }
    case .object(let o): out += "<\(o.typeName): \(o.summary)>"
    }
  }

  mutating func writeItems(_ items: ArraySlice<Value>) {
    for (i, item) in items.enumerated() {
      guard !isFull else { return }
      if i > 0 { out += ", " }
      write(item)
    }
  }
}
