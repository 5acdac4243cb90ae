import Foundation
import Testing
import QatShell
import QatsLanguage

/// `threads(n)` is the session's one thread limit: every path that computes asks the interpreter
/// for it (and the interpreter logs each answer), none picks a number of its own.
@Suite struct ThreadLimitTests {
  let digits = repoRoot.appendingPathComponent("samples/digits").path

  @Test func everyComputePathHonoursTheSessionsLimit() {
    let s = CapturedSession()
    s.input("threads(1)")
    var interpreter: Interpreter { s.session.interpreter }
    _ = interpreter.takeComputeThreadCounts()
    // Each step, and the limits its engine work was given (empty would mean it bypassed the limit).
    let steps = [
      "d = images(\"\(digits)\")",
      "m = model(d) { conv(4, kernel: 3, pad: 1); relu(); maxpool(2); flatten(); dense(10) }",
      "train(m, d, epochs: 1)",
      "evaluate(m, d)",
      "predict(m, d.test[0])",
      "q = quantize(m, d, bits: 8)",
      "compare(m, q, on: d.test)",
      "sweep(m, d, bits: [8], methods: [ptq], timing: false)",
    ]
    for step in steps {
      let out = s.input(step)
      #expect(!out.contains("error"), "\(step): \(out)")
      let used = interpreter.takeComputeThreadCounts()
      // `model(d)` only builds the network; every other step computes.
      if step.hasPrefix("m = model") { continue }
      #expect(used == [1], "\(step) used \(used)")
    }
    s.input("threads(2)")
    s.input("evaluate(m, d)")
    #expect(interpreter.takeComputeThreadCounts() == [2])
    #expect(s.input("threads()") == "2\n")
  }

  @Test func theLimitIsBoundedWithAHint() {
    let s = CapturedSession()
    let out = s.input("threads(65)")
    #expect(out.contains("at most 64 threads, got 65"), "\(out)")
    #expect(out.contains("threads() shows the current limit"), "\(out)")
    #expect(Launcher.maxThreads == ThreadLimit.maximum)
    // The default (all cores) is within the same bound, so threads() shows the limit in force.
    let limit = Int(s.input("threads()").trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    #expect((1...ThreadLimit.maximum).contains(limit))
  }

  /// The limit has one entrance: built-ins take their pool from `call.workerPool` (or the count
  /// from `computeThreads()`), never `WorkerPool.shared` or `interpreter.threads` directly.
  @Test func noBuiltinPicksItsOwnThreadCount() throws {
    let roots = ["Sources/QatModels", "Sources/QatImagesLanguage", "Sources/QatShell"]
    var offenders: [String] = []
    for root in roots {
      let folder = repoRoot.appendingPathComponent(root).path
      guard let files = FileManager.default.enumerator(atPath: folder) else { continue }
      for case let file as String in files where file.hasSuffix(".swift") {
        let text = try String(contentsOfFile: folder + "/" + file, encoding: .utf8)
        for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
          let code = line.trimmingCharacters(in: .whitespaces)
          if code.hasPrefix("//") { continue }
          let allowed =
            file.hasSuffix("ComputePool.swift") || file.hasSuffix("ModelBuiltins.swift")
            || file.hasSuffix("Launcher.swift")
          if !allowed && (code.contains("WorkerPool.shared(") || code.contains("interpreter.threads")) {
            offenders.append("\(root)/\(file):\(n + 1)")
          }
        }
      }
    }
    #expect(offenders.isEmpty, "\(offenders)")
  }
}
