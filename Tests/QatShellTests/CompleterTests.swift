import Foundation
import Testing

@testable import QatShell

/// A fixed set of names and members, so each rule is checked without a session.
private final class StubSource: CompletionSource {
  var names = ["print", "prune", "prune", "images", "import", "größe", "grün", "mode", "train"]
  var members = ["data": ["train", "test", "classes", "count"], "data.train": ["count", "classes"]]
  private(set) var askedForMembersOf: [String] = []

  func completionNames() -> [String] { names }

  func memberNames(of expression: String) -> [String] {
    askedForMembersOf.append(expression)
    return members[expression] ?? []
  }
}

private let metaCommands = [":help", ":vars", ":load", ":save", ":export", ":reset", ":time", ":quit"]

/// A throwaway directory tree: `samples/` (with `digits/` and `demo.qats`), `notes.md`,
/// `.hidden`; removed when the closure returns.
private func withTemporaryTree(_ body: (String) throws -> Void) throws {
  let fileManager = FileManager.default
  let root = fileManager.temporaryDirectory
    .appendingPathComponent("CompleterTests-\(UUID().uuidString)").path
  try fileManager.createDirectory(atPath: root + "/samples/digits", withIntermediateDirectories: true)
  for file in ["/samples/demo.qats", "/samples/dataset.txt", "/notes.md", "/.hidden"] {
    #expect(fileManager.createFile(atPath: root + file, contents: Data()))
  }
  defer { try? fileManager.removeItem(atPath: root) }
  try body(root)
}

@Suite struct CompleterTests {
  private let source = StubSource()
  private var completer: Completer { Completer(source: source, metaCommands: metaCommands) }

  private func complete(_ line: String, cursor: Int? = nil) -> Completion {
    completer.complete(line: line, cursor: cursor ?? line.count)
  }

  // MARK: (d) identifiers

  @Test func identifierPrefixOffersSortedUniqueNames() {
    #expect(complete("x = pr") == Completion(start: 4, candidates: ["print", "prune"]))
  }

  @Test func emptyLineOffersEveryName() {
    let expected = Array(Set(source.names)).sorted()
    #expect(complete("") == Completion(start: 0, candidates: expected))
  }

  @Test func cursorInTheMiddleCompletesTheWordBeforeIt() {
    #expect(complete("im + y", cursor: 2) == Completion(start: 0, candidates: ["images", "import"]))
  }

  @Test func numbersAreNotCompleted() {
    #expect(complete("x = 12").candidates.isEmpty)
    #expect(complete("x = 1.5").candidates.isEmpty)
  }

  @Test func commentsAreNotCompleted() {
    #expect(complete("x = 1  # pr").candidates.isEmpty)
  }

  @Test func nonASCIILineCountsCharactersNotBytes() {
    // "é" is one Character but two UTF-8 bytes: "grü" starts at Character 7 (byte 8).
    let line = "café = grü"
    #expect(complete(line) == Completion(start: 7, candidates: ["grün"]))
    // A decomposed "é" (e + U+0301) is one Character too.
    let decomposed = "cafe\u{301} = grö"
    #expect(complete(decomposed) == Completion(start: 7, candidates: ["größe"]))
    #expect(complete("größe + pri", cursor: 11) == Completion(start: 8, candidates: ["print"]))
  }

  @Test func cursorBeyondTheLineIsClamped() {
    #expect(complete("pri", cursor: 99) == Completion(start: 0, candidates: ["print"]))
    #expect(complete("pri", cursor: -4) == Completion(start: 0, candidates: Array(Set(source.names)).sorted()))
  }

  // MARK: (b) members

  @Test func memberAfterDotAsksTheSourceForThePath() {
    #expect(complete("acc = data.t") == Completion(start: 11, candidates: ["test", "train"]))
    #expect(complete("data.train.c") == Completion(start: 11, candidates: ["classes", "count"]))
    #expect(source.askedForMembersOf == ["data", "data.train"])
  }

  @Test func memberWithEmptyPartialOffersAllMembers() {
    #expect(complete("data.").candidates == ["classes", "count", "test", "train"])
  }

  @Test func membersOfNonPathsAreNotAskedFor() {
    #expect(complete("f(x).tr").candidates.isEmpty)
    #expect(complete("a..b").candidates.isEmpty)
    #expect(complete("x = 3.").candidates.isEmpty)
    #expect(source.askedForMembersOf.isEmpty)
  }

  // MARK: (c) meta commands

  @Test func colonAtLineStartOffersMetaCommands() {
    #expect(complete(":") == Completion(start: 0, candidates: metaCommands.sorted()))
    #expect(complete(":s") == Completion(start: 0, candidates: [":save"]))
    #expect(complete("  :ti") == Completion(start: 2, candidates: [":time"]))
  }

  @Test func colonElsewhereIsNotAMetaCommand() {
    #expect(complete("{bits: ").candidates == Array(Set(source.names)).sorted())
    #expect(complete("x:s").candidates.isEmpty)
  }

  // MARK: (a) paths in strings and after :load / :save / :export

  @Test func pathInsideAStringIsCompletedFromTheWorkingDirectory() throws {
    try withTemporaryTree { root in
      let completer = Completer(source: source, metaCommands: metaCommands, workingDirectory: root)
      #expect(
        completer.complete(line: #"data = images("sa"#, cursor: 17)
          == Completion(start: 15, candidates: ["samples/"]))
      #expect(
        completer.complete(line: #"images("samples/d"#, cursor: 17)
          == Completion(start: 8, candidates: ["samples/dataset.txt", "samples/demo.qats", "samples/digits/"]))
      #expect(completer.complete(line: #"load(""#, cursor: 6).candidates == ["notes.md", "samples/"])
      #expect(completer.complete(line: #"load("."#, cursor: 7).candidates == [".hidden"])
    }
  }

  @Test func absolutePathsAndSingleQuotesWork() throws {
    try withTemporaryTree { root in
      let line = "images('\(root)/sam"
      #expect(complete(line) == Completion(start: 8, candidates: ["\(root)/samples/"]))
    }
  }

  @Test func closedStringsAndEscapedQuotesAreTrackedCorrectly() throws {
    try withTemporaryTree { root in
      let completer = Completer(source: source, metaCommands: metaCommands, workingDirectory: root)
      // The string is closed: back to identifiers.
      #expect(completer.complete(line: #"f("x", pr"#, cursor: 9).candidates == ["print", "prune"])
      // An escaped quote does not close the string; the word starts after the opening quote.
      let line = #"f("a\"b", "no"#
      #expect(completer.complete(line: line, cursor: line.count) == Completion(start: 11, candidates: ["notes.md"]))
      // A quote of the other kind inside a string is just a character.
      #expect(completer.complete(line: #"f("it's no"#, cursor: 10).candidates.isEmpty)
    }
  }

  @Test func loadSaveAndExportArgumentsAreFilePaths() throws {
    try withTemporaryTree { root in
      let completer = Completer(source: source, metaCommands: metaCommands, workingDirectory: root)
      #expect(
        completer.complete(line: ":load samples/de", cursor: 16)
          == Completion(start: 6, candidates: ["samples/demo.qats"]))
      #expect(completer.complete(line: ":save no", cursor: 8) == Completion(start: 6, candidates: ["notes.md"]))
      #expect(completer.complete(line: ":export! no", cursor: 11) == Completion(start: 9, candidates: ["notes.md"]))
      #expect(completer.complete(line: #":export  "n"#, cursor: 11) == Completion(start: 10, candidates: ["notes.md"]))
      // Other meta commands take no path.
      #expect(completer.complete(line: ":time pr", cursor: 8).candidates == ["print", "prune"])
    }
  }

  @Test func homeDirectoryShorthandIsKeptAsTyped() {
    #expect(complete(#"load("~"#).candidates == ["~/"])
    #expect(complete(#"load("~someone/x"#).candidates.isEmpty)
  }

  @Test func missingDirectoriesGiveNoCandidates() {
    #expect(complete(#"images("/no/such/dir/x"#).candidates.isEmpty)
  }
}

/// libedit counts code points; the shell counts Characters.
@Suite struct LineEditorPositionTests {
  @Test func codePointsAndCharactersConvertBothWays() {
    let line = "cafe\u{301} = ö"  // 8 Characters, 9 code points
    #expect(LineEditor.characterOffset(ofScalarOffset: 9, in: line) == 8)
    #expect(LineEditor.scalarOffset(ofCharacterOffset: 8, in: line) == 9)
    #expect(LineEditor.characterOffset(ofScalarOffset: 5, in: line) == 4)
    #expect(LineEditor.scalarOffset(ofCharacterOffset: 4, in: line) == 5)
    // Inside a Character (between "e" and its accent): only whole Characters count.
    #expect(LineEditor.characterOffset(ofScalarOffset: 4, in: line) == 3)
    #expect(LineEditor.characterOffset(ofScalarOffset: 99, in: line) == 8)
    #expect(LineEditor.scalarOffset(ofCharacterOffset: -1, in: line) == 0)
  }
}

@Suite struct ParameterCompletionTests {
  @Test func keywordParametersInsideACall() {
    let s = CapturedSession()
    s.input("fn area(width, height) { return width * height }")
    let completer = Completer(source: s.session, metaCommands: [])
    #expect(completer.complete(line: "range(1, st", cursor: 11).candidates == ["step:", "str"])
    #expect(completer.complete(line: "area(1, he", cursor: 10).candidates == ["height:"])
    #expect(completer.complete(line: "print(len([1]), se", cursor: 18).candidates == ["seed", "sensitivity", "sep:"])
    // After the call closes, parameter names are no longer offered.
    #expect(completer.complete(line: "range(1) + st", cursor: 13).candidates == ["str"])
    // Brackets inside strings do not confuse the scan.
    #expect(completer.complete(line: "range(len(\")\"), st", cursor: 18).candidates == ["step:", "str"])
  }
}
