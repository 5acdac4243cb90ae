import Foundation
import Testing
import QatShell
import QatsLanguage

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
