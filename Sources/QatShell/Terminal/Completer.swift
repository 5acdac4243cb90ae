import Foundation

/// What the completer may offer; the session implements it.
public protocol CompletionSource: AnyObject {
  /// Every name that may start a word: keywords, built-ins and variables.
  func completionNames() -> [String]
  /// The member names of the value that `expression` (a dotted identifier path such as
  /// `data.train`) evaluates to, found without running code that has side effects;
  /// `[]` if unknown.
  func memberNames(of expression: String) -> [String]
  /// The parameter names of the function called `callee` (a built-in's declared parameters or a
  /// user function's), offered as `name:` inside its argument list; `[]` if unknown.
  func parameterNames(ofCall callee: String) -> [String]
  /// The strings the argument at `slot` accepts when its parameter is a choice (`observer:`
  /// gives `minmax`, `histogram`, …), offered inside its string; nil when it is not one,
  /// and the string completes file paths instead.
  func choices(for slot: ArgumentSlot) -> [String]?
}

extension CompletionSource {
  public func parameterNames(ofCall callee: String) -> [String] { [] }
  public func choices(for slot: ArgumentSlot) -> [String]? { nil }
}

/// The argument of a call that a string being typed belongs to: `quantize(net, d, observer: "`
/// is `observer` of `quantize`, `f(1, "` is position 1, `sweep(n, d, methods: ["` an item of
/// the list given as `methods`.
public struct ArgumentSlot: Equatable, Sendable {
  /// How the argument is given: by its label, or by its 0-based position.
  public enum Key: Equatable, Sendable {
    case keyword(String)
    case position(Int)
  }
  /// The called name (`quantize`).
  public var callee: String
  public var key: Key
  /// True when the string is an item of a list literal that is the argument.
  public var inList: Bool

  /// Creates a slot.
  public init(callee: String, key: Key, inList: Bool = false) {
    self.callee = callee
    self.key = key
    self.inList = inList
  }
}

/// The answer to one Tab: replace the line from `start` to the cursor with a candidate.
public struct Completion: Equatable, Sendable {
  /// The character offset where the replaced word begins.
  public var start: Int
  /// The full replacements for the word, sorted and without duplicates.
  public var candidates: [String]

  /// Creates a completion that replaces the text from `start` with one of `candidates`.
  public init(start: Int, candidates: [String]) {
    self.start = start
    self.candidates = candidates
  }
}

/// Decides what Tab offers at the cursor; pure Swift, so it is tested without a terminal.
///
/// The rules, in order:
/// - after `:load `, `:save ` or `:export `: file paths;
/// - inside an open string literal that is a choice argument (`observer: "`): the choices
///   that start with its content, a unique one with the closing quote;
/// - inside another open string literal: file paths (relative, absolute or under `~`), the
///   word being the string's content after the quote;
/// - in a comment: nothing;
/// - a word starting with `:` at the start of the line: meta commands;
/// - after a plain path and `.` (`data.train.`, `net.layers[0].`): the members of that path,
///   from `memberNames(of:)`;
/// - otherwise an identifier prefix: the source's names.
/// Positions count `Character`s, never UTF-8 bytes.
public final class Completer {
  /// Meta commands whose argument is a file path.
  static let pathCommands: Set<String> = [":load", ":save", ":export", ":save!", ":export!"]

  // Held strongly so an inline source cannot vanish; a session lives as long as its shell.
  private let source: CompletionSource
  private let metaCommands: [String]
  private let workingDirectory: String?

  /// Creates a completer.
  /// - Parameters:
  ///   - source: names and members, usually the session.
  ///   - metaCommands: the meta commands with their colon, such as `":help"`.
  ///   - workingDirectory: where relative paths start; `nil` means the process's current
  ///     directory at the time of each completion.
  public init(source: CompletionSource, metaCommands: [String], workingDirectory: String? = nil) {
    self.source = source
    self.metaCommands = metaCommands
    self.workingDirectory = workingDirectory
  }

  /// The candidates for the word before `cursor` (a character offset, clamped to the line).
  public func complete(line: String, cursor: Int) -> Completion {
    let characters = Array(line)
    let cursor = min(max(cursor, 0), characters.count)
    let before = Array(characters[..<cursor])
    let none = Completion(start: cursor, candidates: [])

    if let argumentStart = Self.pathArgumentStart(before) {
      return pathCompletion(before, from: argumentStart)
    }
    switch Self.lexicalState(before) {
    case .string(let quote):
      if let slot = Self.argumentSlot(before, quote: quote), let choices = source.choices(for: slot) {
        // The list shows bare choices; a unique one also closes the string.
        var candidates = Self.matching(String(before[(quote + 1)...]), in: choices)
        if candidates.count == 1 { candidates[0].append(before[quote]) }
        return Completion(start: quote + 1, candidates: candidates)
      }
      return pathCompletion(before, from: quote + 1)
    case .comment:
      return none
    case .code:
      break
    }

    var start = cursor
    while start > 0, Self.isIdentifierCharacter(before[start - 1]) { start -= 1 }
    let word = String(before[start...])

    if start > 0, before[start - 1] == ":" {
      let colon = start - 1
      guard before[..<colon].allSatisfy(\.isWhitespace) else { return none }
      return Completion(start: colon, candidates: Self.matching(":" + word, in: metaCommands))
    }
    if start > 0, before[start - 1] == "." {
      guard let path = Self.memberPath(before, dot: start - 1) else { return none }
      return Completion(start: start, candidates: Self.matching(word, in: source.memberNames(of: path)))
    }
    if let first = word.first, first.isASCII, first.isNumber { return none }
    var names = source.completionNames()
    if let callee = Self.enclosingCall(before, upTo: start) {
      names += source.parameterNames(ofCall: callee).map { $0 + ":" }
    }
    return Completion(start: start, candidates: Self.matching(word, in: names))
  }

  // MARK: - Rules

  private func pathCompletion(_ before: [Character], from start: Int) -> Completion {
    let partial = String(before[start...])
    return Completion(start: start, candidates: PathCompleter.candidates(for: partial, in: workingDirectory))
  }

  /// The start of the argument after `:load`, `:save` or `:export` and some blanks (an
  /// opening quote is skipped), or `nil` when the cursor is not in such an argument.
  static func pathArgumentStart(_ before: [Character]) -> Int? {
    var index = 0
    while index < before.count, before[index].isWhitespace { index += 1 }
    let commandStart = index
    while index < before.count, !before[index].isWhitespace { index += 1 }
    guard pathCommands.contains(String(before[commandStart..<index])),
      index < before.count
    else { return nil }
    while index < before.count, before[index].isWhitespace { index += 1 }
    if index < before.count, before[index] == "\"" || before[index] == "'" { index += 1 }
    return index
  }

  enum LexicalState: Equatable {
    case code
    /// Inside a string literal whose opening quote is at this offset.
    case string(Int)
    case comment
  }

  /// Where the text before the cursor ends: in code, in an open string (`"` or `'`; a
  /// backslash escapes the next character) or in a `#` comment.
  static func lexicalState(_ before: [Character]) -> LexicalState {
    var state = LexicalState.code
    var index = 0
    while index < before.count {
      let character = before[index]
      switch state {
      case .code:
        if character == "\"" || character == "'" { state = .string(index) }
        if character == "#" { return .comment }
      case .string(let open):
        if character == "\\" {
          index += 1
        } else if character == before[open] {
          state = .code
        }
      case .comment:
        return .comment
      }
      index += 1
    }
    return state
  }

  /// Letters, `_` and ASCII digits, as the qats lexer reads identifiers.
  static func isIdentifierCharacter(_ character: Character) -> Bool {
    if character == "_" || (character.isASCII && character.isNumber) { return true }
    return character.unicodeScalars.first?.properties.isAlphabetic ?? false
  }

  /// The names that start with `prefix`, sorted and de-duplicated.
  static func matching(_ prefix: String, in names: [String]) -> [String] {
    Array(Set(names.filter { $0.hasPrefix(prefix) })).sorted()
  }
}

/// File-path candidates for a partly typed path, as typed: relative, absolute or `~/…`.
enum PathCompleter {
  /// The paths that complete `partial`; directories end with `/`, and hidden entries
  /// appear only once their name starts with `.`.
  static func candidates(for partial: String, in workingDirectory: String?) -> [String] {
    if partial == "~" { return ["~/"] }
    let slash = partial.lastIndex(of: "/")
    let typedDirectory = slash.map { String(partial[...$0]) } ?? ""
    let namePrefix = slash.map { String(partial[partial.index(after: $0)...]) } ?? partial
    guard let directory = resolve(typedDirectory, in: workingDirectory) else { return [] }

    let fileManager = FileManager.default
    guard let names = try? fileManager.contentsOfDirectory(atPath: directory) else { return [] }
    let showHidden = namePrefix.hasPrefix(".")
    let candidates = names.compactMap { name -> String? in
      guard name.hasPrefix(namePrefix), showHidden || !name.hasPrefix(".") else { return nil }
      var isDirectory: ObjCBool = false
      let exists = fileManager.fileExists(atPath: directory + "/" + name, isDirectory: &isDirectory)
      return typedDirectory + name + (exists && isDirectory.boolValue ? "/" : "")
    }
    return candidates.sorted()
  }

  /// The directory to list for the directory part of a typed path (`""`, `dir/`, `/abs/`,
  /// `~/dir/`); `nil` for `~user/`, which is not supported.
  static func resolve(_ typed: String, in workingDirectory: String?) -> String? {
    if typed.hasPrefix("/") { return typed }
    if typed.hasPrefix("~") {
      guard typed.hasPrefix("~/") else { return nil }
      return homeDirectory() + typed.dropFirst()
    }
    let base = workingDirectory ?? FileManager.default.currentDirectoryPath
    return typed.isEmpty ? base : base + "/" + typed
  }

  private static func homeDirectory() -> String {
    if let home = ProcessInfo.processInfo.environment["HOME"], !home.isEmpty { return home }
    return NSHomeDirectory()
  }
}
