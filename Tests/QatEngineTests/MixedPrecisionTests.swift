import Foundation
import QatModelFile
import Testing

@testable import QatEngine

/// Per-layer widths (`quantize(…, bits: [8, 4, 2, …])`): each conv/dense layer's weights and output get
/// their own width, the integer program runs them, and model files keep them.
@Suite struct MixedPrecisionTests {
  /// The conv/dense operations of the test network, first to last.
  static func weightedOperations(_ net: Network) -> [Int] {
    net.ops.indices.filter { net.ops[$0] is WeightedOperation }
  }

  static func mixed(_ widths: [Int]) throws -> (Network, IntegerNetwork, LabeledImages, [Int]) {
    let (net, data) = try QuantizedNetworkTests.trained(IntegerAgreementTests.everyLayer, epochs: 2)
    let weighted = Self.weightedOperations(net)
    var config = IntegerAgreementTests.config(.ptq, bits: widths.max() ?? 8)
    for (i, bits) in zip(weighted, widths) { config.layerBits[i] = bits }
    let simulation = try net.prepareQuantization(config, calibration: data, pool: IntegerAgreementTests.pool)
    return (simulation, try simulation.integerProgram(), data, weighted)
  }

  /// Every layer's weights sit on its own grid, the program carries the widths in order, and each step
  /// reproduces the simulation within 1 LSB as uniform programs do.
  @Test func eachLayerGetsItsWidthAndTheProgramAgrees() throws {
    let (net, _) = try QuantizedNetworkTests.trained(IntegerAgreementTests.everyLayer, epochs: 1)
    let count = Self.weightedOperations(net).count
    let widths = (0..<count).map { [8, 3, 5, 2, 6, 4][$0 % 6] }
    let (simulation, program, data, _) = try Self.mixed(widths)
    #expect(program.info.layerBits == widths)
    let quantizers = simulation.ops.compactMap { ($0 as? WeightedOperation)?.weightQuantizer }
    #expect(quantizers.map(\.range.bits) == widths)
    let (error, step) = IntegerAgreementTests.worstStepError(program, simulation: simulation, data: data)
    #expect(error <= Tolerance.integerStepLSB, "step \(step) is \(error) LSB from the simulation")
    // The activations' widths: the input at the first layer's, then each layer's output at its own.
    #expect(program.activations[0].params.range.bits == widths[0])
    #expect(Set(program.activations.map(\.params.range.bits)).isSubset(of: Set(widths)))
  }

  /// A model file keeps the widths (for display) and the program (for running): read back, it gives
  /// the same integers on every image.
  @Test func modelFilesKeepPerLayerWidths() throws {
    let (net, _) = try QuantizedNetworkTests.trained(IntegerAgreementTests.everyLayer, epochs: 1)
    let widths = Self.weightedOperations(net).indices.map { $0 % 2 == 0 ? 8 : 3 }
    let (_, program, data, _) = try Self.mixed(widths)
    let channels = program.inputShape.channels
    let file = ModelFile.integer(
      program, specs: [], mean: Array(repeating: 0, count: channels), std: Array(repeating: 1, count: channels),
      classNames: [])
    let decoded = try ModelFile.decode(try file.encoded())
    let metadata = try ModelFileMetadata(reading: decoded)
    #expect(metadata.program?.info.layerBits == widths)
    let back = try IntegerNetwork.fromFileLayers(decoded.layers, info: program.info, output: program.outputIndex).get()
    #expect(back.activationIntegers(data, limit: 16) == program.activationIntegers(data, limit: 16))
    // A file without the key (or with a malformed one) reads as uniform.
    var plain = decoded
    plain.properties.removeAll { $0.key == "layer_bits" }
    #expect(try ModelFileMetadata(reading: plain).program?.info.layerBits == [])
    plain.properties.append(.init("layer_bits", "8,99"))
    #expect(try ModelFileMetadata(reading: plain).program?.info.layerBits == [])
  }
}
