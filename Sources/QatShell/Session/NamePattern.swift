import Foundation

/// The filter of `:vars PATTERN`: a glob when the pattern has `*` (any run of characters) or `?`
/// (one character), matched against the whole name; otherwise a substring. Case is ignored.
struct NamePattern {
  let pattern: [Character]
  let isGlob: Bool

  init(_ text: String) {
    let trimmed = Session.unquote(text.trimmingCharacters(in: .whitespaces))
    pattern = Array(trimmed.lowercased())
    isGlob = trimmed.contains("*") || trimmed.contains("?")
  }

  func matches(_ name: String) -> Bool {
    if pattern.isEmpty { return true }
    let name = Array(name.lowercased())
    guard isGlob else { return name.count >= pattern.count && contains(name) }
    // Greedy matching that returns to the last `*` on a mismatch: no recursion, at most
    // name × pattern steps.
    var p = 0, n = 0, star: Int? = nil, resume = 0
    while n < name.count {
      if p < pattern.count && (pattern[p] == "?" || pattern[p] == name[n]) {
        p += 1
        n += 1
      } else if p < pattern.count && pattern[p] == "*" {
        star = p
        resume = n
        p += 1
      } else if let s = star {
        p = s + 1
        resume += 1
        n = resume
      } else {
        return false
      }
    }
    while p < pattern.count && pattern[p] == "*" { p += 1 }
    return p == pattern.count
  }

  private func contains(_ name: [Character]) -> Bool {
    for start in 0...(name.count - pattern.count) where name[start..<(start + pattern.count)].elementsEqual(pattern) {
      return true
    }
    return false
  }
}
