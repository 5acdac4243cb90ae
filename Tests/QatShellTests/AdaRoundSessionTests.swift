import Foundation
import Testing
import QatShell

/// `quantize(…, rounding: "adaround")` as a user meets it: the model and its file say how it was
/// rounded, the integer program agrees with its simulation, and a misspelt or QAT rounding is
/// refused at its argument.
@Suite struct AdaRoundSessionTests {
  let digits = repoRoot.appendingPathComponent("samples/digits").path

  @Test func adaRoundedModelsSayItAndSurviveFiles() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let s = CapturedSession.smallTrainedNet(digits: digits)
    let made = s.input("q = quantize(net, d, bits: 4, rounding: \"adaround\")")
    #expect(made.contains("adaround: "), "\(made)")
    #expect(made.contains("weights rounded the other way than nearest"), "\(made)")
    #expect(made.contains("q: ptq · 4-bit · adarounded · accuracy "), "\(made)")
    #expect(s.input("q.rounding", "quantize(net, d).rounding") == "adaround\nnearest\n")
    // The stored weights are on the grid: the integer program is the simulation, to the 1 LSB of
    // fixed-point requantization every model shows.
    let agreed = s.input("agree(q, d)")
    #expect(agreed.contains("  0  input  ") && agreed.contains("predictions: 3"), "\(agreed)")
    s.input("save(q, \"\(dir)/q.qnet\")", "export(q, \"\(dir)/q.onnx\")")
    let onnx = s.input("agree(q, d, onnx: \"\(dir)/q.onnx\")")
    #expect(onnx.contains("q.onnx read back: predictions 360 of 360 identical"), "\(onnx)")
    let fresh = CapturedSession()
    let loaded = fresh.input("m = load(\"\(dir)/q.qnet\")")
    #expect(loaded.contains("m: ptq · 4-bit · adarounded · accuracy "), "\(loaded)")
    fresh.input("d = images(\"\(digits)\")")
    #expect(fresh.input("evaluate(m, d)") == s.input("evaluate(q, d)"))
  }

  @Test func unknownRoundingAndQATAreRefused() {
    let s = CapturedSession.smallTrainedNet(digits: digits)
    let misspelt = s.input("quantize(net, d, rounding: \"adarond\")")
    #expect(misspelt.contains("1:18: error: `quantize`: `rounding` must be one of"), "\(misspelt)")
    #expect(misspelt.contains("did you mean \"adaround\"?"), "\(misspelt)")
    let qat = s.input("quantize(net, d, method: qat, rounding: \"adaround\")")
    #expect(qat.contains("1:31: error: `quantize`: `rounding: \"adaround\"` is a PTQ technique"), "\(qat)")
    #expect(qat.contains("method: ptq"), "\(qat)")
  }

  /// Ctrl-C during AdaRound (its last check) stops `quantize` with the layer it was rounding, and
  /// the fp32 model is as it was.
  @Test func ctrlCStopsAdaRound() {
    let s = CapturedSession.smallTrainedNet(digits: digits)
    let before = s.input("evaluate(net, d)")
    let (out, checks) = s.inputInterruptedAtLastCheck("quantize(net, d, bits: 4, rounding: \"adaround\")")
    #expect(checks > 2)
    #expect(out.contains("AdaRound stopped by Ctrl-C in layer 2; the model is unchanged"), "\(out)")
    #expect(s.input("evaluate(net, d)") == before)
  }
}
