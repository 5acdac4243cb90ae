import Foundation
import QatImages
import Testing

@testable import QatEngine

/// Net A with fixed parameters (trained by qat-repl, exported), quantized by PTQ with min-max
/// observers here and in PyTorch (scripts/pytorch/ptq_reference.py: fuse_modules, prepare_qat's fake
/// quantization, 256 calibration images): the two simulations predict the same class for the test
/// images at 8, 4, 3 and 2 bits (all 360 when the fixture was made; a float-order difference in a
/// convolution may flip a value at a rounding edge, so a couple are allowed).
@Suite struct PyTorchPTQAgreementTests {
  struct Reference: Decodable {
    let parameters: [String: [Float]]
    let labels: [Int]
    let predictions: [String: [Int]]
  }

  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

  static func netA(_ reference: Reference, input: ActivationShape) throws -> Network {
    let block: [LayerSpec] = [
      LayerSpec(.conv(out: 16, kernel: 3, stride: 1, pad: 1, groups: 1)), LayerSpec(.batchNorm), LayerSpec(.relu),
      LayerSpec(.maxpool(kernel: 2, stride: 2)),
      LayerSpec(.conv(out: 32, kernel: 3, stride: 1, pad: 1, groups: 1)), LayerSpec(.batchNorm), LayerSpec(.relu),
      LayerSpec(.maxpool(kernel: 2, stride: 2)),
      LayerSpec(.flatten), LayerSpec(.dense(out: 10)),
    ]
    let net = try Network.compiled(block, input: input)
    let p = reference.parameters
    for (convIndex, bnIndex, key) in [(0, 1, "1"), (4, 5, "2")] {
      guard let conv = net.ops[convIndex] as? ConvOp, let bn = net.ops[bnIndex] as? BatchNormOp else {
        throw CancellationError()
      }
      conv.setUserWeights(p["c\(key)w"] ?? [])
      Network.fill(conv.bias.value, p["c\(key)b"] ?? [])
      Network.fill(bn.gamma.value, p["b\(key)g"] ?? [])
      Network.fill(bn.beta.value, p["b\(key)b"] ?? [])
      Network.fill(bn.runningMean, p["b\(key)m"] ?? [])
      Network.fill(bn.runningVar, p["b\(key)v"] ?? [])
    }
    guard let dense = net.ops[9] as? DenseOp else { throw CancellationError() }
    dense.setUserWeights(p["dw"] ?? [])
    Network.fill(dense.bias.value, p["db"] ?? [])
    return net
  }

  @Test func ptqPredictsAsPyTorchDoes() throws {
    let url = Self.root.appendingPathComponent("Tests/QatEngineTests/Fixtures/pytorch-ptq-net-a.json")
    let reference = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: url))
    let digits = try ImageFolderLoader.load(
      Self.root.appendingPathComponent("samples/digits").path, options: ImageFolderOptions(threads: 1),
      cache: nil, isInterrupted: { false })
    let shape = ActivationShape(channels: 1, height: 8, width: 8)
    let train = LabeledImages(nchw: digits.train.pixels, labels: digits.train.labels, shape: shape)
    let test = LabeledImages(nchw: digits.test.pixels, labels: digits.test.labels, shape: shape)
    #expect(digits.test.labels == reference.labels)
    let net = try Self.netA(reference, input: shape)
    let pool = WorkerPool.shared(threads: 2)
    var predictions: [Int32] = []
    _ = net.evaluate(test, pool: pool, predictions: &predictions)
    #expect(predictions.map(Int.init) == reference.predictions["fp32"])
    let calibration = train.subset(Network.calibrationIndices(count: train.count, samples: 256))
    for bits in [8, 4, 3, 2] {
      var config = QuantizationConfig(method: .ptq)
      config.weightBits = bits
      config.activationBits = bits
      config.observer = .minmax
      let quantized = try net.prepareQuantization(config, calibration: calibration, pool: pool)
      _ = quantized.evaluate(test, pool: pool, predictions: &predictions)
      let theirs = reference.predictions["\(bits)"] ?? []
      let same = zip(predictions.map(Int.init), theirs).filter { $0 == $1 }.count
      #expect(
        theirs.count == 360 && same >= Tolerance.pyTorchMatchingPredictions,
        "\(bits) bits: the same prediction on \(same) of 360 images")
    }
  }
}
