import Foundation

/// Where quantization error enters a network (what `errors(model, data)` shows): at every quantization
/// point, the signal-to-quantization-noise ratio of the fake-quant simulation and of the integer program,
/// each against the same network in fp32, and how far the program's integers are from the simulation's.
public struct QuantizationErrors: Sendable {
  public struct Point: Sendable {
    /// The program's activation index and its quantization point ("input", "conv(16, …)", …).
    public let activation: Int
    public let name: String
    public let bits: Int
    /// 10·log10(Σx² / Σ(y − x)²) over the compared values, x the fp32 value, y the simulation's (or the
    /// program's dequantized integer); +∞ when they are equal everywhere.
    public let simulationSQNR: Double
    public let integerSQNR: Double
    /// The largest |integer − simulation's integer| in LSB, as `agree` measures it.
    public let maxLSB: Int
    public let values: Int
  }

  public let points: [Point]
  /// Images whose activations were compared (the first ones of the split).
  public let imagesCompared: Int
}

extension IntegerNetwork {
  /// The error analysis of this program against `simulation` (the network it was compiled from) on the
  /// first `Network.chunkSize` images of `data`. The fp32 reference is the simulation itself with every
  /// quantizer bypassed (batch norm folded as in the program, weights and activations unquantized), so
  /// every value at a point compares like with like, and errors accumulate from the input as they do
  /// when the model runs.
  public func quantizationErrors(simulation: Network, on data: LabeledImages) -> QuantizationErrors {
    let fp32 = simulation.withQuantizersBypassed { simulation.activationValues(data) }
    let simulated = simulation.activationValues(data)
    let compared = min(data.count, Network.chunkSize)
    let integers = activationIntegers(data, limit: compared)
    var stepName: [Int: String] = [:]
    for op in ops { stepName[op.output] = op.name }
    var points: [QuantizationErrors.Point] = []
    for (a, activation) in activations.enumerated() {
      guard let index = activation.simulationIndex, index < fp32.count, index < simulated.count else { continue }
      let reference = fp32[index], sim = simulated[index], got = integers[a]
      let params = activation.params
      var signal = 0.0, simNoise = 0.0, intNoise = 0.0, worst = 0
      for k in 0..<min(reference.count, sim.count, got.count) {
        let x = Double(reference[k])
        signal += x * x
        simNoise += (Double(sim[k]) - x) * (Double(sim[k]) - x)
        let y = Double(params.dequantize(Int32(got[k])))
        intNoise += (y - x) * (y - x)
        worst = max(worst, abs(Int(got[k]) - Int(params.quantize(sim[k]))))
      }
      points.append(
        QuantizationErrors.Point(
          activation: a, name: activation.name ?? stepName[a] ?? "activation \(a)", bits: params.range.bits,
          simulationSQNR: Self.sqnr(signal: signal, noise: simNoise),
          integerSQNR: Self.sqnr(signal: signal, noise: intNoise), maxLSB: worst,
          values: min(reference.count, sim.count, got.count)))
    }
    return QuantizationErrors(points: points, imagesCompared: compared)
  }

  /// 10·log10(signal / noise) in dB; +∞ without noise, −∞ without signal.
  static func sqnr(signal: Double, noise: Double) -> Double {
    if noise == 0 { return .infinity }
    if signal == 0 { return -.infinity }
    return 10 * log10(signal / noise)
  }
}

extension Network {
  /// `body` run with every quantizer of this network bypassed (weights and activations in fp32), then
  /// restored.
  func withQuantizersBypassed<T>(_ body: () -> T) -> T {
    guard let state = quantization else { return body() }
    let activations = state.activations.map(\.fakeQuantizing), weights = state.weights.map(\.fakeQuantizing)
    for q in state.activations { q.fakeQuantizing = false }
    for w in state.weights { w.fakeQuantizing = false }
    defer {
      for (q, on) in zip(state.activations, activations) { q.fakeQuantizing = on }
      for (w, on) in zip(state.weights, weights) { w.fakeQuantizing = on }
    }
    return body()
  }
}
