import Foundation
@testable import QatImages
import Synchronization
import Testing

/// Names a folder can hold that a `String` cannot, or that a terminal would act on; Ctrl-C
/// between files; named pipes among the files.
@Suite struct FolderNameAndInterruptTests {
  /// Writes `data` at `root/folder/name`, the folder and file names given as bytes.
  static func write(_ data: [UInt8], root: String, folder: [UInt8], name: [UInt8]) throws {
    let directory = RawPath(root).appending(folder)
    _ = directory.withCString { mkdir($0, 0o755) }
    let fd = directory.appending(name).withCString { open($0, O_WRONLY | O_CREAT | O_TRUNC, 0o644) }
    try #require(fd >= 0)
    defer { close(fd) }
    #expect(data.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) } == data.count)
  }

  static func png(_ value: UInt8) throws -> [UInt8] {
    try PNGCodec.encode(PixelImage(width: 2, height: 2, channels: 1, pixels: [value, value, value, value]))
  }

  @Test func aClassFolderWhoseNameIsNotUTF8IsLoadedUnderAnEscapedName() throws {
    let f = try FolderBuilder()
    defer { f.remove() }
    try f.gray("b/0.png", 10)
    // "café" in Latin-1, as a folder copied from an old system has it.
    try Self.write(try Self.png(20), root: f.root, folder: Array("caf".utf8) + [0xE9], name: Array("0.png".utf8))
    try Self.write(
      try Self.png(30), root: f.root, folder: Array("caf".utf8) + [0xE9],
      name: Array("x".utf8) + [0xFF] + Array(".png".utf8))
    let data = try f.load(ImageFolderOptions(testFraction: 0.01))
    #expect(data.classes == ["b", "caf\\xE9"])
    #expect(data.count == 3)
    #expect(data.skipped.isEmpty)
    #expect(
      data.train.paths.contains(f.root + "/caf\\xE9/x\\xFF.png")
        || data.test.paths.contains(f.root + "/caf\\xE9/x\\xFF.png"))
  }

  @Test func escapeCodesInFileNamesAreShownEscaped() throws {
    let f = try FolderBuilder()
    defer { f.remove() }
    try f.gray("a/0.png", 1)
    try f.gray("b/0.png", 2)
    try f.bytes("a/\u{1B}[2J\u{1B}[31mred.png", Array("not a png".utf8))
    #expect(mkfifo(f.root + "/b/pipe\u{7}.png", 0o600) == 0)
    let data = try f.load()
    let skipped = data.skipped.map(\.path).sorted()
    #expect(skipped == [f.root + "/a/\\u{1b}[2J\\u{1b}[31mred.png", f.root + "/b/pipe\\u{7}.png"])
    #expect(!data.skipped.contains { $0.path.unicodeScalars.contains { $0.value < 0x20 } })
    // A class name is escaped as well, in errors too.
    let g = try FolderBuilder()
    defer { g.remove() }
    try g.gray("ok/0.png", 1)
    try g.folder("bad\u{1B}]0;title\u{7}")
    #expect(g.loadError()?.message == "the class folder '\(g.root)/bad\\u{1b}]0;title\\u{7}' has no files")
  }

  @Test func aNamedPipeAmongTheImagesIsSkippedWithoutWaiting() throws {
    let f = try FolderBuilder()
    defer { f.remove() }
    try f.gray("a/0.png", 1)
    try f.gray("b/0.png", 2)
    let fifo = f.root + "/a/1.png"
    #expect(mkfifo(fifo, 0o600) == 0)
    // The file is decoded directly too, as the loader would if the pipe appeared after the scan.
    let start = Date()
    let decoded = withPipeReleased(fifo) {
      try? ImageFolderLoader.decodeAll([RawPath(fifo)], color: .auto, threads: 1, isInterrupted: { false })
    }
    guard case .failure(let error)? = decoded?.first else {
      Issue.record("the pipe decoded")
      return
    }
    #expect(error.reason == "not a regular file")
    #expect(Date().timeIntervalSince(start) < 1)
    let data = try f.load()
    #expect(data.skipped.map(\.reason) == ["not a regular file"])
  }

  @Test func ctrlCIsNoticedBetweenFiles() throws {
    let f = try FolderBuilder()
    defer { f.remove() }
    for i in 0..<6 { try f.gray("a/\(i).png", UInt8(i)) }
    let paths = (0..<6).map { RawPath(f.root + "/a/\($0).png") }
    // Ctrl-C arrives after the first question: the rest of the files are not decoded.
    var asked = 0
    #expect(throws: LoadInterrupted.self) {
      _ = try ImageFolderLoader.decodeAll(paths, color: .auto, threads: 1) {
        asked += 1
        return asked > 1
      }
    }
    #expect(asked == 2)
  }

  @Test func workersStopTakingChunksOnceInterrupted() throws {
    final class Counter: Sendable { let value = Atomic<Int>(0) }
    let done = Counter()
    #expect(throws: LoadInterrupted.self) {
      try Parallel.forEachChunk(
        count: 400, chunk: 1, threads: 2, isInterrupted: { done.value.load(ordering: .relaxed) >= 4 }
      ) { _ in
        usleep(2_000)
        done.value.add(1, ordering: .relaxed)
      }
    }
    // Each worker finishes the file it is on; far fewer than 400 ran.
    #expect(done.value.load(ordering: .relaxed) < 100)
    // Without Ctrl-C every chunk runs once.
    let all = Counter()
    try Parallel.forEachChunk(count: 50, chunk: 3, threads: 3) { range in
      all.value.add(range.count, ordering: .relaxed)
    }
    #expect(all.value.load(ordering: .relaxed) == 50)
  }
}
