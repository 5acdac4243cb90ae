/// One line of a terminal chart: a fixed number of columns, each a character with an optional
/// style. Writing past the end is cut off, which is how every chart guarantees it never exceeds
/// the terminal width.
struct TextRow {
  private(set) var characters: [Character]
  private(set) var styles: [ChartStyle?]

  init(width: Int) {
    characters = Array(repeating: " ", count: max(0, width))
    styles = Array(repeating: nil, count: max(0, width))
  }

  /// A row holding `text` from column `column`.
  init(width: Int, _ text: String, at column: Int = 0, style: ChartStyle? = nil) {
    self.init(width: width)
    put(text, at: column, style: style)
  }

  var width: Int { characters.count }

  /// Writes `text` starting at `column`; characters outside the row are dropped.
  mutating func put(_ text: String, at column: Int, style: ChartStyle? = nil) {
    var c = column
    for ch in text {
      if c >= 0 && c < characters.count {
        characters[c] = ch
        styles[c] = style
      }
      c += 1
    }
  }

  /// Writes one character.
  mutating func put(_ ch: Character, at column: Int, style: ChartStyle? = nil) {
    guard column >= 0 && column < characters.count else { return }
    characters[column] = ch
    styles[column] = style
  }

  func character(at column: Int) -> Character { characters[column] }

  /// The row as text without trailing spaces; with `color`, runs of one style are wrapped in
  /// ANSI escapes (and nothing else ever emits one).
  func render(color: Bool) -> String {
    var end = characters.count
    while end > 0 && characters[end - 1] == " " { end -= 1 }
    guard color else { return String(characters[0..<end]) }
    var out = ""
    var current: ChartStyle? = nil
    for i in 0..<end {
      let style = characters[i] == " " ? current : styles[i]  // spaces keep the run going
      if style != current {
        if current != nil { out += "\u{1B}[0m" }
        if let style { out += "\u{1B}[\(style.sgr)m" }
        current = style
      }
      out.append(characters[i])
    }
    if current != nil { out += "\u{1B}[0m" }
    return out
  }
}

extension String {
  /// At most `width` characters: longer text keeps its start and ends with "…".
  func truncated(to width: Int) -> String {
    guard count > width else { return self }
    guard width > 1 else { return String(prefix(max(0, width))) }
    return String(prefix(width - 1)) + "…"
  }
}

/// Terminal text measured without its colour escapes.
public enum ANSIText {
  /// `text` without ANSI escape sequences (ESC [ … letter).
  public static func stripped(_ text: String) -> String {
    var out = ""
    var inEscape = false
    var sawBracket = false
    for scalar in text.unicodeScalars {
      if inEscape {
        if !sawBracket { sawBracket = scalar == "["; if !sawBracket { inEscape = false }; continue }
        if (0x40...0x7E).contains(scalar.value) { inEscape = false }
        continue
      }
      if scalar == "\u{1B}" { inEscape = true; sawBracket = false; continue }
      out.unicodeScalars.append(scalar)
    }
    return out
  }

  /// The number of characters `text` shows.
  public static func visibleWidth(_ text: String) -> Int { stripped(text).count }
}
