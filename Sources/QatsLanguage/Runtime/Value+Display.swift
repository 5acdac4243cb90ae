import QatOutput
import QatSupport
extension Value {
  /// The source-like form: strings quoted, used inside lists/records and by `str` of containers.
  /// A list of more than `elideAbove` items shows NumPy-style: its first and last `elidedEnds`
  /// items around "…", then the count: `[0.12, -0.5, 0.3, …, 0.1, 0.2, 0.33] (2,000 items)`.
  public var repr: String {
    switch self {
    case .int(let v): return String(v)
    case .float(let v): return Value.formatFloat(v)
    case .bool(let v): return v ? "true" : "false"
    case .string(let s): return Value.quote(s)
    case .none: return "nil"
    case .list(let items):
      guard items.count > Value.elideAbove else { return "[" + items.map(\.repr).joined(separator: ", ") + "]" }
      let parts = items.prefix(Value.elidedEnds).map(\.repr) + ["…"] + items.suffix(Value.elidedEnds).map(\.repr)
      return "[" + parts.joined(separator: ", ") + "] (\(Units.grouped(items.count)) items)"
    case .record(let r):
      if r.count == 0 { return "{}" }
      let parts = r.pairs.map {
        "\(Value.isPlainKey($0.key) ? $0.key : Value.quote($0.key)): \($0.value.repr)"
      }
      return "{" + parts.joined(separator: ", ") + "}"
    case .function(let f):
      switch f.body {
      case .user(let decl, _): return "fn \(decl.name ?? "")(\(decl.parameters.joined(separator: ", ")))"
      case .builtin(let b): return "built-in \(b.name)(\(b.parameters.map(\.name).joined(separator: ", ")))"
      }
    case .object(let o): return "<\(o.typeName): \(o.summary)>"
    }
  }

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
