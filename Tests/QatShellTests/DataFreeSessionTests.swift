import Foundation
import Testing
import QatShell

/// `quantize(…, equalize:, bias_correction:)` as a user meets them: the model says how it was made,
/// the options survive `save`/`load`, the program exports to ONNX and reads back, and bias correction
/// with QAT is refused at its argument.
@Suite struct DataFreeSessionTests {
  let digits = repoRoot.appendingPathComponent("samples/digits").path

  @Test func optionsRoundTripThroughModelFilesAndONNX() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let s = CapturedSession.smallTrainedNet(digits: digits)
    let made = s.input("q = quantize(net, d, per_channel: false, equalize: true, bias_correction: true)")
    #expect(made.contains("q: ptq · 8-bit · equalized · bias-corrected · accuracy "), "\(made)")
    #expect(s.input("q.equalized", "q.bias_corrected") == "true\ntrue\n")
    #expect(s.input("quantize(net, d).equalized") == "false\n")
    s.input("save(q, \"\(dir)/q.qnet\")", "export(q, \"\(dir)/q.onnx\")")
    let fresh = CapturedSession()
    let loaded = fresh.input("m = load(\"\(dir)/q.qnet\")")
    #expect(loaded.contains("m: ptq · 8-bit · equalized · bias-corrected · accuracy "), "\(loaded)")
    #expect(fresh.input("m.equalized", "m.bias_corrected") == "true\ntrue\n")
    fresh.input("d = images(\"\(digits)\")")
    #expect(fresh.input("evaluate(m, d)") == s.input("evaluate(q, d)"))
    let agreed = s.input("agree(q, d, onnx: \"\(dir)/q.onnx\")")
    #expect(agreed.contains("q.onnx read back: predictions 360 of 360 identical"), "\(agreed)")
  }

  @Test func biasCorrectionIsRefusedWithQAT() {
    let s = CapturedSession.smallTrainedNet(digits: digits)
    let refused = s.input("quantize(net, d, method: qat, bias_correction: true)")
    #expect(refused.contains("1:31: error: `quantize`: `bias_correction` is a PTQ technique"), "\(refused)")
    #expect(refused.contains("method: ptq"), "\(refused)")
    let equalized = s.input("quantize(net, d, method: qat, epochs: 1, equalize: true)")
    #expect(equalized.contains("qat · 8-bit · equalized · accuracy"), "\(equalized)")
  }
}
