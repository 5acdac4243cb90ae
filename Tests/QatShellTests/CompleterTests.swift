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
    #expect(complete("[1, 2][0].").candidates.isEmpty)
    #expect(complete("a[b[0]].").candidates.isEmpty)
    #expect(source.askedForMembersOf.isEmpty)
  }

  @Test func pathsWithIndicesAreHandedToTheSourceWhole() {
    _ = complete("x = net.layers[0].w")
    _ = complete("d.test[-1][2].")
    #expect(source.askedForMembersOf == ["net.layers[0]", "d.test[-1][2]"])
  }

  @Test func theArgumentOfAStringIsFoundByLabelOrPosition() {
    func slot(_ line: String) -> ArgumentSlot? {
      let characters = Array(line)
      return Completer.argumentSlot(characters, quote: characters.count - 1)
    }
    #expect(slot("quantize(net, d, observer: \"") == ArgumentSlot(callee: "quantize", key: .keyword("observer")))
    #expect(slot("f(g(1, \")\"), \"") == ArgumentSlot(callee: "f", key: .position(1)))
    #expect(slot("s(n, methods: [\"ptq\", \"") == ArgumentSlot(callee: "s", key: .keyword("methods"), inList: true))
    #expect(slot("f(x + \"") == nil)
    #expect(slot("x = \"") == nil)
    #expect(slot("(1, \"") == nil)
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

/// Tab inside the string of a choice parameter, and members after an index, in a real session.
@Suite struct ChoiceAndIndexCompletionTests {
  let digits = repoRoot.appendingPathComponent("samples/digits").path

  private func candidates(_ s: CapturedSession, _ line: String) -> [String] {
    Completer(source: s.session, metaCommands: []).complete(line: line, cursor: line.count).candidates
  }

  /// The declared choices of `builtin`'s parameter, sorted as Tab offers them.
  private func declared(_ s: CapturedSession, _ builtin: String, _ parameter: String) throws -> [String] {
    let p = try #require(s.session.interpreter.registry.lookup(builtin)?.parameters.first { $0.name == parameter })
    return p.type.choices(inList: false).sorted()
  }

  @Test func aChoiceParameterCompletesItsDeclaredChoices() throws {
    let s = CapturedSession()
    let observers = try declared(s, "quantize", "observer")
    #expect(observers.contains("minmax") && observers.contains("histogram"))
    #expect(candidates(s, "quantize(net, d, observer: \"") == observers)
    #expect(candidates(s, "q = quantize(net, d, bits: 4, observer: \"hi") == ["histogram\""])
    #expect(candidates(s, "train(net, d, optimizer: 'a") == ["adam'"])
    #expect(candidates(s, "images(\"x\", color: \"") == ["auto", "gray", "rgb"])
    // By position: the sixth positional argument of `train` is its optimizer.
    #expect(candidates(s, "train(net, d, 3, 0.1, 32, \"s") == ["sgd\""])
    // Items of a list given as a list-of-choices parameter.
    #expect(candidates(s, "sweep(net, d, methods: [\"ptq\", \"q") == ["qat\""])
    // Nothing matches: nothing is offered (not file names).
    #expect(candidates(s, "quantize(net, d, observer: \"zzz").isEmpty)
  }

  @Test func otherStringsStillCompleteFilePaths() {
    let s = CapturedSession()
    let line = "images(\"\(repoRoot.path)/samp"
    #expect(candidates(s, line) == ["\(repoRoot.path)/samples/"])
    // Part of an expression, not a whole argument: paths too.
    #expect(candidates(s, "quantize(net, d, observer: x + \"\(repoRoot.path)/samp") == ["\(repoRoot.path)/samples/"])
  }

  @Test func membersAfterLiteralIndices() {
    let s = CapturedSession()
    s.input("cfgs = [{bits: 4, per_channel: true}, {bits: 8}]", "nested = {runs: [{a: 1}]}")
    #expect(candidates(s, "cfgs[0].") == ["bits", "per_channel"])
    #expect(candidates(s, "cfgs[-1].b") == ["bits"])
    #expect(candidates(s, "print(nested.runs[0].") == ["a"])
    #expect(candidates(s, "nested[\"runs\"][0].") == ["a"])
    #expect(candidates(s, "cfgs[9].").isEmpty)
  }

  @Test func aComputedIndexIsNeverEvaluated() {
    let s = CapturedSession()
    s.input("cfgs = [{bits: 4}]", "fn loud() { print(\"ran\"); return 0 }")
    #expect(candidates(s, "cfgs[loud()].").isEmpty)
    #expect(candidates(s, "cfgs[1 - 1].").isEmpty)
    #expect(!s.out.contains("ran"))
  }

  @Test func modelLayersAndTestImagesCompleteTheirMembers() {
    let s = CapturedSession()
    s.input("d = images(\"\(digits)\")", "net = model(d) { flatten(); dense(10) }")
    #expect(candidates(s, "net.layers[1].").contains("weight"))
    #expect(candidates(s, "d.test[0].").contains("label"))
    #expect(candidates(s, "d.test[0].cl") == ["class"])
  }
}
