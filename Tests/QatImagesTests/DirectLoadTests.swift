import Foundation
import QatSupport
import Testing

@testable import QatImages

/// The fast path (decoding straight into the tensors) against the general one (every image decoded,
/// then resized into the tensors): the same dataset, bit for bit, or the same error.
@Suite struct DirectLoadTests {
  func load(_ f: FolderBuilder, _ options: ImageFolderOptions, direct: Bool, budget: Int = MemoryBudget.bytes)
    -> Result<ImageDataset, Refusal>
  {
    do {
      return .success(
        try ImageFolderLoader.load(
          f.root, options: options, cache: nil, isInterrupted: { false }, budget: budget, direct: direct))
    } catch {
      return .failure(Refusal(text: "\(type(of: error)): \(error)"))
    }
  }

  /// An error, as text to compare.
  struct Refusal: Error, Equatable { var text: String }

  /// Loads both ways and compares everything a dataset shows.
  func expectSame(
    _ f: FolderBuilder, _ options: ImageFolderOptions = ImageFolderOptions(), budget: Int = MemoryBudget.bytes,
    sourceLocation: SourceLocation = #_sourceLocation
  ) {
    let fast = load(f, options, direct: true, budget: budget)
    let general = load(f, options, direct: false, budget: budget)
    switch (fast, general) {
    case (.success(let a), .success(let b)):
      for (x, y) in [(a.train, b.train), (a.test, b.test)] {
        #expect(x.pixels == y.pixels, sourceLocation: sourceLocation)
        #expect(x.labels == y.labels && x.paths == y.paths, sourceLocation: sourceLocation)
        #expect(x.mean == y.mean && x.std == y.std, sourceLocation: sourceLocation)
        #expect(
          x.channels == y.channels && x.height == y.height && x.width == y.width, sourceLocation: sourceLocation)
      }
      #expect(a.classes == b.classes && a.hasFixedSplit == b.hasFixedSplit, sourceLocation: sourceLocation)
      #expect(a.skipped == b.skipped && a.resizedCount == b.resizedCount, sourceLocation: sourceLocation)
    case (.failure(let a), .failure(let b)): #expect(a == b, sourceLocation: sourceLocation)
    default: Issue.record("fast: \(fast), general: \(general)", sourceLocation: sourceLocation)
    }
  }

  /// Whether the fast path loads the folder itself (rather than handing it to the general path).
  func fastPathTakes(_ f: FolderBuilder, _ options: ImageFolderOptions = ImageFolderOptions()) throws -> Bool {
    let scan = try FolderScan.scan(f.root, threads: 2)
    let files = scan.trainFiles + scan.testFiles
    return try DirectLoad.load(
      f.root, scan: scan, files: files, options: options, budget: MemoryBudget.bytes, isInterrupted: { false },
      started: 0, scanned: 0) != nil
  }

  /// A gray image with varied pixels.
  func image(_ seed: Int, width: Int = 5, height: Int = 4, channels: Int = 1) -> PixelImage {
    PixelImage(
      width: width, height: height, channels: channels,
      pixels: (0..<(width * height * channels)).map { UInt8(truncatingIfNeeded: $0 * 37 + seed * 101) })
  }

  @Test func fixedSplitWithBadFilesInBothHalves() throws {
    let f = try FolderBuilder()
    defer { f.remove() }
    for split in ["train", "test"] {
      for c in ["a", "b", "c"] { for i in 0..<9 { try f.png("\(split)/\(c)/\(i).png", image(i + c.count)) } }
    }
    expectSame(f)
    expectSame(f, ImageFolderOptions(threads: 1))
    try f.bytes("train/a/3.png", Array("not a png".utf8))
    try f.bytes("train/c/0.png", [])
    try f.bytes("test/b/8.png", Array(try PNGCodec.encode(image(1)).prefix(40)))
    try f.folder("train/b/nested")
    expectSame(f)
    #expect(try fastPathTakes(f))
    expectSame(f, ImageFolderOptions(size: ImageSize(height: 3, width: 7), color: .rgb))
  }

  @Test func stratifiedSplitWithAndWithoutBadFiles() throws {
    let f = try FolderBuilder()
    defer { f.remove() }
    for c in ["x", "y"] { for i in 0..<20 { try f.png("\(c)/\(i).png", image(i)) } }
    expectSame(f)
    expectSame(f, ImageFolderOptions(testFraction: 0.3, seed: 7))
    try f.bytes("x/5.png", Array("broken".utf8))
    expectSame(f)
    #expect(try fastPathTakes(f))
    expectSame(f, ImageFolderOptions(testFraction: 0.5, seed: 3, threads: 1))
  }

  @Test func mixedSizesAndColoursGiveTheGeneralPathsResult() throws {
    let f = try FolderBuilder()
    defer { f.remove() }
    // The first file of each class is odd-sized: the guess is wrong and the general path decides.
    for c in ["a", "b"] {
      try f.png("\(c)/0.png", image(9, width: 8, height: 8))
      for i in 1..<6 { try f.png("\(c)/\(i).png", image(i)) }
    }
    expectSame(f)
    #expect(try !fastPathTakes(f))
    // A minority of odd sizes after a right guess: resized once the size is known.
    try f.png("a/0.png", image(9))
    try f.png("b/3.png", image(2, width: 3, height: 9))
    expectSame(f)
    #expect(try fastPathTakes(f))
    expectSame(f, ImageFolderOptions(size: ImageSize(height: 6, width: 6)))
    // A colour image where gray was guessed makes the dataset RGB.
    try f.png("b/4.png", image(4, channels: 3))
    expectSame(f)
    #expect(try !fastPathTakes(f))
    expectSame(f, ImageFolderOptions(color: .gray))
    // Colour guessed (a first file is RGB): gray images are replicated.
    try f.png("a/0.png", image(1, channels: 3))
    expectSame(f)
    #expect(try fastPathTakes(f))
  }

  @Test func aThousandClassesNeedNoThousandDescriptors() throws {
    let f = try FolderBuilder()
    defer { f.remove() }
    // More class folders than a process may hold open by default (1,024): the workers open one
    // at a time.
    for c in 0..<1_100 { try f.png(String(format: "c%05d/0.png", c), image(c % 7)) }
    try f.png("c00000/1.png", image(3))
    expectSame(f)
    #expect(try fastPathTakes(f))
  }

  @Test func budgetRefusalsAreTheGeneralPaths() throws {
    let f = try FolderBuilder()
    defer { f.remove() }
    for c in ["a", "b"] { for i in 0..<3 { try f.png("\(c)/\(i).png", image(i, width: 4, height: 4)) } }
    // Decoded bytes 6 × 16 = 96, floats 6 × 16 × 4 × 2 = 768: refused below 864, loaded from there.
    for budget in [40, 100, 500, 863, 864, 1_000] { expectSame(f, budget: budget) }
    try f.bytes("a/1.png", [])
    for budget in [700, 719, 720, 1_000] { expectSame(f, budget: budget) }
  }

  @Test func sumsOfFourImagesAtOnceAreEachImagesOwnBits() {
    var generator = SeededRandom(seed: 11)
    let channels = 3, plane = 37
    let pixels = (0..<(4 * channels * plane)).map { _ in Float(generator.next() % 256) * (1 / 255) }
    var one = [Double](repeating: 0, count: 4 * channels * 2), four = one
    pixels.withUnsafeBufferPointer { p in
      guard let p = p.baseAddress else { return }
      one.withUnsafeMutableBufferPointer { o in
        guard let o = o.baseAddress else { return }
        for k in 0..<4 {
          ChannelStats.imageSums(p + k * channels * plane, channels: channels, plane: plane, into: o + k * channels * 2)
        }
      }
      four.withUnsafeMutableBufferPointer { o in
        guard let o = o.baseAddress else { return }
        func image(_ k: Int) -> UnsafePointer<Float> { p + k * channels * plane }
        func sums(_ k: Int) -> UnsafeMutablePointer<Double> { o + k * channels * 2 }
        ChannelStats.imageSums(
          (image(0), image(1), image(2), image(3)), channels: channels, plane: plane,
          into: (sums(0), sums(1), sums(2), sums(3)))
      }
    }
    #expect(one == four)
  }

  @Test func ctrlCAfterTheFirstFilesStopsTheFastPath() throws {
    let f = try FolderBuilder()
    defer { f.remove() }
    for c in ["a", "b"] { for i in 0..<300 { try f.png("\(c)/\(i).png", image(i)) } }
    var asked = 0
    #expect(throws: LoadInterrupted.self) {
      _ = try ImageFolderLoader.load(
        f.root, options: ImageFolderOptions(threads: 1), cache: nil,
        isInterrupted: {
          asked += 1
          return asked > 3
        }, budget: MemoryBudget.bytes, direct: true)
    }
  }
}
