import Foundation
import Testing

@testable import QatImages

/// A first load lists class folders without a stat per file and takes sizes and times from the
/// decoder's fstat; the cache must still serve repeats and notice edits exactly as before.
@Suite struct ScanStampTests {
  @Test func listingWithoutStatClassifiesAsWithStat() throws {
    let f = try FolderBuilder()
    defer { f.remove() }
    try f.gray("a/0.png", 1)
    try f.gray("a/1.png", 2)
    try f.folder("a/nested")
    try FileManager.default.createSymbolicLink(atPath: f.root + "/a/link.png", withDestinationPath: f.root + "/a/0.png")
    try FileManager.default.createSymbolicLink(atPath: f.root + "/a/linkdir", withDestinationPath: f.root + "/a/nested")
    try FileManager.default.createSymbolicLink(atPath: f.root + "/a/dangling", withDestinationPath: f.root + "/none")
    #expect(mkfifo(f.root + "/a/pipe", 0o600) == 0)
    let folder = RawPath(f.root + "/a")
    let full = try #require(DirectoryListing.entries(of: folder))
    let quick = try #require(DirectoryListing.entries(of: folder, stat: false))
    #expect(full.map(\.rawName) == quick.map(\.rawName))
    #expect(full.map(\.isRegularFile) == quick.map(\.isRegularFile))
    #expect(full.map(\.isDirectory) == quick.map(\.isDirectory))
    // Where a size is given it is the stat's; plain files and folders are left unknown.
    for (a, b) in zip(full, quick) where b.size >= 0 { #expect(a.size == b.size && a.modified == b.modified) }
    #expect(quick.first { $0.name == "0.png" }?.size == -1)
  }

  @Test func aFirstLoadsStampsMatchAScansSoTheCacheServesRepeats() throws {
    let f = try FolderBuilder()
    defer { f.remove() }
    for c in ["a", "b"] { for i in 0..<4 { try f.gray("\(c)/\(i).png", UInt8(10 * i), width: 3, height: 3) } }
    try f.bytes("b/bad.png", Array("not a png".utf8))
    let first = try f.load()
    let files = try FolderScan.scan(f.root).trainFiles
    #expect(FolderScan.stamped(try FolderScan.scan(f.root, statFiles: false).trainFiles) == files)
    let second = try f.load()
    #expect(!first.fromCache && second.fromCache)
    // An image rewritten in place (same name, other pixels and size): reloaded.
    try f.gray("a/2.png", 200, width: 3, height: 3)
    try f.png("a/1.png", PixelImage(width: 3, height: 3, channels: 1, pixels: (0..<9).map { UInt8($0 * 20) }))
    let third = try f.load()
    #expect(!third.fromCache && third.train.pixels != first.train.pixels)
    #expect(try f.load().fromCache)
  }

  @Test func theGeneralPathStoresFingerprintsTheCacheMatches() throws {
    let f = try FolderBuilder()
    defer { f.remove() }
    // Most images 2×2 but each class's first 4×4: the guess fails, the general path loads.
    for c in ["a", "b"] {
      try f.gray("\(c)/0.png", 9, width: 4, height: 4)
      for i in 1..<4 { try f.gray("\(c)/\(i).png", UInt8(i)) }
    }
    let first = try f.load()
    #expect(!first.fromCache && first.resizedCount == 2)
    #expect(try f.load().fromCache)
  }
}
