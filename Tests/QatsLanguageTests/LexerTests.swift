import Testing
@testable import QatsLanguage

@Suite struct LexerTests {
  @Test func numbersKeepIntegersAndFloatsApart() {
    #expect(kinds("3 3.0 1e3 2.5e-2 1_000") == [.integer(3), .float(3.0), .float(1000), .float(0.025), .integer(1000)])
  }

  @Test func memberAccessOnIndexIsNotAFloat() {
    #expect(
      kinds("a[0].b") == [
        .identifier("a"), .symbol(.lbracket), .integer(0), .symbol(.rbracket), .symbol(.dot), .identifier("b"),
      ])
  }

  @Test func stringsWithEscapesAndBothQuotes() {
    #expect(kinds(#""a\n\"b\"" 'c\'d' "\u{1F600}""#) == [.string("a\n\"b\""), .string("c'd"), .string("😀")])
  }

  @Test func operatorsLongestMatchFirst() {
    #expect(
      kinds("a // b ** c <= d != e += 1") == [
        .identifier("a"), .symbol(.slashSlash), .identifier("b"), .symbol(.power), .identifier("c"),
        .symbol(.lessEqual), .identifier("d"), .symbol(.notEqual), .identifier("e"), .symbol(.plusAssign), .integer(1),
      ])
  }

  @Test func commentsVanishButNarrativeLinesStay() {
    #expect(
      kinds("x = 1 # note\n## Heading text\n  ## indented") == [
        .identifier("x"), .symbol(.assign), .integer(1), .newline, .narrative("Heading text"), .newline,
        .narrative("indented"),
      ])
  }

  @Test func keywordsAreReserved() {
    #expect(
      kinds("fn for in and not nil") == [
        .keyword(.fn), .keyword(.for), .keyword(.in), .keyword(.and), .keyword(.not), .keyword(.nil),
      ])
  }

  @Test func unicodeIdentifiersAndColumnsCountCharacters() {
    var lexer = Lexer(source: Source(name: "t", text: "é = \"ü\"; größe = 1"))
    let tokens = lexer.tokenize()
    #expect(tokens[0].kind == .identifier("é"))
    #expect(tokens[4].kind == .identifier("größe"))
    #expect(tokens[4].location.column == 10)
  }

  @Test func errorsAreCollectedNotFatal() {
    var lexer = Lexer(source: Source(name: "t", text: "a = 99999999999999999999\nb = $\nc = \"open"))
    _ = lexer.tokenize()
    let messages = lexer.errors.map { "\($0.location?.line ?? 0):\($0.location?.column ?? 0) \($0.message)" }
    #expect(
      messages == [
        "1:5 integer `99999999999999999999` does not fit in 64 bits (largest is 9223372036854775807)",
        "2:5 unexpected character `$`",
        "3:5 unterminated string: expected a closing \"",
      ])
  }

  @Test func veryLongLinesWork() throws {
    let long = "x = [" + Array(repeating: "1", count: 20_000).joined(separator: ", ") + "]"
    #expect(try run(long + "\nsum(x)") == "20000")
  }

  @Test func veryLongOperatorChainsAreAnErrorNotACrash() {
    let long = "x = " + Array(repeating: "1", count: 20_000).joined(separator: " + ")
    #expect(failure(long).contains("chains too many operators"))
    #expect(failure("x = " + Array(repeating: "1", count: 150).joined(separator: " * ")) == "no error")
  }
}
