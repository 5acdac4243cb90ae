import Foundation
import Testing
import QatShell
import QatsLanguage

/// `multiplier`, `requantize` and `trace`: the fixed-point numbers of docs/quantization.md §9, and
/// a traced dense layer recomputed by hand in Swift.
@Suite struct IntegerMathSessionTests {
  let digits = repoRoot.appendingPathComponent("samples/digits").path

  @Test func multiplierAndRequantizeMatchTheWorkedExample() {
    let s = CapturedSession()
    // M = 0.0125: shift 37, M0 = round(0.0125·2^37) = 1,717,986,918.
    #expect(s.input("m = multiplier(0.0125)", "m.m0", "m.shift") == "1717986918\n37\n")
    #expect(s.input("abs(m.error) < \(Tolerance.fixedPointMultiplier)") == "true\n")
    // M0·2^−37 is a hair below 0.0125, so 1000·M = 12.4999999971 rounds down and −1000·M to −12;
    // 1040·M = 12.99999… rounds to 13.
    #expect(
      s.input("requantize(1000, m.m0, m.shift)", "requantize(-1000, m.m0, m.shift, low: -128, high: 127)")
        == "12\n-12\n")
    #expect(s.input("requantize(1040, m.m0, m.shift)", "(1040 * m.m0 + 2 ** 36) // 2 ** 37") == "13\n13\n")
    // An exact tie rounds towards +∞: M = 1/2 (M0 = 2^30, shift 31) on ±5.
    #expect(
      s.input(
        "h = multiplier(0.5)", "h.m0 == 2 ** 30 and h.shift == 31", "requantize(5, h.m0, h.shift)",
        "requantize(-5, h.m0, h.shift, low: -128, high: 127)") == "true\n3\n-2\n")
    #expect(s.input("requantize(100000, m.m0, m.shift, zero_point: 10)") == "255\n", "clamped at high")
    #expect(s.input("requantize(-100000, m.m0, m.shift, zero_point: 10)") == "0\n", "clamped at low")
    #expect(s.input("requantize(2 ** 40, 1, 1)").contains("`acc` must fit in 32 bits"))
    #expect(s.input("multiplier(0)").contains("`m` must be a positive number"))
    #expect(s.input("requantize(1, 1, 63)").contains("`shift` must be 1–62"))
  }

  @Test func traceListsADenseLayerThatRecomputesByHand() throws {
    let s = CapturedSession()
    s.input(
      "d = images(\"\(digits)\")", "net = model(d) { flatten(); dense(10) }", "train(net, d, epochs: 2)",
      "q = quantize(net, d)", "t = trace(q, d.test[3])", "s = t[0]")
    #expect(
      s.input("len(t)", "s.kind", "len(s.input)", "len(s.weights)", "len(s.weights[0])") == "1\ndense\n64\n10\n64\n")
    let json = s.input("json(s)")
    struct Step: Decodable {
      let input: [Int], output: [Int], weights: [[Int]], bias: [Int], m0: [Int], shift: [Int]
      let input_zero_point: Int, output_zero_point: Int, low: Int, high: Int
    }
    let step = try JSONDecoder().decode(Step.self, from: Data(json.utf8))
    for c in 0..<10 {
      var acc = step.bias[c]
      for k in 0..<64 { acc += (step.input[k] - step.input_zero_point) * step.weights[c][k] }
      // (acc·M0 + 2^(n−1)) >> n, by Swift's own arithmetic shift.
      let scaled = (acc * step.m0[c] + (1 << (step.shift[c] - 1))) >> step.shift[c]
      #expect(min(step.high, max(step.low, step.output_zero_point + scaled)) == step.output[c], "class \(c)")
    }
    #expect(s.input("trace(net, d.test[0])").contains("trace follows an integer model's steps, and this model is fp32"))
  }
}
