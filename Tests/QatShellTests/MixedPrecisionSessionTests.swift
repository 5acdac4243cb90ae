import Foundation
import Testing
import QatShell
import QatsLanguage

/// `quantize(net, d, bits: [8, 4, …])`: a width per conv/dense layer, shown and kept, and its refusals.
@Suite struct MixedBitsSessionTests {
  let digits = repoRoot.appendingPathComponent("samples/digits").path

  @Test func aWidthPerLayerIsShownKeptAndChecked() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let s = CapturedSession.smallTrainedNet(digits: digits)
    let made = s.input("q = quantize(net, d, bits: [8, 4])")
    #expect(made.contains("q: ptq · mixed 8/4-bit · accuracy"), "\(made)")
    #expect(s.input("q.bits") == "[8, 4]\n")
    s.input("save(q, \"\(dir)/q.qnet\")")
    #expect(s.input("m = load(\"\(dir)/q.qnet\")").contains("mixed 8/4-bit"))
    #expect(s.input("m.bits", "evaluate(m, d).predictions == evaluate(q, d).predictions") == "[8, 4]\ntrue\n")
    let table = s.input("compare(q, m, on: d, timing: false)")
    #expect(table.contains("8/4"), "\(table)")
    let short = s.input("quantize(net, d, bits: [8])")
    #expect(
      short.contains("this network has 2 conv/dense layers (summary rows 0, 5); the list gives 1 width"), "\(short)")
    let bad = s.input("quantize(net, d, bits: [8, 9])")
    #expect(bad.contains("every width in `bits` must be an integer from 2–8; 9 is not"), "\(bad)")
    let both = s.input("quantize(net, d, bits: [8, 4], keep: [\"first\"])")
    #expect(both.contains("`keep` cannot be combined with it"), "\(both)")
  }
}

/// `mixed(net, data, size:)` and `accuracy:`: the greedy search meets its budget or keeps its floor.
@Suite struct MixedSearchSessionTests {
  let digits = repoRoot.appendingPathComponent("samples/digits").path

  @Test func theSearchMeetsItsBudgetAndKeepsItsFloor() {
    let s = CapturedSession.smallTrainedNet(digits: digits)
    let shown = s.input("m = mixed(net, d, size: 0.2)")
    #expect(shown.contains("mixed precision, greedy: a file at most 20.00 % of fp32"), "\(shown)")
    let fits = s.input("m.size <= 0.2 * net.size", "len(m.bits)")
    #expect(fits == "true\n2\n", "\(fits)")
    s.input("a = mixed(net, d, accuracy: 0.9)")
    #expect(s.input("a.accuracy >= 0.9") == "true\n")
    let neither = s.input("mixed(net, d)")
    #expect(neither.contains("either `size:`") && neither.contains("1:6: error"), "\(neither)")
    let q = s.input("q = quantize(net, d)", "mixed(q, d, size: 0.2)")
    #expect(q.contains("error: `mixed`"), "\(q)")
  }
}
