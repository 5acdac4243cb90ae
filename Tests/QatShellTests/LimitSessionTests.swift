import Foundation
import Testing
import QatShell
import QatsLanguage

/// Inputs that used to kill the session — overflow traps, values nested without bound, memory
/// nothing checked — are refused with a located error, and the session goes on.
@Suite struct LimitSessionTests {
  let digits = repoRoot.appendingPathComponent("samples/digits").path

  @Test func deepNestingIsRefusedAndTheSessionSurvives() {
    let s = CapturedSession()
    let out = s.input("x = []", "for i in range(5000) { x = [x] }")
    #expect(out.contains("<cell 2>:1:28: error: lists and records may nest at most 1000 levels deep"), "\(out)")
    #expect(out.contains("a loop like `x = [x]` wraps the value once more each time"))
    #expect(s.input("len(str(x))", "len(json(x))", "x == x") == "2000\n2000\ntrue\n")
    #expect(s.input(":vars").contains("x  list  [[[[[[[["))
    #expect(s.input(":reset").hasPrefix("session reset"))
  }

  @Test func failedAssignmentsLeaveTheVariableAsItWas() {
    let s = CapturedSession()
    s.input("d = {a: {b: [1, 2]}}")
    #expect(s.input("d.a.b[0] += \"x\"").contains("`+` does not apply to int and string"))
    #expect(s.input("d.a.b[7] = 0").contains("index 7 is out of range for a list of 2 items"))
    #expect(s.input("d.a.b[0] += 9223372036854775806", "d.a.b[0] += 1", "d.a.b[0] += 1").contains("integer overflow"))
    #expect(s.input("d") == "{a: {b: [9223372036854775807, 2]}}\n")
  }

  @Test func absurdLayerArgumentsAndInputsAreRefusedAtTheArgument() {
    let s = CapturedSession()
    let input = s.input("model(input: [1, 9223372036854775807, 2]) { flatten(); dense(2) }")
    #expect(input.contains("<cell 1>:1:7: error: `model`: an input of [1, 9223372036854775807, 2] has more values"))
    let pad = s.input("model(input: [1, 8, 8]) { conv(3, pad: 9223372036854775807) }")
    #expect(
      pad.contains("<cell 2>:1:35: error: `conv`: `pad` must be at most 16,777,216, got 9,223,372,036,854,775,807"))
    #expect(s.input("model(input: [1, 8, 8]) { conv(3, stride: 9223372036854775807) }").contains("`stride` must be at"))
    #expect(s.input("model(input: [1, 8, 8]) { maxpool(2, stride: 9223372036854775807) }").contains("`stride` must"))
    let wide = s.input("model(input: [1, 8, 8]) { conv(3, pad: 16777216) }")
    #expect(wide.contains("would produce [3, 33554438, 33554438] = 3377700928487532 values per image"), "\(wide)")
    #expect(s.input("1 + 1") == "2\n")
  }

  @Test func aModelHasAtMostTenThousandLayers() {
    let s = CapturedSession()
    let out = s.input("m = model(input: [1, 2, 2]) { for i in range(1000000) { relu() } }")
    #expect(out.contains("<cell 1>:1:61: error: `relu`: a model may have at most 10,000 layers"), "\(out)")
    #expect(s.input("m = model(input: [1, 2, 2]) { for i in range(10000) { relu() } }").contains("m: 10000 layers"))
  }

  @Test func aModelBeyondTheMemoryBudgetIsRefusedAtTheLayer() {
    let s = CapturedSession()
    s.session.interpreter.memoryBudget = 128 << 20
    let out = s.input("m = model(input: [1, 64, 64]) {\n  conv(4, pad: 1)\n  conv(64, pad: 1)\n}")
    #expect(out.contains("<cell 1>:3:7: error: with `conv(64, kernel: 3, pad: 1)` the model needs"), "\(out)")
    #expect(
      out.contains("more than the 134 MB budget: its weights and the working memory of 64 images at once"), "\(out)")
    #expect(s.input("m = model(input: [1, 64, 64]) { conv(4, pad: 1) }").contains("m: 1 layer"))
  }

  @Test func trainingTakesAnyBatchAndRefusesOneBeyondTheBudget() {
    let s = CapturedSession()
    s.input("d = images(\"\(digits)\")", "net = model(d) { flatten(); dense(10) }")
    let whole = s.input("train(net, d, epochs: 1, batch: 9223372036854775807)")
    #expect(whole.contains("epoch 1/1"), "\(whole)")
    s.session.interpreter.memoryBudget = 1 << 20
    let refused = s.input("train(net, d, epochs: 1, batch: 1000)")
    #expect(refused.contains("<cell 4>:1:26: error: `train`: a batch of 1,000 images needs"), "\(refused)")
    #expect(refused.contains("more than the 1.05 MB budget for this model"))
  }

  @Test func imagesBeyondTheBudgetAreRefusedBeforeDecoding() {
    let s = CapturedSession()
    s.session.interpreter.memoryBudget = 100 << 20
    let big = s.input("d = images(\"\(digits)\", size: 2048)")
    #expect(
      big.contains("error: `images`: loading 1,797 images at 2048x2048 needs 60.3 GB, more than the 105 MB budget"),
      "\(big)")
    #expect(big.contains("use a smaller `size:`"))
    #expect(big.contains("<cell 1>:1:\(16 + digits.count): error"), "located at `size`: \(big)")
    // Without `size:`, the decoded images themselves are counted as they are decoded.
    s.session.interpreter.memoryBudget = 50_000
    let decoded = s.input("d = images(\"\(digits)\")")
    #expect(decoded.contains("error: `images`: loading 1,797 images needs"), "\(decoded)")
    #expect(decoded.contains("give a smaller `size:`"))
    s.session.interpreter.memoryBudget = 100 << 20
    #expect(s.input("d = images(\"\(digits)\", size: 16)").contains("d: 1797 PNG images"))
  }

  @Test func integerMathRefusesValuesOutsideItsRange() {
    let s = CapturedSession()
    let zp = s.input("requantize(0, 1073741824, 1, zero_point: 9223372036854775807)")
    #expect(zp.contains("<cell 1>:1:30: error: `requantize`: `zero_point` must fit in 32 bits"), "\(zp)")
    let tiny = s.input("multiplier(1e-300)")
    #expect(tiny.contains("<cell 2>:1:12: error: `multiplier`: `m` 1e-300 is too small for the fixed-point form"))
    #expect(s.input("m = multiplier(2.0 ** -32)", "[m.m0 == 2 ** 30, m.shift]") == "[true, 62]\n")
    #expect(s.input("multiplier(2.0 ** -33)").contains("too small for the fixed-point form"))
  }

  @Test func measuringOnAnEmptyTestSplitSaysSo() throws {
    let root = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: root) }
    for digit in [0, 1] {
      try FileManager.default.createDirectory(atPath: root + "/\(digit)", withIntermediateDirectories: true)
      let files = try FileManager.default.contentsOfDirectory(atPath: digits + "/train/\(digit)").sorted()
      for name in files.prefix(2) {
        try FileManager.default.copyItem(atPath: digits + "/train/\(digit)/" + name, toPath: root + "/\(digit)/" + name)
      }
    }
    let s = CapturedSession()
    s.input("d = images(\"\(root)\")", "net = model(d) { flatten(); dense(2) }")
    #expect(s.input("d.test.count") == "0\n")
    let evaluation = s.input("evaluate(net, d)")
    #expect(
      evaluation.contains("`evaluate`: the test split is empty: there are no images to measure on"), "\(evaluation)")
    #expect(s.input("compare(net, on: d)").contains("`compare`: the test split is empty"))
    #expect(!s.input("quantize(net, d, method: ptq)").contains("0.00 %"))
  }
}
