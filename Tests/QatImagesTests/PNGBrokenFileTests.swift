import Foundation
@testable import QatImages
import QatSupport
import QatsLanguage
import Testing

/// Broken files of our own: each is refused with a reason, and nothing crashes.
@Suite struct PNGBrokenFileTests {
  /// A valid 8×6 gray image with varied pixels, as bytes.
  static let valid: [UInt8] = PNGBytes.file(
    width: 8, height: 6, bitDepth: 8, colorType: 0,
    rows: (0..<6).map { y in (0..<8).map { x in UInt8((x * 31 + y * 17) % 256) } })

  func refusal(_ bytes: [UInt8]) -> PNGError? {
    do { _ = try PNGCodec.decode(data: bytes); return nil } catch { return error }
  }

  @Test func validBaselineDecodes() throws {
    #expect(try PNGCodec.decode(data: Self.valid).pixels.count == 48)
  }

  @Test func emptyFile() {
    #expect(refusal([])?.kind == .notPNG)
    #expect(refusal([])?.reason == "the file is empty")
  }

  @Test func notAPNGAtAll() {
    let gif = Array("GIF89a\u{1}\u{0}\u{1}\u{0}".utf8)
    #expect(refusal(gif)?.kind == .notPNG)
    #expect(refusal(Array("hello, world".utf8))?.reason.contains("not a PNG") == true)
  }

  @Test func textModeDamagedSignatureIsNamed() {
    var damaged = Self.valid
    damaged.insert(0x0D, at: 5)  // \n became \r\n
    #expect(refusal(damaged)?.reason.contains("text mode") == true)
  }

  @Test func truncatedAtEveryInterestingOffset() throws {
    let idat = try #require(PNGBytes.offset(of: "IDAT", in: Self.valid))
    let iend = try #require(PNGBytes.offset(of: "IEND", in: Self.valid))
    // Inside the signature, inside IHDR, between chunks, inside IDAT, and with only IEND missing.
    for cut in [1, 7, 8, 12, 20, 33, idat + 4, idat + 20, iend - 2, iend, iend + 6] {
      let error = refusal(Array(Self.valid.prefix(cut)))
      #expect(error != nil, "cut at \(cut)")
      #expect(error?.reason.isEmpty == false, "cut at \(cut)")
    }
    // Pixels complete but IEND missing: only png_read_end notices.
    #expect(refusal(Array(Self.valid.prefix(iend)))?.reason.contains("truncated") == true)
  }

  @Test func badCRCInTheImageData() throws {
    var bytes = Self.valid
    let idat = try #require(PNGBytes.offset(of: "IDAT", in: bytes))
    let iend = try #require(PNGBytes.offset(of: "IEND", in: bytes))
    bytes[iend - 1] ^= 0x40  // the IDAT's stored CRC
    #expect(refusal(bytes)?.reason == "IDAT: CRC error")
    // Damage inside the data is caught too (by zlib's own checksum, which is checked first).
    var inside = Self.valid
    inside[idat + 8 + 10] ^= 0x40
    #expect(refusal(inside)?.reason == "IDAT: incorrect data check")
  }

  @Test func badZlibStreamWithAValidCRC() {
    // The IDAT's CRC is right but its contents are not a zlib stream.
    var bytes = PNGBytes.signature
    bytes += PNGBytes.chunk("IHDR", PNGBytes.be32(8) + PNGBytes.be32(6) + [8, 0, 0, 0, 0])
    bytes += PNGBytes.chunk("IDAT", [0x78, 0x9C, 0xFF, 0xFF, 0xFF, 0x00, 0x12, 0x34])
    bytes += PNGBytes.chunk("IEND", [])
    let error = refusal(bytes)
    #expect(error?.kind == .corrupt)
    #expect(error?.reason.isEmpty == false)
  }

  @Test func absurdDimensionsAreRefusedBeforeAllocating() {
    let huge =
      PNGBytes.signature + PNGBytes.chunk("IHDR", PNGBytes.be32(100_000) + PNGBytes.be32(100_000) + [8, 0, 0, 0, 0])
      + PNGBytes.chunk("IEND", [])
    let error = refusal(huge)
    #expect(error?.kind == .tooLarge)
    #expect(error?.reason.contains("100000 x 100000") == true)
    let zeroWidth =
      PNGBytes.signature + PNGBytes.chunk("IHDR", PNGBytes.be32(0) + PNGBytes.be32(5) + [8, 0, 0, 0, 0])
      + PNGBytes.chunk("IEND", [])
    #expect(refusal(zeroWidth)?.kind == .corrupt)
  }

  @Test func missingFilesAndFoldersAreIOErrors() throws {
    #expect(throws: PNGError.self) { try PNGCodec.decode(path: "/nonexistent/qat/file.png") }
    do {
      _ = try PNGCodec.decode(path: NSTemporaryDirectory())
      Issue.record("a folder decoded")
    } catch {
      #expect(error.kind == .io)
    }
  }

  /// Seeded random damage to real files: the decoder must never crash, and every refusal has a reason.
  @Test func randomDamageNeverCrashes() throws {
    var generator = SeededRandom(seed: 12_345)
    let sources = ["basn0g08.png", "basi3p04.png", "basn6a16.png", "basi2c16.png", "s09n3p02.png"]
    var refused = 0, accepted = 0
    for name in sources {
      let original = try [UInt8](Data(contentsOf: URL(fileURLWithPath: fixturesDirectory + "/pngsuite/" + name)))
      for _ in 0..<400 {
        var bytes = original
        switch generator.next() % 3 {
        case 0: bytes = Array(bytes.prefix(Int(generator.next() % UInt64(bytes.count))))
        case 1:
          for _ in 0...(generator.next() % 4) {
            bytes[Int(generator.next() % UInt64(bytes.count))] ^= UInt8(1 << (generator.next() % 8))
          }
        default:
          let at = 8 + Int(generator.next() % UInt64(bytes.count - 8))
          bytes[at] = UInt8(truncatingIfNeeded: generator.next())
        }
        do {
          let image = try PNGCodec.decode(data: bytes)
          #expect(image.pixels.count == image.width * image.height * image.channels)
          accepted += 1
        } catch {
          #expect(!error.reason.isEmpty)
          refused += 1
        }
      }
    }
    #expect(refused > 1_000)  // nearly all damage is caught by CRCs and the zlib checksum
    #expect(accepted + refused == 2_000)
  }

  /// An 8×6 image whose one zlib stream goes on for `extra` bytes after the rows (stored blocks, so
  /// no compressor is needed), split into IDAT chunks of 64 KiB, with the last chunk's CRC damaged
  /// when `damagedEnd`: a reader that goes through the whole tail refuses it.
  static func imageWithLongTail(extra: Int, damagedEnd: Bool) -> [UInt8] {
    var raw: [UInt8] = []
    for y in 0..<6 {
      raw.append(0)
      for x in 0..<8 { raw.append(UInt8((x * 31 + y * 17) % 256)) }
    }
    let stream = PNGBytes.zlibStored(raw + [UInt8](repeating: 0, count: extra))
    var bytes = PNGBytes.signature
    bytes += PNGBytes.chunk("IHDR", PNGBytes.be32(8) + PNGBytes.be32(6) + [8, 0, 0, 0, 0])
    var offset = 0
    while offset < stream.count {
      var chunk = PNGBytes.chunk("IDAT", Array(stream[offset..<min(stream.count, offset + 65_536)]))
      offset += 65_536
      if offset >= stream.count && damagedEnd { chunk[chunk.count - 1] ^= 0x40 }
      bytes += chunk
    }
    return bytes + PNGBytes.chunk("IEND", [])
  }

  @Test func decodingStopsOnceTheRowsAreRead() throws {
    // The tail (an IDAT stream that goes on, here 1 MB with a bad CRC at its far end) is not read:
    // the image is complete after its rows, so it decodes.
    let image = try PNGCodec.decode(data: Self.imageWithLongTail(extra: 1 << 20, damagedEnd: true))
    #expect(image.pixels == (try PNGCodec.decode(data: Self.valid)).pixels)
    // A short tail is still checked to its end: the same damage a few bytes after the rows is found.
    #expect(refusal(Self.imageWithLongTail(extra: 100, damagedEnd: true))?.reason.hasPrefix("IDAT: CRC error") == true)
    #expect(try PNGCodec.decode(data: Self.imageWithLongTail(extra: 100, damagedEnd: false)).pixels.count == 48)
  }

  @Test func aFileIsNotReadPastTheImage() throws {
    // 300 MiB of nothing after IEND (a sparse file: no disk is used), more than the 256 MiB that may
    // be read for one image: only the image's own bytes are read, so it decodes.
    let dir = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = dir + "/tail.png"
    try Data(Self.valid).write(to: URL(fileURLWithPath: path))
    #expect(truncate(path, 300 << 20) == 0)
    #expect(try PNGCodec.decode(path: path).pixels == (try PNGCodec.decode(data: Self.valid)).pixels)
  }

  @Test func aNamedPipeIsRefusedWithoutWaiting() throws {
    let dir = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let fifo = dir + "/pipe.png"
    #expect(mkfifo(fifo, 0o600) == 0)
    let start = Date()
    let error = withPipeReleased(fifo) { () -> PNGError? in
      do throws(PNGError) {
        _ = try PNGCodec.decode(path: fifo)
        return nil
      } catch {
        return error
      }
    }
    #expect(error?.kind == .io)
    #expect(error?.reason == "not a regular file")
    #expect(Date().timeIntervalSince(start) < 1)
  }
}

/// Runs `body`, which may open the named pipe `fifo`; should it block there (the bug being tested),
/// a writer opens the pipe after two seconds, so the test fails instead of hanging.
func withPipeReleased<R>(_ fifo: String, _ body: () -> R) -> R {
  let done = DispatchSemaphore(value: 0)
  let path = fifo
  DispatchQueue.global().async {
    if done.wait(timeout: .now() + 2) == .timedOut {
      let fd = open(path, O_RDWR | O_NONBLOCK)
      if fd >= 0 { close(fd) }
    }
  }
  let result = body()
  done.signal()
  return result
}
