import Foundation
import Testing
@testable import QatImages

/// The committed sample data is what the reference figures were measured on.
@Suite struct SampleDataTests {
  static let samples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("samples").path

  /// `find test -name '*.png' | LC_ALL=C sort | sha256sum` from samples/digits (NOTES.md).
  @Test func digitsTestSplitIsTheReferenceSplit() throws {
    let root = Self.samples + "/digits"
    var names: [String] = []
    for digit in 0..<10 {
      for file in try FileManager.default.contentsOfDirectory(atPath: "\(root)/test/\(digit)")
      where file.hasSuffix(".png") {
        names.append("test/\(digit)/\(file)")
      }
    }
    names.sort { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    let listing = names.map { $0 + "\n" }.joined()
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
    let input = Pipe(), output = Pipe()
    process.standardInput = input
    process.standardOutput = output
    try process.run()
    input.fileHandleForWriting.write(Data(listing.utf8))
    try input.fileHandleForWriting.close()
    let digest = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    #expect(names.count == 360)
    #expect(digest.hasPrefix("61e234231a3c8448a0679162ee687a2f1ee8528438367a075d0415a452765c7d"))
  }

  @Test func digitsAndShapesLoadAsDescribed() throws {
    let digits = try ImageFolderLoader.load(Self.samples + "/digits", options: ImageFolderOptions())
    #expect(digits.train.count == 1437 && digits.test.count == 360 && digits.skipped.isEmpty)
    #expect(digits.train.countsPerClass == [142, 146, 142, 146, 145, 145, 145, 143, 139, 144])
    #expect(digits.train.channels == 1 && digits.train.width == 8)
    // 0..16 scaled by rint(v·255/16): every sample is one of those 17 levels.
    let levels = Set((0...16).map { UInt8((Double($0) * 255 / 16).rounded(.toNearestOrEven)) })
    #expect(Set(digits.test.displayImage(0).pixels).isSubset(of: levels))
    let shapes = try ImageFolderLoader.load(Self.samples + "/shapes", options: ImageFolderOptions())
    #expect(shapes.classes == ["circle", "cross", "square", "triangle"])
    #expect(shapes.count == 1200 && shapes.train.channels == 3 && shapes.train.width == 16)
    #expect(shapes.test.countsPerClass == [60, 60, 60, 60])
  }
}
