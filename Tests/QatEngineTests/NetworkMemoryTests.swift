import CKernels
import QatSupport
import Testing

@testable import QatEngine

/// The network builder checks shapes with checked arithmetic and refuses a network whose memory
/// exceeds the budget at the layer that crosses it, before the working buffers exist.
@Suite struct NetworkMemoryTests {
  @Test func elementCountsSaturateInsteadOfTrapping() {
    #expect(ActivationShape(channels: 1, height: Int.max, width: 2).elements == Int.max)
    #expect(ActivationShape(channels: 3, height: 4, width: 5).elements == 60)
  }

  func build(_ specs: [LayerSpec], input: ActivationShape, budget: Int = MemoryBudget.bytes) -> ShapeError? {
    var random = SeededRandom(seed: 0)
    do throws(ShapeError) {
      _ = try Network.build(specs, input: input, random: &random, budget: budget)
      return nil
    } catch {
      return error
    }
  }

  @Test func hugeArgumentsAreShapeErrors() {
    let input = ActivationShape(channels: 1, height: 8, width: 8)
    let pad = build([LayerSpec(.conv(out: 3, kernel: 3, stride: 1, pad: Int.max, groups: 1), tag: 7)], input: input)
    #expect(pad?.tag == 7 && pad?.message.contains("kernel, stride and pad must each be at most") == true)
    let stride = build([LayerSpec(.maxpool(kernel: 2, stride: Int.max), tag: 3)], input: input)
    #expect(stride?.tag == 3)
    let tall = build([], input: ActivationShape(channels: 1, height: Int.max, width: 2))
    #expect(tall?.message.contains("more than 2^63 values per image") == true)
    let kernel = build(
      [LayerSpec(.conv(out: 1, kernel: 1 << 20, stride: 1, pad: 1 << 20, groups: 1), tag: 2)], input: input)
    #expect(kernel?.tag == 2)
  }

  /// A 3×3 layer that trains as Winograd counts its transformed weights (16 per channel pair) and its
  /// per-chunk work; the 3-channel first layer, which lowers, counts neither.
  @Test func winogradLayersCountTheirTransformedWeights() throws {
    var random = SeededRandom(seed: 0)
    let specs = [
      LayerSpec(.conv(out: 8, kernel: 3, stride: 1, pad: 1, groups: 1)),
      LayerSpec(.conv(out: 12, kernel: 3, stride: 1, pad: 1, groups: 1)),
    ]
    let net = try Network.build(specs, input: ActivationShape(channels: 3, height: 8, width: 8), random: &random)
    #expect(net.memory.transformedWeights == 16 * 8 * 12)
    let first = try Network.build(
      Array(specs.prefix(1)), input: ActivationShape(channels: 3, height: 8, width: 8), random: &random)
    #expect(first.memory.transformedWeights == 0)
    let work = Int(qk_winograd_work_floats(8, 12)), pairs = 16 * 8 * 12
    #expect(net.memory.perChunk >= first.memory.perChunk + pairs + work)
  }

  @Test func theBudgetIsCheckedLayerByLayer() throws {
    let input = ActivationShape(channels: 1, height: 16, width: 16)
    let specs = [
      LayerSpec(.conv(out: 4, kernel: 3, stride: 1, pad: 1, groups: 1), tag: 1), LayerSpec(.relu, tag: 2),
      LayerSpec(.conv(out: 64, kernel: 3, stride: 1, pad: 1, groups: 1), tag: 3),
    ]
    #expect(build(Array(specs.prefix(2)), input: input, budget: 1 << 40) == nil)
    var random = SeededRandom(seed: 0)
    let small = try Network.build(Array(specs.prefix(2)), input: input, random: &random)
    let needed = try #require(small.memory.bytes(images: NetworkMemory.evaluationImages))
    // What the first two layers need fits; the wide conv after them does not.
    let refused = build(specs, input: input, budget: needed + 1000)
    #expect(refused?.tag == 3, "\(String(describing: refused?.message))")
    #expect(refused?.message.contains("the model needs") == true)
    #expect(build(specs, input: input, budget: 1 << 40) == nil)
    // Memory grows with the images of a pass, one set of buffers per chunk of 16.
    let one = try #require(small.memory.bytes(images: 1)), sixteen = try #require(small.memory.bytes(images: 16))
    #expect(one == sixteen)
    #expect(try #require(small.memory.bytes(images: 17)) > sixteen)
    #expect(small.memory.bytes(images: Int.max) == nil)
  }
}
