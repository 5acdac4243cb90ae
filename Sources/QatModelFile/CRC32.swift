/// CRC-32 as in zlib, PNG and Ethernet (IEEE 802.3: reflected polynomial 0xEDB88320, initial value and
/// final XOR 0xFFFFFFFF), table-driven. It detects every error burst of up to 32 bits, so any single
/// damaged byte anywhere in a model file is caught, and other damage with probability 1 − 2⁻³².
struct CRC32 {
  /// One entry per byte value: the remainder of that byte shifted through eight polynomial steps.
  static let table: [UInt32] = (0..<256).map { n in
    var c = UInt32(n)
    for _ in 0..<8 { c = (c & 1) != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
    return c
  }

  private var state: UInt32 = 0xFFFF_FFFF

  init() {}

  mutating func update(_ bytes: UnsafeRawBufferPointer) {
    // One table lookup per byte; the table is read through a buffer so debug builds stay quick.
    Self.table.withUnsafeBufferPointer { table in
      var c = state
      for byte in bytes { c = table[Int((c ^ UInt32(byte)) & 0xFF)] ^ (c >> 8) }
      state = c
    }
  }

  var value: UInt32 { state ^ 0xFFFF_FFFF }

  /// The checksum of `bytes[range]`.
  static func checksum(_ bytes: [UInt8], _ range: Range<Int>) -> UInt32 {
    var crc = CRC32()
    bytes.withUnsafeBytes { raw in crc.update(UnsafeRawBufferPointer(rebasing: raw[range])) }
    return crc.value
  }

  static func checksum(_ bytes: [UInt8]) -> UInt32 { checksum(bytes, 0..<bytes.count) }
}
