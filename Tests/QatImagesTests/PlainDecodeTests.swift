import CPNG
import Foundation
import QatSupport
import Testing

@testable import QatImages

/// `qpng_decode_plain` (the loader's decoder for plain 8-bit gray and RGB files) against libpng:
/// whatever it takes, it decodes exactly as libpng does; whatever libpng refuses, it leaves to libpng.
@Suite struct PlainDecodeTests {
  /// libpng's result (through `qpng_decode_memory`), and the plain decoder's when it takes the file.
  func decode(_ bytes: [UInt8], _ want: Int32) -> (libpng: PixelImage?, plain: PixelImage?, taken: Bool) {
    func image(_ result: qpng_image) -> PixelImage? {
      guard result.status == Int32(QPNG_OK), let pixels = result.pixels else { return nil }
      return PixelImage(
        width: Int(result.width), height: Int(result.height), channels: Int(result.channels),
        pixels: Array(
          UnsafeBufferPointer(start: pixels, count: Int(result.width * result.height) * Int(result.channels))))
    }
    var library = qpng_image(), plain = qpng_image()
    let taken = bytes.withUnsafeBufferPointer { buffer in
      _ = qpng_decode_memory(buffer.baseAddress, buffer.count, want, qpng_default_limits(), &library)
      return qpng_decode_plain(buffer.baseAddress, buffer.count, want, qpng_default_limits(), &plain) == 1
    }
    defer {
      qpng_free(library.pixels)
      if taken { qpng_free(plain.pixels) }
    }
    if taken {
      #expect(plain.bit_depth == library.bit_depth && plain.color_type == library.color_type)
      #expect(plain.interlaced == library.interlaced)
    }
    return (image(library), taken ? image(plain) : nil, taken)
  }

  static let wants = [Int32(QPNG_AUTO), Int32(QPNG_GRAY), Int32(QPNG_RGB)]

  @Test func encodedImagesOfManyShapesDecodeAsLibpngDoes() throws {
    var generator = SeededRandom(seed: 17)
    for trial in 0..<120 {
      let width = 1 + Int(generator.next() % 40), height = 1 + Int(generator.next() % 40)
      let channels = trial % 2 == 0 ? 1 : 3
      // Noise, gradients and flat areas, so libpng's adaptive filtering picks every filter type.
      let kind = trial % 3
      let pixels = (0..<(width * height * channels)).map { i -> UInt8 in
        let x = (i / channels) % width, y = (i / channels) / width
        switch kind {
        case 0: return UInt8(truncatingIfNeeded: generator.next())
        case 1: return UInt8(truncatingIfNeeded: x * 7 + y * 3 + (i % channels) * 50)
        default: return x > width / 2 ? 200 : UInt8(truncatingIfNeeded: y * 9)
        }
      }
      let png = try PNGCodec.encode(
        PixelImage(width: width, height: height, channels: channels, pixels: pixels),
        compressionLevel: trial % 10)
      for want in Self.wants {
        let result = decode(png, want)
        #expect(result.taken, "trial \(trial)")
        #expect(result.libpng != nil && result.plain == result.libpng, "trial \(trial) want \(want)")
      }
    }
  }

  @Test func imageDataSplitOverSeveralChunksIsJoined() throws {
    let rows = (0..<5).map { y in (0..<6).map { x in UInt8(x * 40 + y) } }
    var raw: [UInt8] = []
    for row in rows { raw.append(0); raw += row }
    let stream = PNGBytes.zlibStored(raw)
    var file = PNGBytes.signature
    file += PNGBytes.chunk("IHDR", PNGBytes.be32(6) + PNGBytes.be32(5) + [8, 0, 0, 0, 0])
    file += PNGBytes.chunk("IDAT", Array(stream.prefix(7)))
    file += PNGBytes.chunk("IDAT", [])
    file += PNGBytes.chunk("IDAT", Array(stream.dropFirst(7)))
    file += PNGBytes.chunk("IEND", [])
    let result = decode(file, Int32(QPNG_AUTO))
    #expect(result.taken && result.plain == result.libpng)
    #expect(result.plain?.pixels == rows.flatMap { $0 })
  }

  @Test func otherFilesAreLeftToLibpng() throws {
    let gray = PNGBytes.file(width: 3, height: 2, bitDepth: 8, colorType: 0, rows: [[1, 2, 3], [4, 5, 6]])
    #expect(decode(gray, Int32(QPNG_AUTO)).taken)
    // Low bit depth, palette, alpha, a chunk other than IHDR/IDAT/IEND, 16 bits, no IEND.
    let low = PNGBytes.file(width: 8, height: 1, bitDepth: 1, colorType: 0, rows: [[0b1010_1010]])
    let palette = PNGBytes.file(
      width: 2, height: 1, bitDepth: 8, colorType: 3, rows: [[0, 1]], palette: [0, 0, 0, 255, 255, 255])
    let alpha = PNGBytes.file(width: 1, height: 1, bitDepth: 8, colorType: 4, rows: [[9, 128]])
    let keyed = PNGBytes.file(width: 1, height: 1, bitDepth: 8, colorType: 0, rows: [[9]], transparency: [0, 9])
    let deep = PNGBytes.file(width: 1, height: 1, bitDepth: 16, colorType: 0, rows: [[1, 2]])
    let gamma = Array(gray.prefix(33)) + PNGBytes.chunk("gAMA", PNGBytes.be32(45_455)) + Array(gray.dropFirst(33))
    let noEnd = Array(gray.prefix(gray.count - 12))
    // Image data that goes on past the zlib stream's end, and a stream one row short (CRCs right).
    func withData(_ raw: [UInt8], extra: [UInt8] = []) -> [UInt8] {
      PNGBytes.signature + PNGBytes.chunk("IHDR", PNGBytes.be32(3) + PNGBytes.be32(2) + [8, 0, 0, 0, 0])
        + PNGBytes.chunk("IDAT", PNGBytes.zlibStored(raw) + extra) + PNGBytes.chunk("IEND", [])
    }
    #expect(decode(withData([0, 1, 2, 3, 0, 4, 5, 6]), Int32(QPNG_AUTO)).taken)
    let overlong = withData([0, 1, 2, 3, 0, 4, 5, 6], extra: [0, 0])
    let short = withData([0, 1, 2, 3])
    for file in [low, palette, alpha, keyed, deep, gamma, noEnd, overlong, short] {
      for want in Self.wants { #expect(!decode(file, want).taken) }
    }
  }

  @Test func damagedFilesAreNeverTakenWhereLibpngRefuses() throws {
    var generator = SeededRandom(seed: 5)
    let pixels = (0..<(12 * 9 * 3)).map { _ in UInt8(truncatingIfNeeded: generator.next() % 7) }
    let valid = try PNGCodec.encode(PixelImage(width: 12, height: 9, channels: 3, pixels: pixels))
    var taken = 0
    for _ in 0..<3_000 {
      var bytes = valid
      for _ in 0..<(1 + Int(generator.next() % 3)) {
        let at = Int(generator.next() % UInt64(bytes.count))
        switch generator.next() % 3 {
        case 0: bytes[at] ^= UInt8(1 << (generator.next() % 8))
        case 1: bytes = Array(bytes.prefix(at))
        default: bytes[at] = UInt8(truncatingIfNeeded: generator.next())
        }
        if bytes.isEmpty { break }
      }
      let result = decode(bytes, Int32(QPNG_AUTO))
      if result.taken {
        taken += 1
        #expect(result.libpng != nil && result.plain == result.libpng)
      }
    }
    // Damage after IEND, or in a CRC-free spot, leaves some files valid; most are refused.
    #expect(taken < 3_000)
  }
}
