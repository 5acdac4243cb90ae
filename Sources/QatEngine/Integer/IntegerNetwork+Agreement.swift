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

/// How closely a second copy of a program (read back from an exported file) reproduces this one:
/// per activation, the integers both give on the same images, and the predictions on a whole split.
public struct ProgramAgreement: Sendable {
  /// Indexed by activation: the largest |Δ| in LSB and how many values were equal, of how many.
  public let maxLSB: [Int]
  public let equal: [Int]
  public let values: [Int]
  public let samePredictions: Int
  public let images: Int
  /// The other program's correct predictions.
  public let correct: Int
}

extension IntegerNetwork {
  /// Whether `other` has this program's activations (shapes and bits), so that they can be compared
  /// one by one; the reason when not.
  public func mismatch(with other: IntegerNetwork) -> String? {
    guard other.activations.count == activations.count else {
      return "it has \(other.activations.count) activations where the model's program has \(activations.count)"
    }
    for (i, (a, b)) in zip(activations, other.activations).enumerated()
    where a.shape != b.shape || a.params.range != b.params.range {
      return "its activation \(i) is \(b.shape) at \(b.params.range.bits) bits, the model's \(a.shape) at "
        + "\(a.params.range.bits) bits"
    }
    return nil
  }

  /// `other` (the same program read back from a file) against this one on `data`: every activation of
  /// the first `Network.chunkSize` images, and the predictions on all of them. The activations must
  /// match (`mismatch(with:)` is nil).
  public func agreement(withProgram other: IntegerNetwork, on data: LabeledImages, pool: WorkerPool)
    -> ProgramAgreement
  {
    let compared = min(data.count, Network.chunkSize)
    let mine = activationIntegers(data, limit: compared), theirs = other.activationIntegers(data, limit: compared)
    var worst: [Int] = [], equal: [Int] = [], values: [Int] = []
    for (x, y) in zip(mine, theirs) {
      var w = 0, e = 0
      for (p, q) in zip(x, y) {
        let d = abs(Int(p) - Int(q))
        w = max(w, d)
        if d == 0 { e += 1 }
      }
      worst.append(w)
      equal.append(e)
      values.append(min(x.count, y.count))
    }
    var a: [Int32] = [], b: [Int32] = []
    _ = evaluate(data, pool: pool, predictions: &a)
    let result = other.evaluate(data, pool: pool, predictions: &b)
    return ProgramAgreement(
      maxLSB: worst, equal: equal, values: values, samePredictions: zip(a, b).filter { $0 == $1 }.count,
      images: data.count, correct: result.correct)
  }
}
