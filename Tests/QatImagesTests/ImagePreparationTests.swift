import Foundation
import Testing

@testable import QatImages

/// A single file prepared for a model says when its size or colour mode had to change.
@Suite struct ImagePreparationTests {
  @Test func aFileOfAnotherSizeOrColourModeIsNoted() throws {
    let folder = try FolderBuilder()
    defer { folder.remove() }
    let rgb = PixelImage(width: 32, height: 32, channels: 3, pixels: [UInt8](repeating: 90, count: 32 * 32 * 3))
    try folder.png("rgb.png", rgb)
    try folder.gray("gray8.png", 40, width: 8, height: 8)
    let grayAlpha = PixelImage(width: 8, height: 8, channels: 2, pixels: [UInt8](repeating: 200, count: 8 * 8 * 2))
    try folder.png("alpha.png", grayAlpha)
    func note(_ name: String, channels: Int) throws -> String? {
      try ImagePreparation.prepare(
        path: folder.root + "/" + name, channels: channels, height: 8, width: 8,
        mean: Array(repeating: 0, count: channels), std: Array(repeating: 1, count: channels)
      ).conversionNote
    }
    #expect(try note("rgb.png", channels: 1) == "note: 32×32 RGB image converted to 8×8 gray, as the model expects")
    #expect(try note("gray8.png", channels: 1) == nil)
    #expect(try note("gray8.png", channels: 3) == "note: 8×8 gray image converted to 8×8 RGB, as the model expects")
    #expect(
      try note("alpha.png", channels: 1) == "note: 8×8 gray+alpha image converted to 8×8 gray, as the model expects")
    // The pixels are those of the plain preparation: the note changes nothing else.
    let pixels = try ImagePreparation.prepare(
      path: folder.root + "/gray8.png", channels: 1, height: 8, width: 8, mean: [0], std: [1]
    ).pixels
    #expect(pixels.count == 64 && Set(pixels).count == 1)
  }
}
