import Foundation
import Testing
import QatShell

/// `inspect(…, what: "activations", observers: [...])`: each observer's range drawn under the one
/// histogram and listed in `ranges`, as `quantize` would calibrate it; refused where it means nothing.
@Suite struct InspectRangesSessionTests {
  let digits = repoRoot.appendingPathComponent("samples/digits").path

  @Test func observersDrawTheirRangesUnderOneHistogram() {
    let s = CapturedSession.smallTrainedNet(digits: digits)
    let shown = s.input(
      "i = inspect(net, 0, d, what: \"activations\", bits: 4, observers: [\"minmax\", \"histogram\", \"kl\"])", "i")
    for name in ["minmax", "histogram", "kl"] { #expect(shown.contains("├─ \(name) "), "\(shown)") }
    #expect(s.input("len(i.ranges)", "i.ranges[0].observer", "i.ranges[0].low") == "3\nminmax\n0.0\n")
    // The histogram observer's range is the one the inspection's own grid (PTQ's default) shows.
    #expect(s.input("i.ranges[1].high == i.range[1]") == "true\n")
    // Min-max reaches the largest value: no other observer's range ends above it here.
    #expect(s.input("i.ranges[0].high >= i.ranges[1].high and i.ranges[0].high >= i.ranges[2].high") == "true\n")
  }

  @Test func observersAreRefusedForWeightsAndQuantizedModels() {
    let s = CapturedSession.smallTrainedNet(digits: digits)
    let weights = s.input("inspect(net, 0, observers: [\"kl\"])")
    #expect(weights.contains("1:17: error: `inspect`: `observers` compares the ranges"), "\(weights)")
    s.input("q = quantize(net, d)")
    let quantized = s.input("inspect(q, 0, d, what: \"activations\", observers: [\"kl\"])")
    #expect(quantized.contains("error: `inspect`: `observers` compares the ranges"), "\(quantized)")
  }
}
