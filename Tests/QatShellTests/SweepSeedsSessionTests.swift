import Foundation
import Testing
import QatShell
import QatsLanguage

/// `sweep(…, seeds: n)`: QAT and the control repeated with the session's seed + 0…n−1, the same numbers
/// every time, and the session's generator left as it was.
@Suite struct SweepSeedsSessionTests {
  let digits = repoRoot.appendingPathComponent("samples/digits").path

  @Test func seededSweepsRepeatQATAndLeaveTheGeneratorAlone() {
    let s = CapturedSession.smallTrainedNet(digits: digits)
    let sweep = "sweep(net, d, bits: [4], seeds: 2, epochs: 1, timing: false)"
    s.input("seed(5)", "t = " + sweep, "after = random()", "seed(5)", "u = " + sweep, "again = random()")
    #expect(s.input("len(t.rows[3][\"accuracies\"])", "t.rows[2][\"spread\"]") == "2\n0.0\n")
    #expect(s.input("t.rows[3][\"accuracies\"] == u.rows[3][\"accuracies\"]", "after == again") == "true\ntrue\n")
    // The generator is where seed(5) left it: the first number it gives.
    #expect(s.input("seed(5)", "random() == after") == "true\n")
    let shown = s.input("t")
    #expect(shown.contains("QAT and the control ran with 2 seeds") && shown.contains("  sd  "), "\(shown)")
    let tooMany = s.input("sweep(net, d, bits: [4], seeds: 21)")
    #expect(tooMany.contains("`seeds` is at most 20"), "\(tooMany)")
  }
}
