import Foundation
import QatImages
import QatModelFile
import Testing

@testable import QatEngine
import QatSupport

/// The integer program against the fake-quantized simulation it was compiled from (SPEC §5.5): every
/// step's output within 1 LSB of the simulation's given the simulation's own input integers, and the
/// same predictions on at least 99.5 % of the images at 8 bits.
@Suite struct IntegerAgreementTests {
  static let pool = WorkerPool.shared(threads: 2)

  /// The simulation's integers at activation `a` of the program: round(x̂/scale) + zero point.
  static func simulationIntegers(_ program: IntegerNetwork, _ a: Int, _ values: [[Float]]) -> [UInt8] {
    let activation = program.activations[a]
    guard let index = activation.simulationIndex else { return [] }
    return values[index].map { UInt8(clamping: activation.params.quantize($0)) }
  }

  /// The largest |integer − simulation| over every step, fed the simulation's inputs, and the step.
  static func worstStepError(_ program: IntegerNetwork, simulation: Network, data: LabeledImages) -> (Int, String) {
    let values = simulation.activationValues(data)
    let images = min(data.count, Network.chunkSize)
    var worst = (0, "")
    for step in 0..<program.stepCount {
      let (inputs, output) = program.stepActivations(step)
      let got = program.runStep(step, inputs: inputs.map { simulationIntegers(program, $0, values) }, images: images)
      let expected = simulationIntegers(program, output, values)
      let error = zip(got, expected).map { abs(Int($0) - Int($1)) }.max() ?? 99
      if got.count != expected.count || error > worst.0 {
        worst = (got.count == expected.count ? error : 99, program.stepNames[step])
      }
    }
    return worst
  }

  static func config(_ method: QuantMethod, bits: Int, observer: ObserverKind? = nil) -> QuantizationConfig {
    var config = QuantizationConfig(method: method)
    config.weightBits = bits
    config.activationBits = bits
    config.observer = observer
    return config
  }

  /// Net A (the fixture's trained parameters) on the digits: PTQ at 8, 4 and 2 bits.
  @Test(arguments: [8, 4, 2]) func netAAgreesWithItsSimulation(bits: Int) throws {
    let reference = try JSONDecoder().decode(
      PyTorchPTQAgreementTests.Reference.self,
      from: Data(
        contentsOf:
          PyTorchPTQAgreementTests.root.appendingPathComponent("Tests/QatEngineTests/Fixtures/pytorch-ptq-net-a.json")))
    let digits = try ImageFolderLoader.load(
      PyTorchPTQAgreementTests.root.appendingPathComponent("samples/digits").path,
      options: ImageFolderOptions(threads: 2), cache: nil, isInterrupted: { false })
    let shape = ActivationShape(channels: 1, height: 8, width: 8)
    let train = LabeledImages(nchw: digits.train.pixels, labels: digits.train.labels, shape: shape)
    let test = LabeledImages(nchw: digits.test.pixels, labels: digits.test.labels, shape: shape)
    let net = try PyTorchPTQAgreementTests.netA(reference, input: shape)
    let quantized = try net.quantized(Self.config(.ptq, bits: bits), training: train, pool: Self.pool) { _ in }
    let simulation = quantized.simulation
    let program = try #require(quantized.program)
    #expect(program.stepNames.count == 5, "\(program.stepNames)")
    let (error, step) = Self.worstStepError(program, simulation: simulation, data: test)
    #expect(error <= Tolerance.integerStepLSB, "\(bits) bits: step \(step) is \(error) LSB from the simulation")
    var simulated: [Int32] = [], integer: [Int32] = []
    let a = simulation.evaluate(test, pool: Self.pool, predictions: &simulated)
    let b = program.evaluate(test, pool: Self.pool, predictions: &integer)
    let same = zip(simulated, integer).filter { $0 == $1 }.count
    // At 2 bits the logits take 4 values, so ties are common and a 1-LSB difference often moves the
    // arg-max: only the per-step bound is promised there.
    let needed: Double =
      bits == 8
      ? Tolerance.predictionAgreement8Bits
      : bits == 4 ? Tolerance.predictionAgreement4Bits : Tolerance.predictionAgreementFewerBits
    #expect(Double(same) >= needed * Double(test.count), "\(bits) bits: \(same) of \(test.count) predictions agree")
    #expect(
      abs(a.correct - b.correct) <= test.count
        * (bits == 2 ? Tolerance.accuracyDifferencePercent2Bits : Tolerance.accuracyDifferencePercent) / 100)
  }

  /// Every kind of step: depthwise and grouped conv, a 1×1 conv, residual adds (with ReLU), a lone
  /// batch norm, ReLU6 inside a unit and alone, average and global average pooling, dropout.
  static var everyLayer: [LayerSpec] {
    [
      LayerSpec(.conv(out: 6, kernel: 3, stride: 1, pad: 1, groups: 1)), LayerSpec(.batchNorm), LayerSpec(.relu6),
      LayerSpec(
        .residual([
          LayerSpec(.conv(out: 6, kernel: 3, stride: 1, pad: 1, groups: 6)), LayerSpec(.batchNorm), LayerSpec(.relu),
          LayerSpec(.conv(out: 6, kernel: 1, stride: 1, pad: 0, groups: 1)),
        ])),
      LayerSpec(.relu),
      LayerSpec(.batchNorm), LayerSpec(.relu6),
      LayerSpec(.conv(out: 4, kernel: 3, stride: 2, pad: 1, groups: 2)), LayerSpec(.relu),
      LayerSpec(.avgpool(kernel: 2, stride: 1)), LayerSpec(.relu6),
      LayerSpec(.globalAvgPool), LayerSpec(.flatten), LayerSpec(.dropout(p: 0.25)), LayerSpec(.dense(out: 3)),
    ]
  }

  @Test(arguments: [QuantMethod.ptq, .qat], [8, 3])
  func everyStepKindAgrees(method: QuantMethod, bits: Int) throws {
    let (net, data) = try QuantizedNetworkTests.trained(Self.everyLayer, epochs: 2)
    let simulation = try net.prepareQuantization(Self.config(method, bits: bits), calibration: data, pool: Self.pool)
    let program = try simulation.integerProgram()
    for kind in ["add", "batchnorm", "relu6", "avgpool 2", "globalavgpool"] {
      #expect(program.stepNames.contains(kind), "\(kind) missing from \(program.stepNames)")
    }
    let (error, step) = Self.worstStepError(program, simulation: simulation, data: data)
    #expect(
      error <= Tolerance.integerStepLSB, "\(method) \(bits) bits: step \(step) is \(error) LSB from the simulation")
  }

  /// A prepared QAT model compiles to the same program as its converted, folded form.
  @Test func preparedCompilesAsConverted() throws {
    let (net, data) = try QuantizedNetworkTests.trained()
    let prepared = try net.prepareQuantization(Self.config(.qat, bits: 4), calibration: data, pool: Self.pool)
    let direct = try prepared.integerProgram()
    prepared.quantization?.convert()
    let folded = try prepared.foldingQATBatchNorms().integerProgram()
    var a: [Int32] = [], b: [Int32] = []
    let logitsA = FloatBuffer(count: data.count * 3), logitsB = FloatBuffer(count: data.count * 3)
    _ = direct.evaluate(data, pool: Self.pool, predictions: &a, logits: logitsA.pointer)
    _ = folded.evaluate(data, pool: Self.pool, predictions: &b, logits: logitsB.pointer)
    #expect(logitsA.array == logitsB.array)
    #expect(direct.stepNames == folded.stepNames)
  }
}

/// Integer programs through their model file: every step kind comes back computing the same
/// integers, and layer tables that pass the checksum but do not fit are refused, never run.
@Suite struct IntegerProgramFileTests {
  static func program() throws -> (IntegerNetwork, LabeledImages) {
    let (net, data) = try QuantizedNetworkTests.trained(IntegerAgreementTests.everyLayer, epochs: 1)
    let simulation = try net.prepareQuantization(
      IntegerAgreementTests.config(.ptq, bits: 4), calibration: data, pool: IntegerAgreementTests.pool)
    return (try simulation.integerProgram(), data)
  }

  static func reloaded(_ layers: [ModelFile.Layer], like program: IntegerNetwork) -> Result<
    IntegerNetwork, ModelFileReason
  > {
    IntegerNetwork.fromFileLayers(layers, info: program.info, output: program.outputIndex)
  }

  /// A program whose working memory for an evaluation pass exceeds the budget is refused when it is
  /// read, before it runs; so is one with more steps than a model file holds.
  @Test func workingMemoryAndStepCountAreCheckedAtLoad() throws {
    let (program, _) = try Self.program()
    let layers = program.fileLayers()
    let needed = try #require(program.workingBytes(images: IntegerNetwork.roundImages))
    #expect(needed > 0)
    let fits = IntegerNetwork.fromFileLayers(
      layers, info: program.info, output: program.outputIndex, budget: needed)
    #expect((try? fits.get()) != nil)
    let refused = IntegerNetwork.fromFileLayers(
      layers, info: program.info, output: program.outputIndex, budget: needed - 1)
    guard case .failure(let reason) = refused else {
      Issue.record("a program beyond the budget was accepted")
      return
    }
    #expect(reason.reason.contains("of working memory for 256 images"), "\(reason.reason)")
    #expect(reason.hint != nil)
    let tooMany = [layers[0]] + Array(repeating: layers[1], count: ModelFileLimits.layers + 1)
    guard case .failure(let many) = Self.reloaded(tooMany, like: program) else {
      Issue.record("a program with too many steps was accepted")
      return
    }
    #expect(many.reason.contains("steps, more than the 65,536 a model file holds"), "\(many.reason)")
  }

  @Test func everyStepKindRoundTrips() throws {
    let (program, data) = try Self.program()
    let file = ModelFile.integer(
      program, specs: IntegerAgreementTests.everyLayer, mean: [0, 0], std: [1, 1], classNames: ["a", "b", "c"])
    let decoded = try ModelFile.decode(try file.encoded())
    let split = decoded.layers.firstIndex { $0.type.hasPrefix("q.") } ?? 0
    let specs = try #require(LayerSpecFile.specs(Array(decoded.layers[..<split])))
    #expect(LayerSpecFile.layers(specs) == LayerSpecFile.layers(IntegerAgreementTests.everyLayer))
    let back = try Self.reloaded(Array(decoded.layers[split...]), like: program).get()
    #expect(back.stepNames == program.stepNames)
    let a = FloatBuffer(count: data.count * 3), b = FloatBuffer(count: data.count * 3)
    var p: [Int32] = [], q: [Int32] = []
    _ = program.evaluate(data, pool: IntegerAgreementTests.pool, predictions: &p, logits: a.pointer)
    _ = back.evaluate(data, pool: IntegerAgreementTests.pool, predictions: &q, logits: b.pointer)
    #expect(a.array == b.array)
  }

  @Test func tablesThatDoNotFitAreRefused() throws {
    let (program, _) = try Self.program()
    let layers = program.fileLayers()
    var edits: [(String, [ModelFile.Layer])] = []
    for (i, layer) in layers.enumerated() where i > 0 {
      for k in layer.integers.indices {
        // Int64.min and .max: a pooling kernel of Int64.min once overflowed computing the output shape.
        for value: Int64 in [-1, 0, 99, 1 << 40, .min, .max] where value != layer.integers[k] {
          var changed = layers
          changed[i].integers[k] = value
          edits.append(("step \(i) integer \(k) = \(value)", changed))
        }
      }
      var truncated = layers
      truncated[i].tensors = layer.tensors.map { t in
        var t = t
        if case .int32(let v) = t.data { t.data = .int32(Array(v.dropLast())) }
        return t
      }
      if truncated != layers { edits.append(("step \(i) short tensor", truncated)) }
    }
    var refused = 0
    for (_, changed) in edits {
      switch Self.reloaded(changed, like: program) {
      case .failure: refused += 1
      case .success(let p):
        // Accepted edits (e.g. another valid clamp) must still run without reading out of bounds.
        var predictions: [Int32] = []
        _ = p.evaluate(
          LabeledImages(nchw: Array(repeating: 0.5, count: 2 * 36), labels: [0], shape: p.inputShape),
          pool: IntegerAgreementTests.pool, batch: 1, predictions: &predictions, logits: nil)
      }
    }
    #expect(refused > edits.count / 2, "\(refused) of \(edits.count) edits refused")
  }

  /// A spec table that would allocate gigabytes of weights before its tensors are checked is refused
  /// up front; a real one passes the same bound.
  @Test func hugeSpecTablesAreRefusedBeforeBuilding() throws {
    let input = ActivationShape(channels: 1, height: 28, width: 28)
    let huge = LayerSpec.fileLayers([
      LayerSpec(.conv(out: 65_536, kernel: 64, stride: 1, pad: 0, groups: 1)), LayerSpec(.flatten),
      LayerSpec(.dense(out: 65_536)),
    ])
    guard case .failure(let reason) = Network.fromFileLayers(huge, input: input) else {
      Issue.record("a huge table was accepted")
      return
    }
    #expect(reason.reason.contains("parameters"))
    var random = SeededRandom(seed: 1)
    let specs = [
      LayerSpec(.conv(out: 16, kernel: 3, stride: 1, pad: 1, groups: 1)), LayerSpec(.maxpool(kernel: 2, stride: 2)),
      LayerSpec(.flatten), LayerSpec(.dense(out: 64)), LayerSpec(.dense(out: 10)),
    ]
    let net = try Network.build(specs, input: input, random: &random)
    let (back, _) = try Network.fromFileLayers(net.fileLayers(), input: input).get()
    #expect(back.fileLayers() == net.fileLayers())
    // Within a small budget the same file is refused at load time, before it runs, saying why.
    guard case .failure(let over) = Network.fromFileLayers(net.fileLayers(), input: input, budget: 100_000) else {
      Issue.record("a network beyond the budget was loaded")
      return
    }
    #expect(over.reason.contains("does not fit the memory budget"), "\(over.reason)")
    #expect(over.hint?.contains("more memory") == true)
  }

  /// `save` and `load` share `ModelFileLimits`: what one refuses the other refuses, and a file beyond
  /// them is refused as such (not as damage to save again).
  @Test func saveAndLoadShareOneTableOfLimits() throws {
    func nested(_ depth: Int) -> [LayerSpec] {
      depth == 0 ? [LayerSpec(.relu)] : [LayerSpec(.residual(nested(depth - 1)))]
    }
    let beyond: [[LayerSpec]] = [
      [LayerSpec(.maxpool(kernel: 2_048, stride: 2))],
      [LayerSpec(.conv(out: 70_000, kernel: 1, stride: 1, pad: 0, groups: 1))],
      [LayerSpec(.conv(out: 4, kernel: 1, stride: 2_000, pad: 0, groups: 1))], nested(64),
    ]
    for specs in beyond {
      let found = try #require(ModelFileLimits.firstProblem(specs), "\(specs)")
      guard case .failure(let reason) = LayerSpecFile.read(LayerSpec.fileLayers(specs)) else {
        Issue.record("loaded \(specs)")
        continue
      }
      #expect(reason.reason.contains("beyond what a model file holds"), "\(reason.reason)")
      #expect(reason.reason.contains(found.problem), "\(reason.reason)")
      #expect(reason.hint?.contains("save it again") == true)
    }
    let within: [[LayerSpec]] = [
      [LayerSpec(.maxpool(kernel: 1_024, stride: 1_024))], nested(63),
      [LayerSpec(.conv(out: 65_536, kernel: 1, stride: 1_024, pad: 1_024, groups: 1))],
    ]
    for specs in within {
      #expect(ModelFileLimits.firstProblem(specs) == nil)
      #expect(LayerSpecFile.specs(LayerSpec.fileLayers(specs)) != nil, "\(specs)")
    }
  }
}
