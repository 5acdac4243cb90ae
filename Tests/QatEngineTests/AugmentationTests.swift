import Testing

@testable import QatEngine
import QatImages
import QatSupport

/// Random flips and crops: the pixels they produce on small known images, the choices they draw,
/// and that training with them is reproducible on any number of threads and never touches evaluation.
@Suite struct AugmentationTests {
  /// A 3 × 3 image with two channels, NCHW: channel 0 holds 1…9, channel 1 holds 10…90.
  static let twoChannels = LabeledImages(
    nchw: (1...9).map(Float.init) + (1...9).map { Float($0 * 10) }, labels: [0],
    shape: ActivationShape(channels: 2, height: 3, width: 3))

  /// Image 0 of `data` copied with `choice`, padding with (−1, −2), as [[channel 0 rows], [channel 1 rows]].
  static func copied(_ data: LabeledImages, _ choice: Augmentation.Choice) -> [[Float]] {
    let n = data.shape.elements, c = data.shape.channels
    let buffer = FloatBuffer(count: n)
    data.copyImage(0, to: buffer.pointer, choice: choice, fill: [-1, -2])
    let nhwc = buffer.array
    return (0..<c).map { ch in stride(from: ch, to: n, by: c).map { nhwc[$0] } }
  }

  @Test func flipMirrorsEachRowInEveryChannel() {
    let out = Self.copied(Self.twoChannels, .init(flipped: true, dy: 0, dx: 0))
    #expect(out[0] == [3, 2, 1, 6, 5, 4, 9, 8, 7])
    #expect(out[1] == [30, 20, 10, 60, 50, 40, 90, 80, 70])
  }

  @Test func cropShiftsTheWindowAndPadsWithTheFill() {
    // Output (y, x) is source (y + 1, x − 1): the window moved down one row and left one column.
    let out = Self.copied(Self.twoChannels, .init(flipped: false, dy: 1, dx: -1))
    #expect(out[0] == [-1, 4, 5, -1, 7, 8, -1, -1, -1])
    #expect(out[1] == [-2, 40, 50, -2, 70, 80, -2, -2, -2])
    let up = Self.copied(Self.twoChannels, .init(flipped: false, dy: -2, dx: 0))
    #expect(up[0] == [-1, -1, -1, -1, -1, -1, 1, 2, 3])
  }

  @Test func cropThenFlip() {
    // The crop (source column x + 1) comes first, then the mirror: output x reads source 2 − x + 1.
    let out = Self.copied(Self.twoChannels, .init(flipped: true, dy: 0, dx: 1))
    #expect(out[0] == [-1, 3, 2, -1, 6, 5, -1, 9, 8])
    #expect(Self.copied(Self.twoChannels, .init(flipped: false, dy: 0, dx: 0))[0] == (1...9).map(Float.init))
  }

  /// The batch copy's fast paths (a shifted row as one run, padding by pixel) against `Choice.source`,
  /// pixel by pixel, for every offset and both flips on a non-square three-channel image.
  @Test func everyChoiceMatchesTheReferenceMapping() {
    let h = 4, w = 5, c = 3
    let data = LabeledImages(
      nchw: (0..<(h * w * c)).map { Float($0 + 1) }, labels: [0],
      shape: ActivationShape(channels: c, height: h, width: w))
    for flipped in [false, true] {
      for dy in -4...4 {
        for dx in -6...6 {
          let choice = Augmentation.Choice(flipped: flipped, dy: dy, dx: dx)
          let buffer = FloatBuffer(count: h * w * c)
          data.copyImage(0, to: buffer.pointer, choice: choice, fill: [-1, -2, -3])
          var expected: [Float] = []
          for y in 0..<h {
            for x in 0..<w {
              for ch in 0..<c {
                // NCHW source value of channel ch at the source pixel: 1 + ch·h·w + sy·w + sx.
                expected.append(
                  choice.source(y: y, x: x, height: h, width: w).map { Float(1 + ch * h * w + $0.y * w + $0.x) }
                    ?? Float(-1 - ch))
              }
            }
          }
          #expect(buffer.array == expected, "flipped \(flipped), dy \(dy), dx \(dx)")
        }
      }
    }
  }

  @Test func choicesArePureFunctionsOfSeedAndPosition() {
    let a = Augmentation(flip: true, padding: 2)
    let first = (0..<2000).map { a.choice(seed: 7, position: $0) }
    #expect(first == (0..<2000).map { a.choice(seed: 7, position: $0) })
    #expect(first != (0..<2000).map { a.choice(seed: 8, position: $0) })
    let flipped = first.filter(\.flipped).count
    #expect(flipped > 900 && flipped < 1100, "p = 0.5: \(flipped) of 2000")
    #expect(Set(first.map(\.dy)) == Set(-2...2) && Set(first.map(\.dx)) == Set(-2...2))
    // Every offset about equally often (400 expected each).
    for d in -2...2 { #expect(abs(first.filter { $0.dx == d }.count - 400) < 80) }
    // Off: nothing moves.
    #expect(Augmentation(flip: false, padding: 0).choice(seed: 7, position: 3) == .init(flipped: false, dy: 0, dx: 0))
    #expect(!Augmentation().isActive && Augmentation.maxPadding(height: 8, width: 5) == 4)
  }

  /// `augmented()` (NCHW, for display) and training (NHWC, into the batch) give the same pixels.
  @Test func theDisplayedCopyIsWhatTrainingSees() {
    let split = ImageSplit(
      name: "train", classes: ["a"], channels: 2, height: 3, width: 3,
      pixels: (1...9).map(Float.init) + (1...9).map { Float($0 * 10) }, labels: [0], paths: ["x.png"],
      mean: [0.5, 0.25], std: [0.5, 0.25])
    let a = Augmentation(flip: true, padding: 2)
    let shown = split.augmented(Array(repeating: 0, count: 20), with: a, seed: 3, name: "augmented train")
    for position in 0..<20 {
      let choice = a.choice(seed: 3, position: position)
      let buffer = FloatBuffer(count: 18)
      Self.twoChannels.copyImage(0, to: buffer.pointer, choice: choice, fill: split.blackValues)
      let nhwc = buffer.array
      let nchw = (0..<2).flatMap { ch in stride(from: ch, to: 18, by: 2).map { nhwc[$0] } }
      #expect(Array(shown.values(position)) == nchw)
    }
    // Black in the normalized space: (0 − mean) / std = −1 in both channels, shown as 0.
    #expect(split.blackValues == [-1, -1])
  }

  /// Random images of two classes (bright left half or bright right half), and a small conv net.
  static func problem(seed: UInt64) throws -> (Network, LabeledImages, SeededRandom) {
    var random = SeededRandom(seed: seed)
    let shape = ActivationShape(channels: 3, height: 6, width: 6)
    var pixels: [Float] = [], labels: [Int] = []
    for i in 0..<48 {
      labels.append(i % 2)
      for _ in 0..<shape.elements { pixels.append(Float(random.nextUnit()) + Float(i % 2)) }
    }
    let net = try Network.build(
      [
        LayerSpec(.conv(out: 4, kernel: 3, stride: 1, pad: 1, groups: 1)), LayerSpec(.batchNorm), LayerSpec(.relu),
        LayerSpec(.flatten), LayerSpec(.dense(out: 2)),
      ], input: shape, random: &random)
    return (net, LabeledImages(nchw: pixels, labels: labels, shape: shape), random)
  }

  static func trainedWeights(threads: Int, augmentation: Augmentation?) throws -> [Float] {
    let (net, data, start) = try problem(seed: 11)
    var random = start
    let options = TrainingOptions(
      epochs: 2, learningRate: 0.05, batchSize: 40, threads: threads,
      augmentation: augmentation.map { TrainingAugmentation($0, fill: [-1, -1, -1]) })
    #expect(net.train(on: data, options: options, random: &random, monitor: TrainingMathTests.Silent()) == .finished)
    return net.parameters.flatMap(\.value.array)
  }

  @Test func trainingWithAugmentationIsTheSameOnOneOrTwoThreads() throws {
    let augmentation = Augmentation(flip: true, padding: 2)
    let one = try Self.trainedWeights(threads: 1, augmentation: augmentation)
    #expect(try Self.trainedWeights(threads: 2, augmentation: augmentation) == one)
    #expect(try Self.trainedWeights(threads: 3, augmentation: augmentation) == one)
    #expect(try Self.trainedWeights(threads: 1, augmentation: nil) != one, "the augmentation changes training")
    // Inactive augmentation is exactly no augmentation (the session's generator is consumed the same way).
    #expect(
      try Self.trainedWeights(threads: 1, augmentation: Augmentation())
        == Self.trainedWeights(threads: 2, augmentation: nil))
  }

  /// A training batch sees augmented images; evaluation, after training with augmentation, sees the
  /// images as they are.
  @Test func evaluationNeverAugments() throws {
    let (net, data, _) = try Self.problem(seed: 12)
    let shift = TrainingAugmentation(Augmentation(flip: true, padding: 2), fill: [-1, -1, -1])
    _ = net.trainBatch([0][...], of: data, pool: WorkerPool.shared(threads: 1), stepSeed: 5, augmentation: shift)
    let n = data.shape.elements
    let original = FloatBuffer(count: n)
    data.copyImage(0, to: original.pointer)
    let choice = shift.augmentation.choice(seed: 5, position: 0)
    let expected = FloatBuffer(count: n)
    data.copyImage(0, to: expected.pointer, choice: choice, fill: shift.fill)
    #expect(Array(net.slots[0].activations[0].array.prefix(n)) == expected.array)
    #expect(choice != .init(flipped: false, dy: 0, dx: 0), "seed 5 moves image 0, so the check means something")
    var predictions: [Int32] = []
    _ = net.evaluate(data, pool: WorkerPool.shared(threads: 1), predictions: &predictions)
    #expect(Array(net.slots[0].activations[0].array.prefix(n)) == original.array)
  }
}
