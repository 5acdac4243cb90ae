import QatSupport

/// A structural problem found while parsing: what is wrong. `ModelFile.decode` adds the path and
/// says that the checksum matched.
struct Malformed: Error {
  var reason: String
  init(_ reason: String) { self.reason = reason }
}

/// A bounds-checked cursor over part of a byte array. Every read checks the bytes are there first,
/// and every count read from the file is checked against the bytes left before anything is
/// allocated for it, so a damaged or hostile file can neither crash the reader nor make it reserve
/// more memory than the file could describe.
struct ByteReader {
  let bytes: [UInt8]
  private(set) var offset: Int
  let end: Int

  /// Reads `bytes[range]`; the caller guarantees the range lies inside the array.
  init(_ bytes: [UInt8], _ range: Range<Int>) {
    self.bytes = bytes
    offset = range.lowerBound
    end = range.upperBound
  }

  var remaining: Int { end - offset }
  var isAtEnd: Bool { offset == end }

  /// The next `n` bytes, consumed.
  mutating func take(_ n: Int, _ what: @autoclosure () -> String) throws(Malformed) -> ArraySlice<UInt8> {
    guard n >= 0, n <= remaining else {
      throw Malformed("\(what()) needs \(Units.grouped(n)) bytes but only \(Units.grouped(remaining)) remain")
    }
    defer { offset += n }
    return bytes[offset..<offset + n]
  }

  mutating func integer<T: FixedWidthInteger>(_: T.Type, _ what: @autoclosure () -> String) throws(Malformed) -> T {
    let slice = try take(MemoryLayout<T>.size, what())
    return Self.littleEndian(T.self, bytes, at: slice.startIndex)
  }

  /// The little-endian integer at `offset`; the caller has checked that its bytes are there.
  static func littleEndian<T: FixedWidthInteger>(_: T.Type, _ bytes: [UInt8], at offset: Int) -> T {
    var value: T = 0
    // The first byte is the least significant.
    for i in 0..<MemoryLayout<T>.size { value |= T(truncatingIfNeeded: bytes[offset + i]) << (8 * i) }
    return value
  }

  mutating func u8(_ what: @autoclosure () -> String) throws(Malformed) -> UInt8 { try integer(UInt8.self, what()) }
  mutating func u64(_ what: @autoclosure () -> String) throws(Malformed) -> UInt64 { try integer(UInt64.self, what()) }

  /// The longest varint: ⌈64 / 7⌉ bytes.
  static let maximumVarintSize = 10

  /// An unsigned LEB128 varint: 7 bits per byte, least significant group first, the high bit set
  /// on every byte but the last. Only the canonical encoding is accepted — at most 10 bytes, a value
  /// that fits 64 bits, and no redundant trailing zero group (`80 00` for 0) — so that each value
  /// has exactly one encoding and an accepted file re-encodes to the same bytes.
  mutating func varint(_ what: @autoclosure () -> String) throws(Malformed) -> UInt64 {
    var value: UInt64 = 0
    for i in 0..<Self.maximumVarintSize {
      let byte = try u8(what())
      let group = UInt64(byte & 0x7F)
      if i == Self.maximumVarintSize - 1 {
        // Bits 63… : only the lowest may be set, and this must be the last byte.
        guard byte & 0x80 == 0 else {
          throw Malformed("\(what()) is a varint longer than \(Self.maximumVarintSize) bytes")
        }
        guard group <= 1 else { throw Malformed("\(what()) is a varint larger than 2⁶⁴ − 1") }
      }
      value |= group << UInt64(7 * i)
      if byte & 0x80 == 0 {
        guard byte != 0 || i == 0 else { throw Malformed("\(what()) is a varint with a non-minimal encoding") }
        return value
      }
    }
    // Unreachable: the tenth byte either ends the varint or is refused above.
    throw Malformed("\(what()) is a varint longer than \(Self.maximumVarintSize) bytes")
  }

  /// A zigzag-encoded signed varint: 0, −1, 1, −2, … are stored as 0, 1, 2, 3, … so that small
  /// negative numbers take one byte.
  mutating func zigzag(_ what: @autoclosure () -> String) throws(Malformed) -> Int64 {
    Self.unzigzag(try varint(what()))
  }

  static func unzigzag(_ u: UInt64) -> Int64 { Int64(bitPattern: (u >> 1) ^ (0 &- (u & 1))) }

  /// A varint that must fit an `Int` (a dimension or a length).
  mutating func size(_ what: @autoclosure () -> String) throws(Malformed) -> Int {
    let v = try varint(what())
    guard let n = Int(exactly: v) else { throw Malformed("\(what()) is impossibly large (\(v))") }
    return n
  }

  /// A varint count of entries that each take at least `minimumSize` bytes, refused when the bytes
  /// left could not hold that many: this caps every allocation by the file's own size.
  mutating func count(_ what: @autoclosure () -> String, minimumSize: Int) throws(Malformed) -> Int {
    let v = try varint("the count of \(what())")
    guard v <= UInt64(remaining / max(minimumSize, 1)) else {
      throw Malformed(
        "\(Units.grouped(Int(clamping: v))) \(what()) cannot fit in the \(Units.grouped(remaining)) bytes left")
    }
    return Int(v)
  }

  /// A varint byte length and that many bytes of valid UTF-8.
  mutating func string(_ what: @autoclosure () -> String) throws(Malformed) -> String {
    let v = try varint("the length of \(what())")
    let utf8 = try take(Int(clamping: v), what())
    guard let s = String(validating: utf8, as: UTF8.self) else { throw Malformed("\(what()) is not valid UTF-8") }
    return s
  }

  /// A varint count and that many zigzag varints (at least a byte each).
  mutating func zigzags(_ what: @autoclosure () -> String) throws(Malformed) -> [Int64] {
    let n = try count(what(), minimumSize: 1)
    var values: [Int64] = []
    values.reserveCapacity(n)
    for _ in 0..<n { values.append(try zigzag(what())) }
    return values
  }

  /// A varint count (the rank) and that many unsigned varint dimensions, each fitting an `Int`.
  mutating func dimensions(_ what: @autoclosure () -> String) throws(Malformed) -> [Int] {
    let n = try count(what(), minimumSize: 1)
    var values: [Int] = []
    values.reserveCapacity(n)
    for _ in 0..<n { values.append(try size(what())) }
    return values
  }

  /// A varint count and that many f64 bit patterns.
  mutating func doubles(_ what: @autoclosure () -> String) throws(Malformed) -> [Double] {
    let n = try count(what(), minimumSize: 8)
    var values: [Double] = []
    values.reserveCapacity(n)
    for _ in 0..<n { values.append(Double(bitPattern: try u64(what()))) }
    return values
  }

  /// `count` little-endian words from `slice`, which holds exactly `count` of them.
  static func words<T: StoredWord>(_ slice: ArraySlice<UInt8>, count: Int, as _: T.Type) -> [T] {
    #if _endian(little)
      return [T](unsafeUninitializedCapacity: count) { buffer, initialized in
        slice.withUnsafeBytes { source in UnsafeMutableRawBufferPointer(buffer).copyMemory(from: source) }
        initialized = count
      }
    #else
      let size = MemoryLayout<T.Word>.size
      return (0..<count).map { i in
        var word: T.Word = 0
        for b in 0..<size { word |= T.Word(truncatingIfNeeded: slice[slice.startIndex + i * size + b]) << (8 * b) }
        return T(storedWord: word)
      }
    #endif
  }
}
