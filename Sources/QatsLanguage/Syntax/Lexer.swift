/// Turns source text into tokens. Never fails outright: bad characters and unterminated strings
/// become errors in `errors`, and lexing goes on so the parser can report everything at once.
public struct Lexer {
  public private(set) var errors: [QatsError] = []
  let source: Source
  let s: [Unicode.Scalar]
  var i = 0
  var atLineStart = true

  public init(source: Source) {
    self.source = source
    self.s = source.scalars
  }

  /// Lexes the whole source; the last token is always `.end`.
  public mutating func tokenize() -> [Token] {
    var tokens: [Token] = []
    while true {
      let token = next()
      tokens.append(token)
      if case .end = token.kind { return tokens }
    }
  }

  func loc(_ offset: Int) -> SourceLocation { SourceLocation(source: source, offset: offset) }

  func peek(_ k: Int = 0) -> Unicode.Scalar? { i + k < s.count ? s[i + k] : nil }

  mutating func make(_ kind: TokenKind, from start: Int) -> Token {
    let t = Token(kind: kind, location: loc(start), end: i, atLineStart: atLineStart)
    atLineStart = false
    if case .newline = kind { atLineStart = true }
    return t
  }

  mutating func next() -> Token {
    skipBlanksAndComments()
    let start = i
    guard let c = peek() else { return make(.end, from: start) }
    if c == "\n" { i += 1; return make(.newline, from: start) }
    if c == "#" {  // only `##` at the start of a line gets here (see skipBlanksAndComments)
      i += 2
      if peek() == " " { i += 1 }
      let textStart = i
      while let d = peek(), d != "\n" { i += 1 }
      return make(.narrative(source.text(from: textStart, to: i)), from: start)
    }
    if c.properties.isAlphabetic || c == "_" { return identifier(from: start) }
    if ("0"..."9").contains(c) { return number(from: start) }
    if c == "\"" || c == "'" { return string(from: start, quote: c) }
    if let sym = symbol() { return make(.symbol(sym), from: start) }
    i += 1
    let shown =
      c.properties.generalCategory == .control ? "U+" + String(c.value, radix: 16, uppercase: true) : String(c)
    errors.append(QatsError(.syntax, "unexpected character `\(shown)`", at: loc(start)))
    return next()
  }

  /// Skips spaces, tabs, carriage returns and `#` comments; stops before a `##` line's marker.
  mutating func skipBlanksAndComments() {
    while let c = peek() {
      if c == " " || c == "\t" || c == "\r" || c == "\u{FEFF}" { i += 1; continue }
      if c == "\\", peek(1) == "\n" { i += 2; continue }  // explicit line continuation
      if c == "#" {
        if atLineStart, peek(1) == "#" { return }
        while let d = peek(), d != "\n" { i += 1 }
        continue
      }
      return
    }
  }

  mutating func identifier(from start: Int) -> Token {
    while let c = peek(), c.properties.isAlphabetic || c == "_" || ("0"..."9").contains(c) { i += 1 }
    let name = source.text(from: start, to: i)
    if let kw = Keyword(rawValue: name) { return make(.keyword(kw), from: start) }
    return make(.identifier(name), from: start)
  }

  mutating func digits() -> String {
    var text = ""
    while let c = peek(), ("0"..."9").contains(c) || c == "_" {
      if c != "_" { text.unicodeScalars.append(c) }
      i += 1
    }
    return text
  }

  mutating func number(from start: Int) -> Token {
    var text = digits()
    var isFloat = false
    if peek() == ".", let d = peek(1), ("0"..."9").contains(d) {
      i += 1
      text += "." + digits()
      isFloat = true
    }
    if let e = peek(), e == "e" || e == "E" {
      var k = 1
      if let sign = peekOperator(1), sign == "+" || sign == "-" { k = 2 }
      if let d = peek(k), ("0"..."9").contains(d) {
        text += "e"
        if k == 2, let sign = peekOperator(1) { text.unicodeScalars.append(sign) }
        i += k
        text += digits()
        isFloat = true
      }
    }
    if isFloat {
      guard let v = Double(text), v.isFinite else {
        errors.append(QatsError(.syntax, "number `\(text)` is too large for a float", at: loc(start)))
        return make(.float(0), from: start)
      }
      return make(.float(v), from: start)
    }
    guard let v = Int(text) else {
      errors.append(
        QatsError(
          .syntax, "integer `\(text)` does not fit in 64 bits (largest is \(Int.max))", at: loc(start),
          hint: "write it as a float, e.g. `\(text).0`, if an approximate value will do"))
      return make(.integer(0), from: start)
    }
    return make(.integer(v), from: start)
  }

  mutating func string(from start: Int, quote: Unicode.Scalar) -> Token {
    i += 1
    var out = String.UnicodeScalarView()
    while let c = peek() {
      if c == quote { i += 1; return make(.string(String(out)), from: start) }
      if c == "\\" {
        let escStart = i
        i += 1
        guard let e = peek() else { break }
        i += 1
        switch e {
        case "n": out.append("\n")
        case "t": out.append("\t")
        case "r": out.append("\r")
        case "0": out.append("\0")
        case "\\", "\"", "'": out.append(e)
        case "u":
          if let scalar = unicodeEscape() {
            out.append(scalar)
          } else {
            errors.append(QatsError(.syntax, "bad unicode escape; write it as `\\u{1F600}`", at: loc(escStart)))
          }
        default:
          errors.append(
            QatsError(
              .syntax, "unknown escape `\\\(e)` in string", at: loc(escStart),
              hint: "known escapes: \\n \\t \\r \\0 \\\\ \\\" \\' \\u{…}"))
        }
        continue
      }
      out.append(c)
      i += 1
    }
    errors.append(QatsError(.syntax, "unterminated string: expected a closing \(quote)", at: loc(start)))
    return make(.string(String(out)), from: start)
  }

  mutating func unicodeEscape() -> Unicode.Scalar? {
    guard peek() == "{" else { return nil }
    var j = i + 1, hex = ""
    while j < s.count, s[j] != "}", hex.count <= 8 { hex.unicodeScalars.append(s[j]); j += 1 }
    guard j < s.count, s[j] == "}", let v = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(v) else { return nil }
    i = j + 1
    return scalar
  }

  /// The scalar `k` ahead, reading the minus sign U+2212 that tables and help text may show as `-`,
  /// so a number or formula pasted from them reads back.
  func peekOperator(_ k: Int = 0) -> Unicode.Scalar? {
    peek(k).map { $0 == "\u{2212}" ? "-" : $0 }
  }

  mutating func symbol() -> Symbol? {
    guard let c = peekOperator() else { return nil }
    let two = peekOperator(1).map { String(c) + String($0) } ?? ""
    if let sym = Symbol(rawValue: two) { i += 2; return sym }
    if let sym = Symbol(rawValue: String(c)) { i += 1; return sym }
    return nil
  }
}
