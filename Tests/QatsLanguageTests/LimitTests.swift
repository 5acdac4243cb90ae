import Foundation
import QatOutput
import Testing

@testable import QatsLanguage

/// What a user's numbers and loops cannot do to the process: overflow traps, values without
/// bound, assignments that copy whole containers.
@Suite struct LimitTests {
  @Test func everyIntegerOperatorAndBuiltinReportsOverflow() {
    let min = "x = -9223372036854775807 - 1\n"
    #expect(failure(min + "-x").contains("integer overflow in `-`"))
    #expect(failure(min + "x - 1").contains("integer overflow in `-`"))
    #expect(failure(min + "x // -1").contains("integer overflow in `//`"))
    #expect(failure(min + "x % -1").contains("integer overflow in `%`"))
    #expect(failure(min + "abs(x)").contains("does not fit in 64 bits"))
    #expect(failure(min + "x += -1").contains("integer overflow in `+`"))
    #expect(failure("3 ** 41").contains("integer overflow in `**`"))
    #expect(failure("sum([9223372036854775807, 1])").contains("integer overflow"))
    #expect(failure("int(1e300)").contains("does not fit in an integer"))
    #expect(failure("round(1e300)").contains("does not fit in an integer"))
  }

  @Test func rangeCountsWithoutOverflow() throws {
    #expect(failure("range(-10, 9223372036854775807)").contains("would make 9223372036854775817 numbers"))
    #expect(
      failure("range(-9223372036854775807 - 1, 9223372036854775807)").contains(
        "would make 18446744073709551615 numbers"))
    #expect(try run("range(0, -5, step: -9223372036854775807 - 1)") == "[0]")
    #expect(
      try run("range(9223372036854775804, 9223372036854775807, step: 2)")
        == "[9223372036854775804, 9223372036854775806]")
    #expect(
      try run("range(-9223372036854775807 - 1, -9223372036854775807 + 2, step: 2)")
        == "[-9223372036854775808, -9223372036854775806]")
    #expect(try run("range(9223372036854775807, 0, step: -9223372036854775807)") == "[9223372036854775807]")
    // Small arguments: the same numbers as counting by hand.
    for (start, stop, step) in [(0, 10, 3), (10, 0, -3), (5, 5, 1), (-7, 7, 2), (7, -7, -5), (0, 1, 100)] {
      let expected = Array(stride(from: start, to: stop, by: step))
      #expect(try run("range(\(start), \(stop), step: \(step))") == "\(expected)")
    }
  }

  @Test func joiningStringsAndListsIsLimitedLikeRepeating() throws {
    let doubling = failure("s = \"x\"\nfor i in range(40) { s = s + s }")
    #expect(doubling.contains("test.qats:2:28: error: `+` would make a string of 16777216 characters"), "\(doubling)")
    #expect(doubling.contains("the limit is 10000000"))
    #expect(failure("s = \"x\"\nfor i in range(40) { s += s }").contains("`+` would make a string of 16777216"))
    // Repeating counts that overflow when multiplied used to slip past the limit.
    #expect(failure("\"ab\" * 4611686018427387904").contains("cannot repeat a string 4611686018427387904 times"))
    #expect(failure("[1, 2] * 4611686018427387904").contains("cannot repeat a list 4611686018427387904 times"))
    // Lists: the check itself (a list of 10 million values is too big for a quick test).
    let interpreter = Interpreter(output: CapturingOutput())
    let location = SourceLocation(source: Source(name: "t", text: "x"), offset: 0)
    #expect(throws: QatsError.self) {
      try interpreter.checkJoinedLength(9_999_999, 2, what: "list", unit: "items", at: location)
    }
    #expect(throws: Never.self) {
      try interpreter.checkJoinedLength(9_999_999, 1, what: "list", unit: "items", at: location)
    }
  }

  @Test func assignmentChangesOnlyItsTargetAndKeepsValueSemantics() throws {
    let code = """
      d = {a: {b: [1, 2, {c: 3}]}}
      d.a.b[2].c += 10
      d.a.b[0] = "z"
      d["a"]["q"] = 5
      e = d
      e.a.b[1] = 0
      xs = [1]
      xs += xs
      s = "ab"
      s += "cd"
      n = 5
      n *= 3
      fn f() { d.a.q = 99; return d.a.q }
      [d, e.a.b, xs, s, n, f(), d.a.q]
      """
    #expect(
      try run(code)
        == "[{a: {b: [\"z\", 2, {c: 13}], q: 5}}, [\"z\", 0, {c: 13}], [1, 1], \"abcd\", 15, 99, 5]")
  }

  @Test func failedAssignmentsLeaveTheVariableAsItWasAndSayWhy() throws {
    let d = "d = {a: {b: [1, 2]}}\n"
    #expect(failure(d + "d.a.b[5] = 1").contains("test.qats:2:7: error: index 5 is out of range for a list of 2 items"))
    #expect(failure(d + "d.a.nope.x = 1").contains("the record has no field `nope`"))
    #expect(failure(d + "d.a.b.x = 1").contains("cannot set `.x` on list; only record fields can be assigned"))
    #expect(failure(d + "d.a[\"nope\"][\"x\"] = 1").contains("the record has no field \"nope\""))
    #expect(failure(d + "d.a.b[\"k\"] = 1").contains("cannot assign to list[string]"))
    #expect(failure(d + "d.a.c += 1").contains("the record has no field `c`"))
    #expect(failure(d + "nope.a = 1").contains("unknown name `nope`"))
    #expect(failure("f = fn() { return {} }\nf().a = 1").contains("cannot assign to this expression"))
    #expect(failure(d + "d.a.b[0] += \"x\"").contains("`+` does not apply to int and string"))
  }

  /// Containers change in place: filling or growing one element at a time is linear, not quadratic.
  @Test func fillingAndGrowingContainersIsLinear() throws {
    let code = """
      xs = []
      for i in range(100000) { xs += [i] }
      for i in range(100000) { xs[i] = -i }
      r = {}
      for i in range(20000) { r[str(i)] = i }
      g = {inner: {list: []}}
      for i in range(50000) { g.inner.list += [i] }
      [len(xs), xs[99999], len(r), len(g.inner.list)]
      """
    let start = Date()
    #expect(try run(code) == "[100000, -99999, 20000, 50000]")
    // Copying the list on every step would take minutes in a debug build.
    #expect(Date().timeIntervalSince(start) < 30)
  }

  /// A list or record that holds one value twice per level has 2^60 paths here but 60 parts: its depth,
  /// equality and text are found without walking every path (each used to take exponential time).
  @Test func sharedValuesAreWalkedOncePerPart() throws {
    let build = """
      s = [1]
      for i in range(60) { s = [s, s] }
      t = [1]
      for i in range(60) { t = [t, t] }
      r = {a: 1}
      for i in range(60) { r = {a: r, b: r} }

      """
    #expect(
      try run(build + "[s == s, s == t, r == r, s == [s[0], s[1]], s == [s[0], t[0]], s == [s[0], 1]]")
        == "[true, true, true, true, true, false]")
    #expect(failure(build + "x = [s]\nfor i in range(939) { x = [x] }").contains("nest at most 1000 levels"))
    let text = try run(build + "str(s)")
    #expect(text.utf8.count < Value.reprLimit + 100 && text.hasSuffix("… (cut at 1,000,000 characters)"))
    #expect(try run(build + "str(r)").hasSuffix("… (cut at 1,000,000 characters)"))
    #expect(failure(build + "json(s)").contains("longer than 10,000,000 characters"))
  }

  /// An error about a value millions of characters long (a path built with `*`) shows its ends only.
  @Test func hugeValuesInErrorsAreCutInTheMiddle() {
    let message = failure("x = \"a\" + \"z\" * 5000000 + \"b\"\nint(x)")
    #expect(message.utf8.count < 3_000 && message.contains("characters left out"), "\(message.prefix(300))")
    let short = QatsError(.runtime, "short", at: nil)
    #expect(short.message == "short")
  }

  @Test func tableCellsBeyondIntegersShowAsNumbers() {
    #expect(TableValue.format(.float(1e300), .bytes) == "1e+300 B")
    #expect(TableValue.format(.float(.nan), .bytes) == "—")
    #expect(TableValue.format(.float(1e300), .signedCount) == "1e+300")
    #expect(TableValue.format(.float(.infinity), .signedCount) == "inf")
    #expect(TableValue.format(.float(-3), .signedCount) == "-3")
  }
}
