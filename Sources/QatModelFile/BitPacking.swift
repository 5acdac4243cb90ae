/// Dense packing of narrow integers: value i occupies bits i·b … i·b+b−1 of the data, where bit p is
/// bit (p mod 8) of byte ⌊p/8⌋ (least significant bit first, as in most ML runtimes' int4 layouts).
/// Unused high bits of the last byte are zero, so each set of values has exactly one encoding.
/// At 8 bits this is a plain byte array; at 4 bits value 2k is the low nibble of byte k.
enum BitPacking {
  /// Signed widths the format accepts (a 1-bit two's complement number would be only {−1, 0}).
  static let signedBits = 2...8
  static let unsignedBits = 1...8

  /// ⌈values · bits / 8⌉, or nil on overflow (a count read from a damaged file can be anything).
  static func byteCount(values: Int, bits: Int) -> Int? {
    guard values >= 0, bits > 0 else { return nil }
    let (total, overflow) = values.multipliedReportingOverflow(by: bits)
    guard !overflow else { return nil }
    return total / 8 + (total % 8 == 0 ? 0 : 1)
  }

  /// The low `bits` bits of each value, packed. The caller has checked the values fit.
  static func pack(_ values: [UInt8], bits: Int, into out: inout [UInt8]) {
    if bits == 8 {
      out.append(contentsOf: values)
      return
    }
    let mask = UInt32(1) << UInt32(bits) - 1
    var accumulator: UInt32 = 0, filled: UInt32 = 0
    out.reserveCapacity(out.count + (byteCount(values: values.count, bits: bits) ?? 0))
    for value in values {
      accumulator |= (UInt32(value) & mask) << filled
      filled += UInt32(bits)
      while filled >= 8 {
        out.append(UInt8(truncatingIfNeeded: accumulator))
        accumulator >>= 8
        filled -= 8
      }
    }
    if filled > 0 { out.append(UInt8(truncatingIfNeeded: accumulator)) }
  }

  /// Two's complement values in their low `bits` bits.
  static func pack(signed values: [Int8], bits: Int, into out: inout [UInt8]) {
    pack(values.map { UInt8(bitPattern: $0) }, bits: bits, into: &out)
  }

  /// `count` values of `bits` bits from `data`, which holds exactly ⌈count·bits/8⌉ bytes; nil when a
  /// padding bit of the last byte is set (a structurally invalid file).
  static func unpack(_ data: ArraySlice<UInt8>, count: Int, bits: Int) -> [UInt8]? {
    if bits == 8 { return Array(data) }
    let mask = UInt32(1) << UInt32(bits) - 1
    var values: [UInt8] = []
    values.reserveCapacity(count)
    var accumulator: UInt32 = 0, available: UInt32 = 0
    var index = data.startIndex
    for _ in 0..<count {
      if available < UInt32(bits) {
        guard index < data.endIndex else { return nil }
        accumulator |= UInt32(data[index]) << available
        index += 1
        available += 8
      }
      values.append(UInt8(truncatingIfNeeded: accumulator & mask))
      accumulator >>= UInt32(bits)
      available -= UInt32(bits)
    }
    // Whatever is left in the accumulator is the padding of the last byte.
    guard index == data.endIndex, accumulator == 0 else { return nil }
    return values
  }

  /// As `unpack`, sign-extending each value from `bits` bits.
  static func unpack(signed data: ArraySlice<UInt8>, count: Int, bits: Int) -> [Int8]? {
    guard let raw = unpack(data, count: count, bits: bits) else { return nil }
    let shift = UInt8(8 - bits)
    // Move the sign bit to bit 7, then an arithmetic shift brings it back, copying it down.
    return raw.map { Int8(bitPattern: $0 << shift) >> shift }
  }
}
