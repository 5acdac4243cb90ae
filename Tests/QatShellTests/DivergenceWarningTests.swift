import Foundation
import Testing
import QatShell
import QatsLanguage

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
