import Foundation
import Testing

@testable import QatEngine

/// `errors(model, data)`: SQNR of the simulation and of the integer program against fp32, per point.
@Suite struct ErrorAnalysisTests {
  static func quantized(bits: Int) throws -> (Network, IntegerNetwork, LabeledImages) {
    let (net, data) = try QuantizedNetworkTests.trained(IntegerAgreementTests.everyLayer, epochs: 2)
    let simulation = try net.prepareQuantization(
      IntegerAgreementTests.config(.ptq, bits: bits), calibration: data, pool: IntegerAgreementTests.pool)
    return (simulation, try simulation.integerProgram(), data)
  }

  /// At the input nothing has accumulated yet: the SQNR is that of rounding the images to the input
  /// grid, computed here by hand from the pixels and the input quantizer's parameters.
  @Test(arguments: [8, 4]) func inputPointIsTheInputGridsRounding(bits: Int) throws {
    let (simulation, program, data) = try Self.quantized(bits: bits)
    let errors = program.quantizationErrors(simulation: simulation, on: data)
    let input = try #require(errors.points.first)
    #expect(input.name == "input" && input.bits == bits)
    let params = program.activations[0].params
    var signal = 0.0, noise = 0.0
    let pixels = data.subset(Array(0..<errors.imagesCompared))
    var x = [Float](repeating: 0, count: pixels.count * program.inputShape.elements)
    for k in 0..<pixels.count {
      x.withUnsafeMutableBufferPointer { pixels.copyImage(k, to: $0.baseAddress! + k * program.inputShape.elements) }
    }
    for v in x {
      let d = Double(params.fakeQuantize(v)) - Double(v)
      signal += Double(v) * Double(v)
      noise += d * d
    }
    let expected = 10 * log10(signal / noise)
    #expect(abs(input.simulationSQNR - expected) < 1e-6 && abs(input.integerSQNR - expected) < 1e-6)
    #expect(input.maxLSB == 0 && input.values == x.count)
  }

  /// The two columns tell the same story because the program is the simulation; fewer bits, less SQNR;
  /// and measuring leaves the model exactly as it was (the bypassed quantizers are switched back on).
  @Test func integerProgramErrorMatchesTheSimulationAndBitsCost() throws {
    let (simulation, program, data) = try Self.quantized(bits: 8)
    var before: [Int32] = [], after: [Int32] = []
    _ = simulation.evaluate(data, pool: IntegerAgreementTests.pool, predictions: &before)
    let eight = program.quantizationErrors(simulation: simulation, on: data)
    _ = simulation.evaluate(data, pool: IntegerAgreementTests.pool, predictions: &after)
    #expect(before == after)
    // The LSB column is agree's, end to end.
    let agreement = program.agreement(with: simulation, on: data, pool: IntegerAgreementTests.pool)
    #expect(eight.points.map(\.maxLSB) == agreement.points.map(\.maxLSB))
    for p in eight.points {
      #expect(abs(p.simulationSQNR - p.integerSQNR) < 1.5, "\(p.name): \(p.simulationSQNR) vs \(p.integerSQNR)")
      #expect(p.simulationSQNR > 15, "\(p.name) at 8 bits: \(p.simulationSQNR) dB")
    }
    let (s3, p3, d3) = try Self.quantized(bits: 3)
    let three = p3.quantizationErrors(simulation: s3, on: d3)
    #expect(three.points.count == eight.points.count)
    for (a, b) in zip(eight.points, three.points) {
      #expect(a.integerSQNR > b.integerSQNR + 6, "\(a.name): 8 bits \(a.integerSQNR) dB, 3 bits \(b.integerSQNR) dB")
    }
  }
}
