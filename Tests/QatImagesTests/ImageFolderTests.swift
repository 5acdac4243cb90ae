import Foundation
@testable import QatImages
import QatSupport
import QatsLanguage
import Testing

/// The folder loader: layouts, normalization against hand-computed values, splits, skipping, caching.
@Suite struct ImageFolderTests {
  @Test func fixedSplitNormalizesBothSplitsWithTrainStatistics() throws {
    let f = try FolderBuilder()
    defer { f.remove() }
    // Train: a = 1×2 [0, 255], b = 1×2 [255, 255] → values 0, 1, 1, 1: mean 0.75, std √0.1875.
    try f.png("train/a/0.png", PixelImage(width: 2, height: 1, channels: 1, pixels: [0, 255]))
    try f.png("train/b/0.png", PixelImage(width: 2, height: 1, channels: 1, pixels: [255, 255]))
    try f.png("test/a/0.png", PixelImage(width: 2, height: 1, channels: 1, pixels: [51, 0]))
    try f.png("test/b/0.png", PixelImage(width: 2, height: 1, channels: 1, pixels: [255, 102]))
    let data = try f.load()
    #expect(data.hasFixedSplit)
    #expect(data.classes == ["a", "b"])
    #expect(data.train.labels == [0, 1] && data.test.labels == [0, 1])
    let std = (0.1875).squareRoot()
    #expect(abs(data.train.mean[0] - 0.75) < Tolerance.float64Statistics)
    #expect(abs(data.train.std[0] - std) < Tolerance.float64Statistics)
    let expectedTrain = [0.0, 1, 1, 1].map { Float(($0 - 0.75) / std) }
    let expectedTest = [0.2, 0, 1, 0.4].map { Float(($0 - 0.75) / std) }
    #expect(zip(data.train.pixels, expectedTrain).allSatisfy { abs($0 - $1) < Tolerance.normalizedPixel })
    #expect(zip(data.test.pixels, expectedTest).allSatisfy { abs($0 - $1) < Tolerance.normalizedPixel })
    // Undoing the normalization gives the file's samples back.
    #expect(data.test.displayImage(1).pixels == [255, 102])
  }

  @Test func rgbNormalizesEachChannelOnItsOwn() throws {
    let f = try FolderBuilder()
    defer { f.remove() }
    try f.png("x/0.png", PixelImage(width: 1, height: 1, channels: 3, pixels: [0, 51, 255]))
    try f.png("x/1.png", PixelImage(width: 1, height: 1, channels: 3, pixels: [255, 153, 255]))
    try f.png("y/0.png", PixelImage(width: 1, height: 1, channels: 3, pixels: [0, 51, 255]))
    try f.png("y/1.png", PixelImage(width: 1, height: 1, channels: 3, pixels: [255, 153, 255]))
    // With split 0.5 each class keeps one image for training; both classes' train images differ by seed,
    // so only check shapes and that a constant channel gets std 1.
    let data = try f.load(ImageFolderOptions(testFraction: 0.5, seed: 1))
    #expect(data.train.channels == 3 && data.train.count == 2 && data.test.count == 2)
    let blueValues = [0, 1].map { data.train.pixels[$0 * 3 + 2] }
    #expect(data.train.std[2] == 1 && blueValues == [0, 0])
  }

  @Test func resizeAndColourOptionsApply() throws {
    let f = try FolderBuilder()
    defer { f.remove() }
    try f.png("a/0.png", PixelImage(width: 4, height: 2, channels: 3, pixels: [UInt8](repeating: 200, count: 24)))
    try f.gray("a/1.png", 10, width: 4, height: 2)
    try f.gray("b/0.png", 10, width: 6, height: 6)  // the odd size out
    try f.gray("b/1.png", 30, width: 4, height: 2)
    var data = try f.load()
    #expect(data.train.channels == 3)  // one colour image makes the whole set RGB
    #expect(data.train.width == 4 && data.train.height == 2)  // the most common size
    #expect(data.resizedCount == 1)
    data = try f.load(ImageFolderOptions(size: ImageSize(height: 3, width: 5), color: .gray))
    #expect(data.train.channels == 1 && data.train.width == 5 && data.train.height == 3)
    #expect(data.train.pixels.count == data.train.count * 15)
  }

  @Test func stratifiedSplitIsSeededAndKeepsClassShares() throws {
    let f = try FolderBuilder()
    defer { f.remove() }
    for i in 0..<10 { try f.gray("a/\(i).png", UInt8(i)) }
    for i in 0..<5 { try f.gray("b/\(i).png", UInt8(100 + i)) }
    let first = try f.load(ImageFolderOptions(seed: 7))
    #expect(first.test.countsPerClass == [2, 1] && first.train.countsPerClass == [8, 4])
    f.cache.removeAll()
    let again = try f.load(ImageFolderOptions(seed: 7, threads: 1))
    #expect(again.test.paths == first.test.paths && again.train.pixels == first.train.pixels)
    let other = try f.load(ImageFolderOptions(seed: 8))
    #expect(other.test.paths != first.test.paths)
    // Stored order is class-major, file order within a class.
    #expect(first.train.labels == first.train.labels.sorted())
  }

  @Test func splitFunctionMatchesHandWorkedCase() {
    let split = StratifiedSplit.split(
      classOf: [0, 0, 0, 0, 0, 1, 1, 1, 1, 1], classCount: 2, testFraction: 0.2, seed: 0)
    #expect(split.test.count == 2 && split.train.count == 8)
    #expect(Set(split.test.map { $0 < 5 ? 0 : 1 }) == [0, 1])
    // A class of one stays in train.
    let single = StratifiedSplit.split(classOf: [0], classCount: 1, testFraction: 0.5, seed: 0)
    #expect(single.train == [0] && single.test.isEmpty)
  }

  @Test func resultsDoNotDependOnThreadCount() throws {
    let f = try FolderBuilder()
    defer { f.remove() }
    var generator = SeededRandom(seed: 3)
    for c in 0..<3 {
      for i in 0..<150 {
        let pixels = (0..<(7 * 5 * 3)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
        try f.png("c\(c)/\(i).png", PixelImage(width: 7, height: 5, channels: 3, pixels: pixels))
      }
    }
    let one = try f.load(ImageFolderOptions(size: ImageSize(height: 4, width: 9), threads: 1))
    f.cache.removeAll()
    let two = try f.load(ImageFolderOptions(size: ImageSize(height: 4, width: 9), threads: 2))
    #expect(!two.fromCache)
    #expect(one.train.pixels == two.train.pixels && one.test.pixels == two.test.pixels)
    #expect(one.train.mean == two.train.mean && one.train.std == two.train.std)
  }

  @Test func badFilesAreSkippedWithReasons() throws {
    let f = try FolderBuilder()
    defer { f.remove() }
    try f.gray("a/good.png", 1)
    try f.bytes("a/notes.txt", Array("hello".utf8))
    let valid = try PNGCodec.encode(PixelImage(width: 2, height: 2, channels: 1, pixels: [1, 2, 3, 4]))
    try f.bytes("a/cut.png", Array(valid.prefix(30)))
    try f.folder("a/nested")
    try f.gray("b/good.png", 2)
    let data = try f.load()
    #expect(data.count == 2)
    #expect(data.skipped.count == 3)
    let reasons = Dictionary(
      uniqueKeysWithValues: data.skipped.map { (($0.path as NSString).lastPathComponent, $0.reason) })
    #expect(reasons["notes.txt"]?.contains("not a PNG") == true)
    #expect(reasons["cut.png"]?.contains("truncated") == true)
    #expect(reasons["nested"]?.contains("folder") == true)
  }

  @Test func folderProblemsAreClearErrors() throws {
    let f = try FolderBuilder()
    defer { f.remove() }
    #expect(
      try ImageFolderLoaderTestsHelpers.error(f.root + "/missing")?.message.contains("there is no folder") == true)
    try f.gray("loose.png", 1)
    #expect(f.loadError()?.message.contains("has no class folders") == true)
    #expect(f.loadError()?.hint?.contains("1 PNG files directly") == true)
    #expect(try ImageFolderLoaderTestsHelpers.error(f.root + "/loose.png")?.message.contains("is a file") == true)
    try f.folder("empty")
    #expect(f.loadError()?.message.contains("'\(f.root)/empty' has no files") == true)
  }

  @Test func classWithOnlyBadFilesIsAnError() throws {
    let f = try FolderBuilder()
    defer { f.remove() }
    try f.gray("a/0.png", 1)
    try f.bytes("b/0.png", Array("not really".utf8))
    let error = f.loadError()
    #expect(error?.message.contains("'b' has no readable PNG images (1 files skipped: 0.png: not a PNG") == true)
  }

  @Test func trainAndTestMustHoldTheSameClasses() throws {
    let f = try FolderBuilder()
    defer { f.remove() }
    try f.gray("train/cat/0.png", 1)
    try f.gray("train/dog/0.png", 1)
    try f.gray("test/cat/0.png", 1)
    try f.gray("test/bird/0.png", 1)
    let error = f.loadError()
    #expect(error?.message.contains("only in train/: dog; only in test/: bird") == true)
    let g = try FolderBuilder()
    defer { g.remove() }
    try g.gray("train/cat/0.png", 1)
    #expect(g.loadError()?.message.contains("has a train/ folder but no test/ folder") == true)
  }

  @Test func theCacheServesRepeatsAndNoticesChanges() throws {
    let f = try FolderBuilder()
    defer { f.remove() }
    try f.gray("a/0.png", 10)
    try f.gray("a/1.png", 20)
    try f.gray("b/0.png", 30)
    let first = try f.load()
    let second = try f.load(ImageFolderOptions(threads: 1))
    #expect(!first.fromCache && second.fromCache)
    #expect(second.train === first.train)
    try f.gray("b/1.png", 40)  // a new file: the cache must not answer
    let third = try f.load()
    #expect(!third.fromCache && third.count == 4)
    let other = try f.load(ImageFolderOptions(color: .rgb))
    #expect(!other.fromCache && other.train.channels == 3)
  }
}

@Suite struct ImageLoadingInterruptTests {
  @Test func ctrlCStopsLoading() throws {
    let f = try FolderBuilder()
    defer { f.remove() }
    try f.gray("a/0.png", 1)
    try f.gray("b/0.png", 2)
    #expect(throws: LoadInterrupted.self) {
      _ = try ImageFolderLoader.load(f.root, options: ImageFolderOptions(), isInterrupted: { true })
    }
  }

  @Test func mosaicPastesCellsWithGaps() throws {
    let white = PixelImage(width: 1, height: 1, channels: 1, pixels: [255])
    let mosaic = try #require(ImageMosaic.compose([white, white], columns: 2, cellSize: 2, gap: 1, background: 0))
    #expect(mosaic.width == 7 && mosaic.height == 4)
    #expect(
      mosaic.pixels == [
        0, 0, 0, 0, 0, 0, 0,
        0, 255, 255, 0, 255, 255, 0,
        0, 255, 255, 0, 255, 255, 0,
        0, 0, 0, 0, 0, 0, 0,
      ])
    let rgb = PixelImage(width: 1, height: 1, channels: 3, pixels: [1, 2, 3])
    #expect(ImageMosaic.compose([white, rgb], cellSize: 1, gap: 0)?.pixels == [255, 255, 255, 1, 2, 3])
  }
}

enum ImageFolderLoaderTestsHelpers {
  static func error(_ path: String) throws -> ImageFolderError? {
    do { _ = try ImageFolderLoader.load(path, options: ImageFolderOptions()); return nil } catch let e
      as ImageFolderError
    { return e }
  }
}
