import QatOutput
import Testing

@testable import QatsLanguage

/// Objects modules keep for a session under typed keys: made once, shared, separate per key, and
/// forgotten by `:reset`.
@Suite struct SessionObjectTests {
  final class Counter { var count = 0 }
  final class Other {}

  static let counter = SessionKey<Counter>("tests.counter")
  static let second = SessionKey<Counter>("tests.second")
  static let other = SessionKey<Other>("tests.counter")

  @Test func madeOnceAndForgottenByReset() {
    let interpreter = Interpreter(output: CapturingOutput())
    var made = 0
    func counter() -> Counter {
      interpreter.sessionObject(Self.counter) {
        made += 1
        return Counter()
      }
    }
    counter().count += 1
    counter().count += 1
    #expect(counter().count == 2)
    #expect(made == 1)
    #expect(interpreter.sessionObject(Self.second, orMake: Counter.init) !== counter(), "another name, another object")
    _ = interpreter.sessionObject(Self.other, orMake: Other.init)  // the same name for another type
    #expect(counter().count == 2)
    interpreter.reset()
    #expect(counter().count == 0)
    #expect(made == 2)
  }
}
