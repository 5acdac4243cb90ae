import Testing

@testable import QatEngine
import QatSupport

/// The training pass's gradient buffers (`GradientBufferPlan`): boundaries share a buffer only when
/// their gradients are never alive at the same time, and a long network needs only a few.
@Suite struct GradientBufferPlanTests {
  static func check(_ specs: [LayerSpec], input: ActivationShape) throws -> GradientBufferPlan {
    var random = SeededRandom(seed: 1)
    let net = try Network.build(specs, input: input, random: &random)
    let plan = GradientBufferPlan(network: net)
    let boundaries = net.ops.count + 1
    #expect(plan.bufferOf.count == boundaries && plan.bufferOf[0] == -1)
    let shapes = [net.inputShape] + net.ops.map(\.output)
    for b in 1..<boundaries {
      let buffer = plan.bufferOf[b]
      #expect(buffer >= 0 && plan.bufferElements[buffer] >= shapes[b].elements)
      for other in 1..<boundaries where other != b && plan.bufferOf[other] == buffer {
        let (x, y) = (plan.liveRanges[b], plan.liveRanges[other])
        #expect(x.map { r in y.map { !r.overlaps($0) } ?? false } ?? false, "\(b) and \(other) overlap")
      }
    }
    return plan
  }

  @Test func aChainNeedsTwoBuffers() throws {
    var chain: [LayerSpec] = []
    for _ in 0..<5 {
      chain += [
        LayerSpec(.conv(out: 4, kernel: 3, stride: 1, pad: 1, groups: 1)), LayerSpec(.batchNorm), LayerSpec(.relu),
      ]
    }
    chain += [LayerSpec(.flatten), LayerSpec(.dense(out: 3))]
    let plan = try Self.check(chain, input: ActivationShape(channels: 2, height: 5, width: 5))
    #expect(plan.bufferElements.count == 2)
  }

  /// A residual block's output gradient stays alive until it is added at the block's input, so one
  /// more buffer is needed, and the skip's boundary shares with nothing inside the block.
  @Test func residualBlocksKeepTheSkipGradient() throws {
    let plan = try Self.check(ScaleSpecs.small, input: FloatProgramTests.input)
    #expect(plan.bufferElements.count == 3)
  }
}
