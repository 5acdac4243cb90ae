import Foundation

/// Where the cursor sits in the code before it: the open call, the argument, the path before a
/// dot. Pure scans of the characters, so nothing is parsed or evaluated.
extension Completer {
  /// An open bracket before the cursor, with what has been typed inside it so far.
  struct OpenBracket {
    /// Its offset in the line.
    var index: Int
    /// `(`, `[` or `{`.
    var character: Character
    /// Commas directly inside it (not in nested brackets or strings): the argument's position.
    var commas: Int
    /// Where the current argument (after the last such comma) begins.
    var argumentStart: Int
  }

  /// The brackets still open before `end`, outermost first. Brackets and commas inside
  /// strings are skipped.
  static func openBrackets(_ before: [Character], upTo end: Int) -> [OpenBracket] {
    var open: [OpenBracket] = []
    var quote: Character?
    var index = 0
    while index < end {
      let c = before[index]
      if let q = quote {
        if c == "\\" { index += 1 } else if c == q { quote = nil }
      } else if c == "\"" || c == "'" {
        quote = c
      } else if c == "(" || c == "[" || c == "{" {
        open.append(OpenBracket(index: index, character: c, commas: 0, argumentStart: index + 1))
      } else if c == ")" || c == "]" || c == "}" {
        _ = open.popLast()
      } else if c == ",", let last = open.indices.last {
        open[last].commas += 1
        open[last].argumentStart = index + 1
      }
      index += 1
    }
    return open
  }

  /// The name of the innermost call whose `(` is still open before `end` (`range(1, st` gives
  /// `range`), or nil. Brackets inside strings are skipped.
  static func enclosingCall(_ before: [Character], upTo end: Int) -> String? {
    guard let paren = openBrackets(before, upTo: end).last, paren.character == "(" else { return nil }
    return calleeName(before, paren: paren.index)
  }

  /// The identifier just before the `(` at `paren`, or nil (`(1 + 2)`, `f(x)(`).
  static func calleeName(_ before: [Character], paren: Int) -> String? {
    var nameStart = paren
    while nameStart > 0, isIdentifierCharacter(before[nameStart - 1]) { nameStart -= 1 }
    guard nameStart < paren, !(before[nameStart].isASCII && before[nameStart].isNumber) else { return nil }
    return String(before[nameStart..<paren])
  }

  /// The argument that the string opened at `quote` is, or nil when the string is not a whole
  /// argument (`f(x + "`) or not inside a call.
  static func argumentSlot(_ before: [Character], quote: Int) -> ArgumentSlot? {
    var brackets = openBrackets(before, upTo: quote)
    var inList = false
    var valueStart = quote
    if let list = brackets.last, list.character == "[" {
      // An item of a list literal: the list itself must be the call's argument.
      inList = true
      valueStart = list.index
      brackets.removeLast()
    }
    guard let paren = brackets.last, paren.character == "(",
      let callee = calleeName(before, paren: paren.index)
    else { return nil }
    let text = String(before[paren.argumentStart..<valueStart]).trimmingCharacters(in: .whitespaces)
    if text.isEmpty { return ArgumentSlot(callee: callee, key: .position(paren.commas), inList: inList) }
    guard text.hasSuffix(":") else { return nil }
    let label = text.dropLast().trimmingCharacters(in: .whitespaces)
    guard let first = label.first, !(first.isASCII && first.isNumber), label.allSatisfy(isIdentifierCharacter)
    else { return nil }
    return ArgumentSlot(callee: callee, key: .keyword(label), inList: inList)
  }

  /// The path that ends just before the `.` at `dot` — names, dots and bracketed indices such
  /// as `data.train` or `net.layers[0]` — or nil when the text there cannot be one (`f(x).`,
  /// `1.`, `a..`, `[1, 2][0].`). Whether the indices are literals is left to the source.
  static func memberPath(_ before: [Character], dot: Int) -> String? {
    var start = dot
    while start > 0 {
      let c = before[start - 1]
      if isIdentifierCharacter(c) || c == "." {
        start -= 1
      } else if c == "]" {
        // Back to the matching `[`; an index with brackets of its own is not a plain path.
        var open = start - 2
        while open >= 0, before[open] != "[" {
          if before[open] == "]" { return nil }
          open -= 1
        }
        guard open > 0 else { return nil }
        start = open
      } else {
        break
      }
    }
    let text = before[start..<dot]
    // Every dotted part (indices aside) starts with a letter or `_`; none is empty.
    let parts = text.split(separator: ".", omittingEmptySubsequences: false)
    let isPath = parts.allSatisfy { part in
      guard let first = part.first, first != "[" else { return false }
      return !(first.isASCII && first.isNumber)
    }
    return isPath ? String(text) : nil
  }
}
