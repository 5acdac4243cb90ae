import QatsLanguage

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
  mutating func u32(_ what: @autoclosure () -> String) throws(Malformed) -> UInt32 { try integer(UInt32.self, what()) }
  mutating func u64(_ what: @autoclosure () -> String) throws(Malformed) -> UInt64 { try integer(UInt64.self, what()) }
  mutating func i64(_ what: @autoclosure () -> String) throws(Malformed) -> Int64 { try integer(Int64.self, what()) }

  /// A u32 count of entries that each take at least `minimumSize` bytes, refused when the bytes
  /// left could not hold that many: this caps every allocation by the file's own size.
  mutating func count(_ what: @autoclosure () -> String, minimumSize: Int) throws(Malformed) -> Int {
    let n = Int(try u32("the count of \(what())"))
    guard n <= remaining / max(minimumSize, 1) else {
      throw Malformed("\(Units.grouped(n)) \(what()) cannot fit in the \(Units.grouped(remaining)) bytes left")
    }
    return n
  }

  /// A u32 byte length and that many bytes of valid UTF-8.
  mutating func string(_ what: @autoclosure () -> String) throws(Malformed) -> String {
    let n = Int(try u32("the length of \(what())"))
    let utf8 = try take(n, what())
    guard let s = String(validating: utf8, as: UTF8.self) else { throw Malformed("\(what()) is not valid UTF-8") }
    return s
  }

  /// A u32 count and that many u64 dimensions or integers.
  mutating func int64s(_ what: @autoclosure () -> String) throws(Malformed) -> [Int64] {
    let n = try count(what(), minimumSize: 8)
    var values: [Int64] = []
    values.reserveCapacity(n)
    for _ in 0..<n { values.append(try i64(what())) }
    return values
  }

  /// A u32 count and that many f64 bit patterns.
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
