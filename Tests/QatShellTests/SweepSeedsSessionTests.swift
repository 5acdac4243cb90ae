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

/// `quantize(…, method: "qat", teacher: net)`: runs, changes the result deterministically, and refuses
/// what cannot work.
@Suite struct DistillationSessionTests {
  let digits = repoRoot.appendingPathComponent("samples/digits").path

  @Test func aTeacherChangesQATAndIsChecked() {
    let s = CapturedSession.smallTrainedNet(digits: digits)
    let run = "quantize(net, d, method: \"qat\", bits: 2, epochs: 1"
    s.input("seed(3)", "a = \(run))", "seed(3)", "b = \(run), teacher: net)", "seed(3)", "c = \(run), teacher: net)")
    #expect(s.input("b.accuracy == c.accuracy") == "true\n", "the same seed, the same student")
    #expect(
      s.input("evaluate(a, d).predictions != evaluate(b, d).predictions") == "true\n", "the teacher changes training")
    let ptq = s.input("quantize(net, d, method: \"ptq\", teacher: net)")
    #expect(ptq.contains("PTQ does not train"), "\(ptq)")
    let alone = s.input("quantize(net, d, method: \"qat\", temperature: 2)")
    #expect(alone.contains("give `teacher:` too"), "\(alone)")
    let other = s.input(
      "rgb = images(\"\(repoRoot.appendingPathComponent("samples/shapes").path)\")",
      "t = model(rgb) { flatten(); dense(4) }", "train(t, rgb, epochs: 1)",
      "quantize(net, d, method: \"qat\", teacher: t)")
    #expect(other.contains("same images and give the same classes"), "\(other)")
  }
}

/// A training loss that stays finite but absurd (lr: 1e9) is flagged; ordinary training is not.
@Suite struct DivergenceWarningTests {
  let digits = repoRoot.appendingPathComponent("samples/digits").path

  @Test func anAbsurdLossIsFlagged() {
    let s = CapturedSession()
    s.input("d = images(\"\(digits)\")", "net = model(d) { flatten(); dense(10) }")
    let wild = s.input("train(net, d, epochs: 1, lr: 1e9)")
    #expect(wild.contains("warning: the training loss ended at") && wild.contains("far above the 2.303 of guessing"))
    s.input("ok = model(d) { flatten(); dense(10) }")
    #expect(!s.input("train(ok, d, epochs: 1)").contains("warning"))
  }
}
