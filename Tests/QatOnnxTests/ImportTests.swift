import Foundation
import OnnxProto
import QatModelFile
import QatSupport
import Testing

@testable import QatEngine
@testable import QatOnnx

/// The importer: export → import keeps the network's function, hand-built graphs convert as
/// PyTorch writes them, and anything else is refused with the node named — never a crash.
@Suite struct ImportTests {
  static let budget = 1 << 30

  /// Logits of `network` on `images`.
  static func logits(_ network: Network, _ images: LabeledImages) -> [Float] {
    var predictions: [Int32] = []
    var out = [Float](repeating: 0, count: images.count * network.outputShape.elements)
    out.withUnsafeMutableBufferPointer { buffer in
      _ = network.evaluate(
        images, pool: WorkerPool.shared(threads: 1), predictions: &predictions, logits: buffer.baseAddress)
    }
    return out
  }

  static func imported(_ data: Data, mean: [Double]? = nil, std: [Double]? = nil) throws -> (ImportedOnnxModel, Network)
  {
    let model = try OnnxImport.convert(data, mean: mean, std: std, budget: budget)
    let input = ActivationShape(
      channels: model.file.inputShape[0], height: model.file.inputShape[1], width: model.file.inputShape[2])
    let network = try Network.fromFileLayers(model.file.layers, input: input, budget: budget).get().0
    return (model, network)
  }

  @Test func exportThenImportKeepsTheFunction() throws {
    let net = try ExportTests.network()
    let data = try OnnxExport.float(net, info: ExportTests.info).serialized()
    let (model, back) = try Self.imported(data)
    #expect(model.normalization == .graph)
    #expect(model.file.mean == [0.25] && model.file.std == [0.5])
    #expect(model.file.classNames == ["a", "b\"quoted\"", "c"])
    // Batch norm was folded into the conv on export: the imported network has no batch norm.
    #expect(model.specs.map(\.name) == ["conv", "relu", "maxpool", "flatten", "dense"])
    let images = ExportTests.images(8)
    let a = Self.logits(net, images), b = Self.logits(back, images)
    for (x, y) in zip(a, b) { #expect(abs(x - y) <= 1e-5 * max(1, abs(x)), "\(x) vs \(y)") }
  }

  /// A graph as torch.onnx.export writes a small net: Conv (no bias) → BatchNormalization (ε 1e-3) →
  /// Clip(0, 6) → Flatten → MatMul + Add, with an opset-13 Constant for the Clip's bounds.
  static func handBuilt(extra: (inout Onnx_GraphProto) -> Void = { _ in }) -> Onnx_ModelProto {
    var g = Onnx_GraphProto()
    g.input = [OnnxValueInfo.tensor("x", type: .float, batchDims: [1, 3, 3])]
    g.output = [OnnxValueInfo.tensor("y", type: .float, batchDims: [2])]
    g.initializer = [
      OnnxTensor.float("W", (0..<18).map { Float($0) / 10 }, dims: [2, 1, 3, 3]),
      OnnxTensor.float("g", [1, 2]), OnnxTensor.float("b", [0, 1]), OnnxTensor.float("m", [0.5, -0.5]),
      OnnxTensor.float("v", [1, 4]), OnnxTensor.float("M", (0..<36).map { Float($0) / 100 }, dims: [18, 2]),
      OnnxTensor.float("B", [0.5, -0.5]), OnnxTensor.float("lo", [0], dims: []),
    ]
    func node(_ op: String, _ i: [String], _ o: [String], _ a: [Onnx_AttributeProto] = []) -> Onnx_NodeProto {
      var n = Onnx_NodeProto()
      n.opType = op
      n.input = i
      n.output = o
      n.attribute = a
      n.name = "\(op)_\(o[0])"
      return n
    }
    var six = Onnx_AttributeProto()
    six.name = "value"
    six.type = .tensor
    six.t = OnnxTensor.float("", [6], dims: [])
    g.node = [
      node(
        "Conv", ["x", "W"], ["c"],
        [OnnxAttribute.ints("pads", [1, 1, 1, 1]), OnnxAttribute.ints("kernel_shape", [3, 3])]),
      node("BatchNormalization", ["c", "g", "b", "m", "v"], ["n"], [OnnxAttribute.float("epsilon", 1e-3)]),
      node("Constant", [], ["hi"], [six]), node("Clip", ["n", "lo", "hi"], ["r"]),
      node("Flatten", ["r"], ["f"], [OnnxAttribute.int("axis", 1)]), node("MatMul", ["f", "M"], ["mm"]),
      node("Add", ["mm", "B"], ["y"]),
    ]
    extra(&g)
    var model = Onnx_ModelProto()
    model.irVersion = 7
    var opset = Onnx_OperatorSetIdProto()
    opset.version = 13
    model.opsetImport = [opset]
    model.producerName = "pytorch"
    model.graph = g
    return model
  }

  @Test func torchStyleGraphConvertsWithItsWeightsInOrder() throws {
    let (model, network) = try Self.imported(try Self.handBuilt().serializedBytes(), mean: [0.5], std: [0.25])
    #expect(model.normalization == .arguments && model.producer == "pytorch" && model.opset == 13)
    #expect(
      model.specs.map(\.description) == [
        "conv(2, kernel: 3, pad: 1)", "batchnorm()", "relu6()", "flatten()", "dense(2)",
      ])
    let bn = try #require(model.file.layers[1].tensor(named: "running_var"))
    // ε 1e-3 in the file, 1e-5 in qat-repl: the variance carries the difference.
    let e: Float = 1e-3 - 1e-5
    let expected: [Float] = [1 + e, 4 + e]
    #expect(bn.data == .float32(expected))
    // MatMul's [in, out] weights become dense's [out, in].
    let dense = try #require(network.layers.last?.userWeights)
    #expect(dense[0] == 0 && dense[1] == 0.02 && dense[18] == 0.01)
    #expect(model.file.layers[0].tensor(named: "bias")?.data == .float32([0, 0]))
  }

  static func refusal(_ model: Onnx_ModelProto) throws -> String {
    do {
      _ = try OnnxImport.convert(try model.serializedBytes(), mean: nil, std: nil, budget: budget)
    } catch {
      return (error as? OnnxImportError)?.message ?? "\(error)"
    }
    Issue.record("no refusal")
    return ""
  }

  @Test func unsupportedThingsAreRefusedWithTheNodeNamed() throws {
    var m = Self.handBuilt()
    m.graph.node[0].attribute.append(OnnxAttribute.ints("dilations", [2, 2]))
    #expect(try Self.refusal(m).contains("node 0 'Conv_c' (Conv): has the dilations [2, 2]"))
    m = Self.handBuilt()
    m.graph.node[3].opType = "Sigmoid"
    #expect(try Self.refusal(m).contains("(Sigmoid): is not an operator qat-repl can express"))
    m = Self.handBuilt()
    m.graph.initializer[0].dataLocation = .external
    #expect(try Self.refusal(m).contains("external file"))
    m = Self.handBuilt()
    m.opsetImport[0].version = 9
    #expect(try Self.refusal(m).contains("opset 9"))
    m = Self.handBuilt()
    m.graph.input[0] = OnnxValueInfo.tensor("x", type: .int64, batchDims: [1, 3, 3])
    #expect(try Self.refusal(m).contains("not float32"))
    m = Self.handBuilt()
    m.graph.initializer[0].dims = [1 << 40, 1, 3, 3]
    #expect(try Self.refusal(m).contains("W"))
    m = Self.handBuilt()
    m.graph.node[6].domain = "com.microsoft"
    #expect(try Self.refusal(m).contains("domain"))
    #expect(throws: OnnxImportError.self) {
      try OnnxImport.convert(Data("not a model".utf8), mean: nil, std: nil, budget: Self.budget)
    }
  }

  /// Seeded byte mutations and truncations of a valid file: every one converts or throws.
  @Test func mutatedFilesNeverCrash() throws {
    let valid = try OnnxExport.float(try ExportTests.network(), info: ExportTests.info).serialized()
    var random = SeededRandom(seed: 11)
    var refused = 0
    for round in 0..<3_000 {
      let bytes = FileDamage.damaged(valid, round: round, random: &random)
      do {
        _ = try OnnxImport.convert(bytes, mean: nil, std: nil, budget: 64 << 20)
      } catch {
        refused += 1
      }
    }
    #expect(refused > 1_000)
  }
}
