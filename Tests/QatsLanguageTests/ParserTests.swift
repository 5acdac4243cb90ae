import Testing
@testable import QatsLanguage

@Suite struct ParserTests {
  @Test func precedenceAndAssociativity() throws {
    #expect(try run("1 + 2 * 3 - 4") == "3")
    #expect(try run("2 ** 3 ** 2") == "512")
    #expect(try run("-2 ** 2") == "-4")
    #expect(try run("not 1 < 2 or true and false") == "false")
    #expect(try run("(1 + 2) * 3") == "9")
  }

  @Test func statementsSeparateByNewlineOrSemicolon() throws {
    #expect(try run("a = 1; b = 2\nc = a + b; c") == "3")
  }

  @Test func bracketsAndTrailingOperatorsContinueLines() throws {
    #expect(
      try run(
        "xs = [1,\n  2,\n  3]\ntotal = 1 +\n  2\nr = {\n bits: 4,\n per_channel: true\n}\nlen(xs) + total + r.bits")
        == "10")
  }

  @Test func ifConditionBraceIsTheBodyNotABlockArgument() throws {
    #expect(
      failure("x = 3\nif x { }").contains("test.qats:2:4: error: `if` condition must be true or false, got int 3"))
    #expect(try run("x = 3\ny = 0\nif x > 2 { y = 1 } else { y = 2 }\ny") == "1")
    #expect(try run("ok = true\nif ok { 5 }\n") == "")
  }

  @Test func elseIfChains() throws {
    let code =
      """
      fn sign(x) {\n if x > 0 { return 1 } else if x < 0 { return -1 } else { return 0 }\n}\n[sign(5), sign(-2), \
      sign(0)]
      """
    #expect(try run(code) == "[1, -1, 0]")
  }

  @Test func trailingBlocksReachBuiltins() throws {
    #expect(try run("v = time { 1 + 1 }\nv").hasSuffix("\n2"))
  }

  @Test func oneCellReportsAllItsSyntaxErrors() {
    let text = failure("a = (1 +\nb = 2\nc = ]\nd = 4 5")
    let lines = text.split(separator: "\n").filter { $0.hasPrefix("test.qats:") }
    #expect(lines.count >= 2)
    #expect(text.contains("test.qats:3:5: syntax error: expected an expression, found `]`"))
    #expect(text.contains("test.qats:4:7: syntax error: expected a newline or `;` after the statement, found `5`"))
  }

  @Test func missingClosersPointAtTheOpener() {
    #expect(failure("f(1, 2").contains("test.qats:1:2: syntax error: expected `)` to close the call opened at line 1"))
    #expect(failure("xs = [1, 2").contains("expected `]` to close the list opened at line 1"))
    #expect(failure("for x in [1] {\n print(x)\n").contains("expected `}` to close the block opened at line 1"))
  }

  @Test func deepNestingIsAnErrorNotACrash() {
    let deep = String(repeating: "(", count: 5000) + "1" + String(repeating: ")", count: 5000)
    #expect(failure(deep).contains("nested too deeply"))
    let deepList = String(repeating: "[", count: 3000) + String(repeating: "]", count: 3000)
    #expect(failure(deepList).contains("nested too deeply"))
  }

  @Test func assignmentTargetsAreChecked() {
    #expect(failure("1 + 2 = 3").contains("cannot assign to this expression"))
    #expect(failure("f() = 3").contains("cannot assign to this expression"))
  }

  @Test func modeStatementAndItsErrors() throws {
    #expect(try run("mode qat\nmode") == "mode: qat")
    #expect(
      failure("mode qta").contains(
        """
        test.qats:1:6: syntax error: unknown mode `qta`: expected `ptq` or `qat`\n  mode qta\n       ^\n  did you \
        mean `qat`?
        """
      ))
  }

  @Test func keywordArgumentRules() {
    #expect(failure("print(sep: \"-\", 1)").contains("a positional argument cannot follow keyword arguments"))
    #expect(failure("print(sep: \"-\", sep: \"+\")").contains("argument `sep` is given twice"))
  }

  @Test func statementSourceTextIsKept() throws {
    let statements = try Parser.parse(Source(name: "t", text: "## Title\nx = [1,\n 2]\nprint(x)"))
    #expect(statements.map(\.sourceText) == ["## Title", "x = [1,\n 2]", "print(x)"])
  }

  @Test func completenessForTheRepl() {
    #expect(Completeness.needsMoreInput("model(data) {\n conv(16)\n"))
    #expect(Completeness.needsMoreInput("x = [1, 2,"))
    #expect(Completeness.needsMoreInput("s = \"open"))
    #expect(Completeness.needsMoreInput("total = 1 +"))
    #expect(!Completeness.needsMoreInput("x = 1"))
    #expect(!Completeness.needsMoreInput("f(1))"))  // too many closers: let the parser report it
  }
}
