import Foundation
import OnnxProto
import QatSupport
import Testing

@testable import QatEngine
@testable import QatOnnx

/// The exporter's graphs: what nodes they hold, that the weights in them are the model's, and that
/// the bytes decode back to the same message. (ONNX Runtime runs them in scripts/onnx/test-round-trips.)
@Suite struct ExportTests {
  static let input = ActivationShape(channels: 1, height: 6, width: 6)

  /// conv(4, 3, pad 1) · batchnorm · relu · maxpool 2 · flatten · dense(3), with non-trivial batch-norm
  /// statistics.
  static func network() throws -> Network {
    var random = SeededRandom(seed: 3)
    let specs: [LayerSpec] = [
      LayerSpec(.conv(out: 4, kernel: 3, stride: 1, pad: 1, groups: 1)), LayerSpec(.batchNorm), LayerSpec(.relu),
      LayerSpec(.maxpool(kernel: 2, stride: 2)), LayerSpec(.flatten), LayerSpec(.dense(out: 3)),
    ]
    let net = try Network.build(specs, input: input, random: &random)
    let bn = try #require(net.ops[1] as? BatchNormOp)
    for c in 0..<4 {
      bn.runningMean[c] = 0.1 * Float(c)
      bn.runningVar[c] = 0.5 + Float(c)
      bn.gamma.value[c] = 1.5 - 0.25 * Float(c)
      bn.beta.value[c] = 0.05 * Float(c)
    }
    return net
  }

  static func images(_ count: Int) -> LabeledImages {
    var random = SeededRandom(seed: 9)
    let pixels = (0..<(count * 36)).map { _ in Float(random.nextUnit() * 2 - 1) }
    return LabeledImages(nchw: pixels, labels: (0..<count).map { $0 % 3 }, shape: input)
  }

  static let info = OnnxExportInfo(
    classNames: ["a", "b\"quoted\"", "c"], mean: [0.25], std: [0.5], producerVersion: "test")

  static func initializer(_ model: Onnx_ModelProto, _ name: String) -> Onnx_TensorProto? {
    model.graph.initializer.first { $0.name == name }
  }

  static func floats(_ t: Onnx_TensorProto) -> [Float] {
    stride(from: 0, to: t.rawData.count, by: 4).map { i in
      Float(
        bitPattern: t.rawData[i..<i + 4].enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (8 * $1.offset) })
    }
  }

  @Test func fp32GraphFoldsBatchNormAndNormalizesInside() throws {
    let net = try Self.network()
    let model = try OnnxExport.float(net, info: Self.info).model
    #expect(
      model.graph.node.map(\.opType) == [
        "Sub", "Mul", "Conv", "Relu", "MaxPool", "Flatten", "Gemm", "Identity", "Softmax",
      ])
    #expect(model.graph.input.map(\.name) == ["input"])
    #expect(model.graph.output.map(\.name) == ["logits", "probabilities"])
    #expect(model.opsetImport.first?.version == 13)
    // The conv's weights are W·γ/√(v + ε) per output channel, in PyTorch order.
    let conv = try #require(net.ops[0] as? ConvOp), bn = try #require(net.ops[1] as? BatchNormOp)
    let w = Self.floats(try #require(Self.initializer(model, "w0")))
    let user = conv.userWeights()
    for (k, value) in w.enumerated() {
      let c = k / 9
      let expected = user[k] * (bn.gamma.value[c] / (bn.runningVar[c] + BatchNormOp.epsilon).squareRoot())
      #expect(abs(value - expected) <= 1e-6 * max(1, abs(expected)))
    }
    #expect(Self.floats(try #require(Self.initializer(model, "inverse_std"))) == [2])
    let props = Dictionary(uniqueKeysWithValues: model.metadataProps.map { ($0.key, $0.value) })
    #expect(props["classes"] == #"["a", "b\"quoted\"", "c"]"#)
    #expect(props["mean"] == "[0.25]")
    #expect(props["qat_repl.kind"] == "fp32")
  }

  @Test func serializedBytesDecodeToTheSameModel() throws {
    let document = try OnnxExport.float(try Self.network(), info: Self.info)
    let bytes = try document.serialized()
    let decoded = try Onnx_ModelProto(serializedBytes: bytes)
    #expect(decoded == document.model)
  }

  static func quantized(bits: Int) throws -> IntegerNetwork {
    var config = QuantizationConfig(method: .ptq)
    config.weightBits = bits
    config.activationBits = bits
    let q = try Self.network().quantized(config, training: Self.images(32), pool: WorkerPool.shared(threads: 1)) { _ in
    }
    return try #require(q.program)
  }

  @Test func quantizedGraphIsQDQWithTheProgramsIntegers() throws {
    let program = try Self.quantized(bits: 8)
    let model = try OnnxExport.quantized(program, info: Self.info).model
    let ops = model.graph.node.map(\.opType)
    #expect(ops.filter { $0 == "Conv" }.count == 1 && ops.filter { $0 == "Gemm" }.count == 1)
    #expect(!ops.contains("Clip"), "8-bit ReLU outputs with zero point 0 need no clamp: \(ops)")
    // The conv's int8 weights are the program's, in PyTorch order.
    let step = try #require(program.steps.first { if case .conv = $0.kind { true } else { false } })
    let weights = try #require(step.weights)
    let stored = try #require(Self.initializer(model, "w0"))
    #expect(stored.dataType == OnnxElementType.int8.rawValue && stored.dims == [4, 1, 3, 3])
    #expect(stored.rawData.map { Int8(bitPattern: $0) } == weights.values)
    let bias = try #require(Self.initializer(model, "b0"))
    #expect(bias.dataType == OnnxElementType.int32.rawValue)
    // The dense layer's input is flattened as integers so the DequantizeLinear feeds the Gemm.
    let gemm = try #require(model.graph.node.first { $0.opType == "Gemm" })
    let feeding = try #require(model.graph.node.first { $0.output.first == gemm.input.first })
    #expect(feeding.opType == "DequantizeLinear")
    let props = Dictionary(uniqueKeysWithValues: model.metadataProps.map { ($0.key, $0.value) })
    #expect(props["weight_bits"] == "8" && props["qat_repl.kind"] == "qdq")
  }

  @Test func narrowGridsClampAgainWithGridPoints() throws {
    let program = try Self.quantized(bits: 4)
    let model = try OnnxExport.quantized(program, info: Self.info).model
    let clips = model.graph.node.filter { $0.opType == "Clip" }
    #expect(!clips.isEmpty)
    for clip in clips {
      // Its bounds are (q − z)·s for integers q of the 4-bit grid.
      let index = try #require(Int(clip.input[0].dropFirst().prefix { $0.isNumber }))
      let params = program.activations[index].params
      let high = Self.floats(try #require(Self.initializer(model, clip.input[2])))[0]
      let q = high / params.scale + Float(params.zeroPoint)
      #expect(abs(q - q.rounded()) < 1e-3 && q.rounded() <= 15)
    }
  }

  @Test func opset21StoresFourBitWeightsAsInt4() throws {
    var info = Self.info
    info.opset = 21
    let model = try OnnxExport.quantized(try Self.quantized(bits: 4), info: info).model
    let w = try #require(Self.initializer(model, "w0"))
    #expect(w.dataType == OnnxElementType.int4.rawValue && w.rawData.count == (36 + 1) / 2)
    #expect(model.irVersion == 10)
  }

  @Test func opsetsOutsideTheRangeAreRefused() throws {
    var info = Self.info
    info.opset = 9
    #expect(throws: OnnxExportError.self) { try OnnxExport.float(try Self.network(), info: info) }
  }
}
