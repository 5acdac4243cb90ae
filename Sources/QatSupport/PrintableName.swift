/// File names and paths as they may be printed: a name is any bytes but "/" and NUL, so one read
/// from a folder can hold escape codes that would drive the terminal, or bytes that are not UTF-8.
/// Every path or name that reaches an error, a warning or a value goes through here.
public enum PrintableName {
  /// `text` with control characters (C0, DEL, C1) and the bidirectional overrides written as
  /// `\u{1b}`; everything else, backslashes included, as it is.
  public static func of(_ text: String) -> String {
    guard text.unicodeScalars.contains(where: needsEscape) else { return text }
    var out = ""
    for scalar in text.unicodeScalars {
      if needsEscape(scalar) {
        out += "\\u{" + String(scalar.value, radix: 16) + "}"
      } else {
        out.unicodeScalars.append(scalar)
      }
    }
    return out
  }

  /// The bytes of a name as text: valid UTF-8 as in `of(_:)`, and each byte of an invalid
  /// sequence as `\xNN` (a Latin-1 "é" is `caf\xE9`).
  public static func of<Bytes: Collection>(bytes: Bytes) -> String where Bytes.Element == UInt8 {
    if let text = String(validating: bytes, as: UTF8.self) { return of(text) }
    var out = ""
    var rest = Array(bytes)[...]
    while !rest.isEmpty {
      // The longest valid prefix is kept as text; the first byte that is not is escaped.
      var valid = 0
      var iterator = rest.makeIterator()
      var decoder = UTF8()
      var scalars = String.UnicodeScalarView()
      decoding: while true {
        switch decoder.decode(&iterator) {
        case .scalarValue(let scalar):
          scalars.append(scalar)
          valid += UTF8.width(scalar)
        case .emptyInput, .error: break decoding
        }
      }
      out += of(String(scalars))
      rest = rest.dropFirst(valid)
      if let bad = rest.first {
        out += "\\x" + String(bad, radix: 16, uppercase: true).leftPadded(to: 2)
        rest = rest.dropFirst()
      }
    }
    return out
  }

  /// Whether `scalar` is shown escaped: control characters, which a terminal acts on, and the
  /// bidirectional embeddings, overrides and isolates, which reorder what follows them.
  static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar.value {
    case 0x00...0x1F, 0x7F...0x9F: return true
    case 0x200E, 0x200F, 0x061C, 0x202A...0x202E, 0x2066...0x2069: return true
    default: return false
    }
  }
}

extension String {
  fileprivate func leftPadded(to width: Int) -> String {
    count >= width ? self : String(repeating: "0", count: width - count) + self
  }
}
