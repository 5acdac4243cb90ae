import Foundation
import QatSupport
import Testing

@testable import QatImages

/// The loader's fast read (`FolderFiles`: openat from the open folder, one read of a small file)
/// against `PNGCodec.decode(path:)`: the same pixels, or the same refusal, for every file.
@Suite struct FolderFilesTests {
  /// Every file of `folder` (sorted) as one class folder of a scan.
  func scan(_ folder: String) throws -> (FolderScan, [FolderScan.File]) {
    let names = try FileManager.default.contentsOfDirectory(atPath: folder).filter { !$0.hasPrefix(".") }.sorted()
    let files = names.map { name in
      FolderScan.File(
        path: folder + "/" + name, raw: RawPath(folder + "/" + name), classIndex: 0, folder: 0, size: 0, modified: 0)
    }
    let scan = FolderScan(
      hasFixedSplit: false, classes: ["all"], trainFiles: files, testFiles: [], skipped: [],
      folders: [RawPath(folder)])
    return (scan, files)
  }

  func expectSameAsDecodeByPath(_ folder: String) throws {
    let (scan, files) = try scan(folder)
    let opened = try #require(FolderFiles(scan: scan, files: files))
    for (i, file) in files.enumerated() {
      for color in [ColorRequest.auto, .gray, .rgb] {
        let byPath = Result { () throws(PNGError) in try PNGCodec.decode(path: file.path, color: color) }
        let fast = Result { () throws(PNGError) in try opened.withDecoded(i, color: color) { $0.image } }
        switch (byPath, fast) {
        case (.success(let a), .success(let b)): #expect(a == b, "\(file.path) \(color)")
        case (.failure(let a), .failure(let b)): #expect(a == b, "\(file.path) \(color)")
        default: Issue.record("\(file.path) \(color): \(byPath) but the fast read gave \(fast)")
        }
      }
    }
  }

  @Test func pngSuiteDecodesAsByPath() throws {
    try expectSameAsDecodeByPath(PNGConformanceTests.suiteDirectory)
  }

  @Test func brokenAndLargeFilesAreRefusedOrReadAsByPath() throws {
    let root = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: root) }
    func write(_ name: String, _ bytes: [UInt8]) throws {
      try Data(bytes).write(to: URL(fileURLWithPath: root + "/" + name))
    }
    let valid = PNGBrokenFileTests.valid
    try write("valid.png", valid)
    try write("empty.png", [])
    try write("text.png", Array("hello, world".utf8))
    var damaged = valid
    damaged.insert(0x0D, at: 5)
    try write("damaged.png", damaged)
    for cut in [1, 7, 8, 20, 28, 29, 30, 33, valid.count - 12, valid.count - 1] {
      try write("cut\(cut).png", Array(valid.prefix(cut)))
    }
    // Past 8 KiB: noise that does not compress (read as the decoder asks), and a valid image
    // followed by a long tail (never read past the allowance).
    var generator = SeededRandom(seed: 9)
    let noise = (0..<(96 * 96 * 3)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
    let large = try PNGCodec.encode(PixelImage(width: 96, height: 96, channels: 3, pixels: noise))
    #expect(large.count > 8 << 10)
    try write("large.png", large)
    try write("large-cut.png", Array(large.prefix(large.count - 100)))
    try write("tail.png", valid + [UInt8](repeating: 7, count: 40_000))
    try write("exactly8k.png", valid + [UInt8](repeating: 0, count: (8 << 10) - valid.count))
    #expect(mkfifo(root + "/pipe.png", 0o600) == 0)
    try FileManager.default.createDirectory(atPath: root + "/folder.png", withIntermediateDirectories: false)
    try expectSameAsDecodeByPath(root)
  }

  @Test func shownPathsAreTheWholePathShown() {
    let folders =
      ["/tmp/a", "/tmp/caf\u{E9}", "/tmp/x\u{1B}[31m", ""].map { RawPath($0) } + [RawPath([0x2F, 0xE9, 0x41])]
    let names: [[UInt8]] = [
      Array("0001.png".utf8), Array("é.png".utf8), [0xE9, 0x2E, 0x70], [0x80], [0x41, 0xC3], Array("a\u{7}b".utf8),
      Array("\u{202E}gnp.exe".utf8), [0x7F], [0x20, 0x7E],
    ]
    for folder in folders {
      for name in names {
        #expect(FolderScan.shownPath(folder.shown, name) == folder.appending(name).shown, "\(folder.bytes) \(name)")
      }
    }
  }

  @Test func theScanListsInByteOrderOnAnyThreadCount() throws {
    let f = try FolderBuilder()
    defer { f.remove() }
    let names = ["b", "B", "a10", "a2", "_x", "é", "Z"]
    for c in ["k", "a", "Q"] { for name in names { try f.gray("\(c)/\(name).png", 1) } }
    let one = try FolderScan.scan(f.root, threads: 1)
    let two = try FolderScan.scan(f.root, threads: 2)
    #expect(one.trainFiles == two.trainFiles && one.classes == two.classes && one.folders == two.folders)
    #expect(one.classes == ["Q", "a", "k"])
    let expected = ["Q", "a", "k"].flatMap { c in
      names.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }.map { "\(f.root)/\(c)/\($0).png" }
    }
    #expect(one.trainFiles.map(\.path) == expected)
    #expect(
      one.trainFiles.map(\.folder) == [Int](repeating: 0, count: 7) + [Int](repeating: 1, count: 7)
        + [Int](repeating: 2, count: 7))
  }
}
