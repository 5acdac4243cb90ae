import Foundation

/// Builds PNG files byte by byte, independently of libpng, so tests can make every colour type
/// and bit depth with known samples, and break files in precise ways (bad CRC, bad zlib stream,
/// absurd dimensions, missing IEND).
enum PNGBytes {
  static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

  /// A whole PNG: IHDR, optional PLTE and tRNS, one IDAT of `rows` (unfiltered sample bytes,
  /// each row prefixed here with filter type 0), IEND.
  static func file(
    width: Int, height: Int, bitDepth: Int, colorType: Int, rows: [[UInt8]],
    palette: [UInt8]? = nil, transparency: [UInt8]? = nil
  ) -> [UInt8] {
    var out = signature
    out += chunk("IHDR", be32(width) + be32(height) + [UInt8(bitDepth), UInt8(colorType), 0, 0, 0])
    if let palette { out += chunk("PLTE", palette) }
    if let transparency { out += chunk("tRNS", transparency) }
    var raw: [UInt8] = []
    for row in rows { raw.append(0); raw += row }
    out += chunk("IDAT", zlibStored(raw))
    out += chunk("IEND", [])
    return out
  }

  /// A chunk: length, type, data, CRC over type and data.
  static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
    let typeBytes = Array(type.utf8)
    return be32(data.count) + typeBytes + data + be32(Int(crc32(typeBytes + data)))
  }

  static func be32(_ v: Int) -> [UInt8] {
    [UInt8((v >> 24) & 0xFF), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)]
  }

  static func be16(_ v: Int) -> [UInt8] { [UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }

  /// A zlib stream of stored (uncompressed) blocks: no compressor needed.
  static func zlibStored(_ data: [UInt8]) -> [UInt8] {
    var out: [UInt8] = [0x78, 0x01]
    var offset = 0
    repeat {
      let n = min(65_535, data.count - offset)
      let final: UInt8 = offset + n == data.count ? 1 : 0
      out += [final, UInt8(n & 0xFF), UInt8(n >> 8), UInt8(~n & 0xFF), UInt8((~n >> 8) & 0xFF)]
      out += data[offset..<(offset + n)]
      offset += n
    } while offset < data.count
    var a: UInt32 = 1, b: UInt32 = 0
    for byte in data { a = (a + UInt32(byte)) % 65_521; b = (b + a) % 65_521 }
    return out + be32(Int((b << 16) | a))
  }

  static func crc32(_ bytes: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
      crc ^= UInt32(byte)
      for _ in 0..<8 { crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
    }
    return ~crc
  }

  /// Packs samples of `bitDepth` < 8 into bytes, most significant first, as PNG does.
  static func pack(_ samples: [Int], bitDepth: Int) -> [UInt8] {
    var out: [UInt8] = []
    var current = 0, used = 0
    for s in samples {
      current = (current << bitDepth) | s
      used += bitDepth
      if used == 8 { out.append(UInt8(current)); current = 0; used = 0 }
    }
    if used > 0 { out.append(UInt8(current << (8 - used))) }
    return out
  }

  /// Byte offset of the first chunk of `type`, or nil.
  static func offset(of type: String, in file: [UInt8]) -> Int? {
    var at = 8
    let wanted = Array(type.utf8)
    while at + 8 <= file.count {
      let length = Int(file[at]) << 24 | Int(file[at + 1]) << 16 | Int(file[at + 2]) << 8 | Int(file[at + 3])
      if Array(file[(at + 4)..<(at + 8)]) == wanted { return at }
      at += 12 + length
    }
    return nil
  }

  /// Width and height from the IHDR bytes, read without libpng.
  static func headerSize(_ file: [UInt8]) -> (width: Int, height: Int)? {
    guard file.count >= 24, Array(file[12..<16]) == Array("IHDR".utf8) else { return nil }
    let w = Int(file[16]) << 24 | Int(file[17]) << 16 | Int(file[18]) << 8 | Int(file[19])
    let h = Int(file[20]) << 24 | Int(file[21]) << 16 | Int(file[22]) << 8 | Int(file[23])
    return (w, h)
  }
}

/// Where the test fixtures live.
let fixturesDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
  .appendingPathComponent("Fixtures").path

/// A fresh temporary directory (the caller removes it).
func makeTemporaryDirectory() throws -> String {
  let dir = FileManager.default.temporaryDirectory
    .appendingPathComponent("qat-images-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
  try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
  return dir
}
