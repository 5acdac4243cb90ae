import Foundation
import Testing
@testable import QatImages

/// PngSuite: every regular file decodes at the size its IHDR gives; every x*.png is refused.
@Suite struct PNGConformanceTests {
  static let suiteDirectory = fixturesDirectory + "/pngsuite"
  static var files: [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: suiteDirectory)) ?? []).filter { $0.hasSuffix(".png") }
      .sorted()
  }

  @Test func suiteIsComplete() {
    #expect(Self.files.count == 175)
    #expect(Self.files.filter { $0.hasPrefix("x") }.count == 14)
  }

  @Test func everyRegularFileDecodesToItsHeaderSize() throws {
    let regular = Self.files.filter { !$0.hasPrefix("x") }
    #expect(regular.count == 161)
    for name in regular {
      let path = Self.suiteDirectory + "/" + name
      let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
      let header = try #require(PNGBytes.headerSize(bytes), "\(name)")
      for color in [ColorRequest.auto, .gray, .rgb] {
        do {
          let image = try PNGCodec.decode(path: path, color: color)
          #expect(image.width == header.width && image.height == header.height, "\(name)")
          #expect(image.pixels.count == header.width * header.height * image.channels, "\(name)")
          if color == .gray { #expect(image.channels == 1) }
          if color == .rgb { #expect(image.channels == 3) }
        } catch {
          Issue.record("\(name) (\(color)) was refused: \(error.reason)")
        }
      }
    }
  }

  @Test func sizeTestFilesHaveTheSizeInTheirName() throws {
    // s01… to s40…: the number is the width and height.
    for name in Self.files where name.hasPrefix("s") && name.count >= 3 {
      guard let side = Int(name.dropFirst().prefix(2)) else { continue }
      let image = try PNGCodec.decode(path: Self.suiteDirectory + "/" + name)
      #expect(image.width == side && image.height == side, "\(name)")
    }
  }

  @Test func interlacedFilesDecodeToTheSamePixelsAsTheirPlainTwins() throws {
    // basiXXXX and basnXXXX hold the same picture, Adam7-interlaced and not.
    let interlaced = Self.files.filter { $0.hasPrefix("basi") }
    #expect(interlaced.count == 15)
    for name in interlaced {
      let twin = "basn" + name.dropFirst(4)
      for color in [ColorRequest.auto, .rgb] {
        let (a, info) = try PNGCodec.decodeWithInfo(path: Self.suiteDirectory + "/" + name, color: color)
        let b = try PNGCodec.decode(path: Self.suiteDirectory + "/" + twin, color: color)
        #expect(info.interlaced)
        #expect(a == b, "\(name) vs \(twin)")
      }
    }
  }

  @Test func everyCorruptFileIsRefusedWithAReason() {
    let corrupt = Self.files.filter { $0.hasPrefix("x") }
    for name in corrupt {
      do {
        _ = try PNGCodec.decode(path: Self.suiteDirectory + "/" + name)
        Issue.record("\(name) was accepted")
      } catch {
        #expect(!error.reason.isEmpty, "\(name)")
        #expect(error.kind != .io, "\(name): \(error.reason)")
      }
    }
  }

  @Test func lowBitGrayIsScaledToTheFullRange() throws {
    let oneBit = try PNGCodec.decode(path: Self.suiteDirectory + "/basn0g01.png")
    #expect(Set(oneBit.pixels) == [0, 255])
    let twoBit = try PNGCodec.decode(path: Self.suiteDirectory + "/basn0g02.png")
    #expect(Set(twoBit.pixels) == [0, 85, 170, 255])
    let fourBit = try PNGCodec.decode(path: Self.suiteDirectory + "/basn0g04.png")
    #expect(Set(fourBit.pixels).allSatisfy { $0 % 17 == 0 })
  }
}
