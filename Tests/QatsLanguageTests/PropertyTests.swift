import QatOutput
import QatSupport
@testable import QatsLanguage
import Testing

/// Seeded random programs: the lexer, parser and evaluator must answer every one with a value or a
/// located error — never a crash, a hang, or an error without a location.
@Suite struct PropertyTests {
  static let fragments = [
    "x", "y", "f", "1", "2.5", "-", "+", "*", "/", "//", "%", "**", "(", ")", "[", "]", "{", "}", ",", ":", ".",
    "=", "==", "<", "and", "or", "not", "if", "else", "for", "in", "while", "fn", "return", "break", "\"s\"",
    "\"open", "nil", "true", "\n", ";", "#c\n", "## n\n", "print", "len", "range", "mode", "qat", "time", "é",
    "\\", "$", "9223372036854775807", "x = ", "[1, 2]", "{a: 1}", "f(", "x[0]", ".a", "\u{0}", "\t",
  ]

  @Test(arguments: 0..<8)
  func randomProgramsNeverCrash(_ chunk: Int) {
    var rng = SeededRandom(seed: UInt64(chunk))
    for _ in 0..<400 {
      let count = Int(rng.next() % 40) + 1
      let text = (0..<count).map { _ in Self.fragments[Int(rng.next() % UInt64(Self.fragments.count))] }.joined(
        separator: " ")
      let interpreter = Interpreter(output: CapturingOutput())
      var steps = 0
      interpreter.interruptCheck = {
        steps += 1; return steps > 2_000
      }  // stops `while true { }`
      do {
        for s in try Parser.parse(Source(name: "p", text: text)) { _ = try interpreter.runTopLevel(s) }
      } catch let e as QatsErrors {
        #expect(e.errors.allSatisfy { $0.location != nil }, "\(text)")
      } catch let e as QatsError {
        #expect(e.location != nil, "\(text)")
      } catch {
        Issue.record("unexpected error type for \(text): \(error)")
      }
    }
  }

  @Test func randomBytesAsSourceNeverCrash() {
    var rng = SeededRandom(seed: 99)
    for _ in 0..<300 {
      let scalars = (0..<Int(rng.next() % 200)).compactMap { _ in Unicode.Scalar(UInt32(rng.next() % 0x3000)) }
      var text = ""
      text.unicodeScalars.append(contentsOf: scalars)
      _ = try? Parser.parse(Source(name: "b", text: text))
      _ = Completeness.needsMoreInput(text)
    }
  }
}
