import Foundation
import Testing
import QatShell
import QatsLanguage

/// `errors(q, data)` as a user meets it: a row per quantization point with both SQNR columns, a chart,
/// and a located refusal for an fp32 model.
@Suite struct ErrorsSessionTests {
  let digits = repoRoot.appendingPathComponent("samples/digits").path

  @Test func errorsShowsEveryPointAndRefusesFp32() {
    let s = CapturedSession.smallTrainedNet(digits: digits)
    let shown = s.input("q = quantize(net, d, bits: 4)", "errors(q, d)")
    #expect(shown.contains("quantization error against fp32") && shown.contains("SQNR of the integer program"))
    s.input("t = errors(q, d)")
    #expect(s.input("len(t.rows)", "t.rows[0][\"point\"]", "t.rows[0][\"bits\"]") == "4\ninput\n4\n")
    let sqnr = s.input(
      "t.rows[0][\"sqnr_simulation_db\"] == t.rows[0][\"sqnr_integer_db\"]", "t.rows[1][\"sqnr_integer_db\"] > 3")
    #expect(sqnr == "true\ntrue\n", "\(sqnr)")
    let refused = s.input("errors(net, d)")
    #expect(refused.contains("1:8: error: `errors`") && refused.contains("this model is fp32"), "\(refused)")
  }
}
