import Foundation
import OnnxProto
import QatModelFile
import QatSupport
import Testing

@testable import QatEngine
@testable import QatOnnx

/// Reading a QDQ file back into the integer program it was exported from (what `agree(…, onnx:)`
/// compares): the program read back must be the same program, entry for entry.
@Suite struct ProgramImportTests {
  static let input = ActivationShape(channels: 2, height: 8, width: 8)

  /// Every kind of step the exporter writes: conv, residual add, a lone ReLU (identity + clamp),
  /// maxpool, a lone batch norm (affine), depthwise conv with ReLU6, avgpool, 1×1 conv, a grouped
  /// strided conv, global average pool and a dense layer on a feature map.
  static func program(bits: Int, perChannel: Bool, dataFree: Bool = false) throws -> IntegerNetwork {
    var random = SeededRandom(seed: 5)
    func conv(_ out: Int, _ k: Int, stride: Int = 1, pad: Int = 0, groups: Int = 1) -> LayerSpec {
      LayerSpec(.conv(out: out, kernel: k, stride: stride, pad: pad, groups: groups))
    }
    let bn = LayerSpec(.batchNorm), relu = LayerSpec(.relu)
    let specs: [LayerSpec] = [
      conv(4, 3, pad: 1), bn, relu,
      LayerSpec(.residual([conv(4, 3, pad: 1), bn, relu, conv(4, 3, pad: 1), bn])), relu,
      LayerSpec(.maxpool(kernel: 2, stride: 2)), bn,
      conv(4, 3, pad: 1, groups: 4), bn, LayerSpec(.relu6),
      LayerSpec(.avgpool(kernel: 2, stride: 2)),
      conv(6, 1), bn, relu,
      conv(6, 3, stride: 2, pad: 1, groups: 2), bn, relu,
      LayerSpec(.globalAvgPool), LayerSpec(.flatten), LayerSpec(.dense(out: 3)),
    ]
    let net = try Network.build(specs, input: input, random: &random)
    for case let norm as BatchNormOp in net.ops {
      for c in 0..<norm.runningMean.count {
        norm.runningMean[c] = 0.05 * Float(c)
        norm.runningVar[c] = 0.5 + 0.25 * Float(c)
        norm.beta.value[c] = 0.1
      }
    }
    var config = QuantizationConfig(method: .ptq)
    config.weightBits = bits
    config.activationBits = bits
    config.perChannel = perChannel
    (config.equalize, config.biasCorrection) = (dataFree, dataFree)
    let q = try net.quantized(config, training: images(32), pool: WorkerPool.shared(threads: 1)) { _ in }
    return try #require(q.program)
  }

  static func images(_ count: Int) -> LabeledImages {
    var random = SeededRandom(seed: 8)
    let pixels = (0..<(count * input.elements)).map { _ in Float(random.nextUnit() * 2 - 1) }
    return LabeledImages(nchw: pixels, labels: (0..<count).map { $0 % 3 }, shape: input)
  }

  static func exported(_ program: IntegerNetwork, opset: Int = 13) throws -> Data {
    var info = ExportTests.info
    info.opset = opset
    return try OnnxExport.quantized(program, info: info).serialized()
  }

  @Test(arguments: [(8, true, 13), (8, false, 13), (4, true, 13), (3, false, 13), (2, true, 13), (4, true, 21)])
  func readBackIsTheSameProgram(bits: Int, perChannel: Bool, opset: Int) throws {
    let program = try Self.program(bits: bits, perChannel: perChannel)
    let kinds = Set(program.fileLayers().map(\.type))
    #expect(
      kinds == ["q.activations", "q.conv", "q.depthwise", "q.dense", "q.add", "q.affine", "q.maxpool", "q.avgpool"])
    let read = try OnnxProgramImport.program(try Self.exported(program, opset: opset), budget: 64 << 20)
    #expect(program.mismatch(with: read) == nil)
    let original = program.fileLayers(), back = read.fileLayers()
    #expect(original.count == back.count)
    for (a, b) in zip(original, back) { #expect(Self.asStored(a) == b, "\(a.type) read back differs") }
    #expect(read.outputIndex == program.outputIndex && read.info.weightBits == bits)
    let agreement = program.agreement(withProgram: read, on: Self.images(20), pool: WorkerPool.shared(threads: 1))
    #expect(agreement.maxLSB.allSatisfy { $0 == 0 } && agreement.samePredictions == 20)
  }

  /// An equalized, bias-corrected program exports and reads back as the same program.
  @Test func equalizedProgramReadsBack() throws {
    let program = try Self.program(bits: 8, perChannel: false, dataFree: true)
    #expect(program.info.equalized && program.info.biasCorrected)
    let read = try OnnxProgramImport.program(try Self.exported(program), budget: 64 << 20)
    #expect(program.mismatch(with: read) == nil)
    let agreement = program.agreement(withProgram: read, on: Self.images(20), pool: WorkerPool.shared(threads: 1))
    #expect(agreement.maxLSB.allSatisfy { $0 == 0 } && agreement.samePredictions == 20)
  }

  /// An affine step as the file can hold it: ONNX's Mul and Add carry float32 constants, and the
  /// batch norm's name is not part of the graph.
  static func asStored(_ layer: ModelFile.Layer) -> ModelFile.Layer {
    guard layer.type == "q.affine" else { return layer }
    var stored = layer
    stored.name = "affine"
    stored.floats = layer.floats.map { Double(Float($0)) }
    return stored
  }

  /// A changed weight in the file is a different program, and the comparison shows where.
  @Test func aChangedWeightShowsInTheComparison() throws {
    let program = try Self.program(bits: 8, perChannel: true)
    var model = try Onnx_ModelProto(serializedBytes: try Self.exported(program))
    let index = try #require(model.graph.initializer.firstIndex { $0.name == "w0" })
    model.graph.initializer[index].rawData = Data(model.graph.initializer[index].rawData.map { $0 &+ 40 })
    let read = try OnnxProgramImport.program(try model.serializedData(), budget: 64 << 20)
    let agreement = program.agreement(withProgram: read, on: Self.images(20), pool: WorkerPool.shared(threads: 1))
    #expect(agreement.maxLSB[0] == 0 && agreement.maxLSB[1] > 0)
  }

  @Test func otherFilesAreRefusedWithAReason() throws {
    let float = try OnnxExport.float(try ExportTests.network(), info: ExportTests.info).serialized()
    #expect(throws: OnnxImportError.self) { try OnnxProgramImport.program(float, budget: 64 << 20) }
    #expect(throws: OnnxImportError.self) { try OnnxProgramImport.program(Data([1, 2, 3]), budget: 64 << 20) }
    // A different program (other bits) is named as such before anything is compared.
    let eight = try Self.program(bits: 8, perChannel: true), four = try Self.program(bits: 4, perChannel: true)
    let read = try OnnxProgramImport.program(try Self.exported(four), budget: 64 << 20)
    #expect(eight.mismatch(with: read)?.contains("at 4 bits") == true)
  }

  /// Damaged files (bytes, metadata, initializers) are refused or read as some valid program — never a crash.
  @Test func damagedFilesNeverCrash() throws {
    let valid = try Self.exported(try Self.program(bits: 4, perChannel: true))
    var random = SeededRandom(seed: 21)
    var refused = 0
    for round in 0..<1_500 {
      let bytes = FileDamage.damaged(valid, round: round, random: &random)
      do {
        let program = try OnnxProgramImport.program(bytes, budget: 64 << 20)
        // Run only what fits the images (agree refuses any other shape before running).
        if program.inputShape == Self.input { _ = program.activationIntegers(Self.images(2), limit: 2) }
      } catch {
        refused += 1
      }
    }
    #expect(refused > 500)
  }
}
