import Testing
@testable import QatsLanguage

@Suite struct EvaluatorTests {
  @Test func integersAndFloatsPrintDistinctly() throws {
    #expect(
      try run("[7 // 2, 7 / 2, 6 / 3, 2.0 * 3, 0.1 + 0.2, 1e20, -0.0, 7 % -3]")
        == "[3, 3.5, 2.0, 6.0, 0.30000000000000004, 1e+20, -0.0, -2]")
  }

  @Test func integerOverflowIsAnError() {
    #expect(failure("9223372036854775807 + 1").contains("integer overflow in `+`"))
    #expect(failure("2 ** 64").contains("integer overflow in `**`"))
    #expect(failure("x = -9223372036854775807 - 1\nx * -1").contains("integer overflow in `*`"))
  }

  @Test func floatsHandleLargeValues() throws {
    #expect(try run("2.0 ** 70") == "1.1805916207174113e+21")
  }

  @Test func divisionByZero() {
    #expect(failure("1 / 0").contains("test.qats:1:3: error: division by zero"))
    #expect(failure("5 // 0").contains("division by zero"))
    #expect(failure("5.0 % 0").contains("division by zero"))
  }

  @Test func stringsAndLists() throws {
    #expect(try run("\"ab\" + \"cd\"") == "abcd")
    #expect(try run("[\"ab\" * 2, [1] * 3, [1, 2] + [3], len(\"größe\")]") == "[\"abab\", [1, 1, 1], [1, 2, 3], 5]")
    #expect(failure("\"n = \" + 3").contains("convert with `str(x)`"))
  }

  @Test func listsAndRecordsAreValues() throws {
    #expect(try run("a = [1, 2]\nb = a\nb[0] = 9\n[a, b]") == "[[1, 2], [9, 2]]")
    #expect(
      try run("r = {bits: 4, inner: {x: [1, 2]}}\nr.inner.x[1] = 5\nr.bits += 1\nr") == "{bits: 5, inner: {x: [1, 5]}}")
    #expect(try run("r = {}\nr[\"new key\"] = 1\nr") == "{\"new key\": 1}")
  }

  @Test func indexingFromTheEndAndOutOfRange() throws {
    #expect(try run("xs = [1, 2, 3]\n[xs[-1], xs[0], \"abc\"[1]]") == "[3, 1, \"b\"]")
    #expect(
      failure("xs = [1, 2, 3]\nxs[3]").contains("test.qats:2:4: error: index 3 is out of range for a list of 3 items"))
  }

  @Test func unknownNamesSuggestTheNearest() {
    #expect(
      failure("lenght = 3\nprnt(lenght)").contains("unknown name `prnt`\n  prnt(lenght)\n  ^\n  did you mean `print`?"))
    #expect(failure("r = {bits: 4}\nr.bist").contains("the record has no field `bist`"))
    #expect(failure("r = {bits: 4}\nr.bist").contains("did you mean `bits`?"))
  }

  @Test func functionsClosuresAndRecursion() throws {
    let code = """
      fn fact(n) { if n <= 1 { return 1 }; return n * fact(n - 1) }
      fn adder(k) { return fn(x) { return x + k } }
      add3 = adder(3)
      [fact(10), add3(4), adder(k: 1)(1)]
      """
    #expect(try run(code) == "[3628800, 7, 2]")
  }

  @Test func assignmentInsideAFunctionIsLocal() throws {
    #expect(try run("x = 1\nfn f() { x = 2; return x }\n[f(), x]") == "[2, 1]")
  }

  @Test func argumentErrorsForUserFunctions() {
    #expect(failure("fn f(a, b) { return a }\nf(1)").contains("`f` is missing argument `b`"))
    #expect(failure("fn f(a) { return a }\nf(1, 2)").contains("`f` takes 1 argument (a), got 2"))
    #expect(failure("fn f(a) { return a }\nf(b: 2)").contains("`f` has no parameter `b`"))
  }

  @Test func deepRecursionIsAnErrorNotACrash() {
    #expect(failure("fn down(n) { return down(n + 1) }\ndown(0)").contains("recursion too deep"))
  }

  @Test func loopsBreakContinue() throws {
    let code = """
      total = 0
      for i in range(10) { if i == 7 { break }; if i % 2 == 0 { continue }; total += i }
      n = 0
      while n < 5 { n += 1 }
      [total, n, range(2, 8, 3), range(5, 0, -2)]
      """
    #expect(try run(code) == "[9, 5, [2, 5], [5, 3, 1]]")
  }

  @Test func conditionsMustBeBooleans() {
    #expect(failure("while 1 { }").contains("`while` condition must be true or false, got int 1"))
    #expect(failure("1 and true").contains("the left side of `and` must be true or false"))
  }

  @Test func shortCircuit() throws {
    #expect(try run("false and undefined_name") == "false")
    #expect(try run("true or undefined_name") == "true")
  }

  @Test func returnAndBreakOutsideTheirPlace() {
    #expect(failure("return 1").contains("`return` outside a function"))
    #expect(failure("break").contains("`break`/`continue` outside a loop"))
  }

  @Test func predefinedConstantsAndMode() throws {
    #expect(try run("[ptq, qat]") == "[\"ptq\", \"qat\"]")
    #expect(try run("mode qat\nmode\nmode ptq\nmode") == "mode: qat\nmode: ptq")
  }

  @Test func cellsShowStringsPlainAndNilNotAtAll() throws {
    #expect(try run("\"hello\"\nnil\nprint(\"a\", 1, [\"b\"])") == "hello\na 1 [\"b\"]")
  }

  @Test func valuesPrintUsefully() throws {
    #expect(
      try run("[true, nil, {a: 1, \"b c\": \"x\\ny\"}, print, fn(a, b) { return a }]")
        == "[true, nil, {a: 1, \"b c\": \"x\\ny\"}, built-in print(sep), fn (a, b)]")
  }

  @Test func seededRandomIsReproducible() throws {
    let a = try run("seed(42)\n[random(), random()]")
    let b = try run("seed(42)\n[random(), random()]")
    let c = try run("seed(43)\n[random(), random()]")
    #expect(a == b)
    #expect(a != c)
    #expect(try run("[random()]", seed: 7) == (try run("seed(7)\n[random()]")))
  }
}

@Suite struct DeepValueTests {
  /// Nesting is capped where lists and records are made, so every walk over a value (showing,
  /// JSON, equality, freeing) is bounded; a value at the cap still works everywhere.
  @Test func nestingIsCappedWhereValuesAreMadeAndValuesAtTheCapWork() throws {
    let wrap = failure("x = []\nfor i in range(5000) { x = [x] }")
    #expect(wrap.contains("test.qats:2:28: error: lists and records may nest at most 1000 levels deep"), "\(wrap)")
    #expect(wrap.contains("this one would nest 1001 levels"))
    #expect(failure("r = {}\nfor i in range(5000) { r = {a: r} }").contains("test.qats:2:28: error: lists and records"))
    #expect(failure("x = []\nfor i in range(5000) { x = append([], x) }").contains("may nest at most 1000"))
    #expect(failure("x = []\nfor i in range(5000) { y = [0]; y[0] = x; x = y }").contains("may nest at most 1000"))
    #expect(failure("x = {}\nfor i in range(5000) { y = {}; y.a = x; x = y }").contains("may nest at most 1000"))
    #expect(failure("x = {}\nfor i in range(5000) { y = {a: {}}; y.a.b = x; x = y }").contains("may nest at most"))
    // At the cap (1000 levels): shown, compared, encoded and freed.
    let atCap = """
      x = []
      for i in range(999) { x = [x] }
      r = {}
      for i in range(999) { r = {a: r} }
      y = x
      [len(str(x)), x == y, len(json(x)), len(json(r)), len(str(r)) > 0]
      """
    #expect(try run(atCap) == "[2000, true, 2000, 5996, true]")
    #expect(failure(atCap + "\n[x]").contains("this one would nest 1001 levels"))
    #expect(failure(atCap + "\nz = [1]\nz[0] = x").contains("test.qats:8:2: error: lists and records may nest"))
    #expect(failure(atCap + "\nz = [[1]]\nz[0][0] = x[0]").contains("test.qats:8:5: error: lists and records may nest"))
  }

  @Test func recursionDepthLimitIsAnErrorAtAThousandCalls() throws {
    #expect(try run("fn depth(n) { if n == 0 { return 0 }; return 1 + depth(n - 1) }\ndepth(900)") == "900")
    #expect(failure("fn depth(n) { return 1 + depth(n + 1) }\ndepth(0)").contains("more than 1000 nested calls"))
  }
}
