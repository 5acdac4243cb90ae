import Foundation
import Testing
import QatShell
import QatsLanguage

/// The ONNX corridor as a user meets it: `evaluate(…).logits` (what `scripts/check-onnx` compares value by
/// value) and `agree(q, data, onnx:)` reading an exported file back.
@Suite struct OnnxSessionTests {
  let digits = repoRoot.appendingPathComponent("samples/digits").path

  /// Every row of `.logits` is one test image in the split's order, its class the arg-max of its logits.
  @Test func logitsTableMatchesThePredictions() {
    let s = CapturedSession.smallTrainedNet(digits: digits)
    s.input("q = quantize(net, d, bits: 4)", "e = evaluate(q, d)", "t = e.logits")
    #expect(s.input("t.count", "e.total", "t.columns[2]", "len(t.columns)") == "360\n360\nlogit0\n12\n")
    // The arg-max of the logits, computed in the language, is the class column and `.predictions`.
    let output = s.input(
      """
      fn argmax(r) {
        best = 0
        for k in range(10) { if r["logit" + str(k)] > r["logit" + str(best)] { best = k } }
        return best
      }
      same = 0
      for i in range(t.count) { if str(argmax(t.rows[i])) == t.rows[i]["class"] and argmax(t.rows[i]) == e.predictions[i] { same = same + 1 } }
      same
      """)
    #expect(output.hasSuffix("360\n"), "\(output)")
  }

  /// The exported file read back is the same integer program: 0 LSB everywhere, every prediction identical;
  /// an fp32 file or another model's file is refused with the call located.
  @Test func agreeReadsTheExportedFileBack() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let s = CapturedSession.smallTrainedNet(digits: digits)
    s.input("q = quantize(net, d, bits: 4)", "export(q, \"\(dir)/q.onnx\")", "export(net, \"\(dir)/f.onnx\")")
    let shown = s.input("agree(q, d, onnx: \"\(dir)/q.onnx\")")
    s.input("t = agree(q, d, onnx: \"\(dir)/q.onnx\")")
    #expect(shown.contains("q.onnx read back: predictions 360 of 360 identical"), "\(shown)")
    let columns = s.input("t.columns")
    #expect(columns.contains("\"file_max_lsb\""), "\(columns)")
    let worst = s.input("m = 0", "for r in t.rows { m = max(m, r[\"file_max_lsb\"]) }", "m")
    #expect(worst.hasSuffix("0\n"), "\(worst)")
    let fp32 = s.input("agree(q, d, onnx: \"\(dir)/f.onnx\")")
    #expect(fp32.contains("1:13: error: `agree`"), "\(fp32)")
    s.input("q8 = quantize(net, d, bits: 8)")
    let other = s.input("agree(q8, d, onnx: \"\(dir)/q.onnx\")")
    #expect(other.contains("error: `agree`") && other.contains("q8"), "\(other)")
    #expect(s.input("q.bits") == "4\n", "the session goes on")
  }
}
