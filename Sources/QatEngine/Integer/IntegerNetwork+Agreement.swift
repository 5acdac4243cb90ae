/// How closely an integer program reproduces the fake-quantized simulation it was compiled from:
/// per quantization point, the integers both give on the same images, and the predictions on a
/// whole split (what `agree(model, data)` shows).
public struct IntegerAgreement: Sendable {
  /// One activation of the program that stands for one of the simulation's.
  public struct Point: Sendable {
    /// The program activation's index and its quantization point ("input", "conv(16, …)", …), or
    /// the step that wrote it.
    public let activation: Int
    public let name: String
    public let bits: Int
    /// The largest |integer − simulation| over every value, in steps of the grid (LSB).
    public let maxLSB: Int
    /// Values compared and how many were equal.
    public let values: Int
    public let equal: Int
  }

  public let points: [Point]
  /// Images whose activations were compared (the first ones of the split).
  public let imagesCompared: Int
  /// Predictions over the whole split: how many agree, of how many.
  public let samePredictions: Int
  public let images: Int
  /// The simulation's and the program's correct predictions.
  public let simulationCorrect: Int
  public let integerCorrect: Int
}

extension IntegerNetwork {
  /// Every activation's integers for the first images of `data` (at most `limit`), NHWC per image.
  public func activationIntegers(_ data: LabeledImages, limit: Int) -> [[UInt8]] {
    let count = min(data.count, max(1, limit))
    guard count > 0 else { return activations.map { _ in [] } }
    let chunk = IntegerChunk(network: self, capacity: count)
    for k in 0..<count { data.copyImage(k, to: chunk.input.pointer + k * inputShape.elements) }
    run(chunk, images: count)
    return activations.indices.map { a in
      Array(UnsafeBufferPointer(start: chunk.activations[a].pointer, count: count * activations[a].shape.elements))
    }
  }

  /// This program against `simulation` (the network it was compiled from) on `data`: the activations
  /// of the first `Network.chunkSize` images compared point by point, the predictions on all of them.
  public func agreement(with simulation: Network, on data: LabeledImages, pool: WorkerPool) -> IntegerAgreement {
    let values = simulation.activationValues(data)
    let compared = min(data.count, Network.chunkSize)
    let integers = activationIntegers(data, limit: compared)
    var points: [IntegerAgreement.Point] = []
    var stepName: [Int: String] = [:]
    for op in ops { stepName[op.output] = op.name }
    for (a, activation) in activations.enumerated() {
      guard let index = activation.simulationIndex, index < values.count else { continue }
      let expected = values[index].map { activation.params.quantize($0) }
      let got = integers[a]
      var worst = 0, equal = 0
      for (x, y) in zip(got, expected) {
        let d = abs(Int(x) - Int(y))
        worst = max(worst, d)
        if d == 0 { equal += 1 }
      }
      points.append(
        IntegerAgreement.Point(
          activation: a, name: activation.name ?? stepName[a] ?? "activation \(a)", bits: activation.params.range.bits,
          maxLSB: worst, values: min(got.count, expected.count), equal: equal))
    }
    var simulated: [Int32] = [], integer: [Int32] = []
    let s = simulation.evaluate(data, pool: pool, predictions: &simulated)
    let i = evaluate(data, pool: pool, predictions: &integer)
    let same = zip(simulated, integer).filter { $0 == $1 }.count
    return IntegerAgreement(
      points: points, imagesCompared: compared, samePredictions: same, images: data.count,
      simulationCorrect: s.correct, integerCorrect: i.correct)
  }
}
