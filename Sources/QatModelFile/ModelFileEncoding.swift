/// The writer. Layout (docs/model-format.md has the full table). Fixed-width fields are
/// little-endian; counts, string lengths, dimensions and byte lengths are unsigned LEB128 varints
/// (`var`), layer integers zigzag varints (`zvar`):
///
///     header   magic[8] · u16 version · u8 kind · u8 flags=0 · u64 file length · u32 CRC-32 of the 20 bytes before
///     META     tag · u64 length · input shape, colour mode, mean, std, class names, properties
///     LAYR     tag · u64 length · var layer count · layers
///     layer    string type · string name · var n · zvar integers · var n · f64 floats · var n · tensors
///     tensor   string name · u8 dtype · u8 bits · var rank · var dims · var byte length · data
///     string   var byte length · UTF-8
///     trailer  u32 CRC-32 of every byte before it
extension ModelFile {
  /// "\x89QNT\r\n\x1A\n", built like PNG's signature: the high first byte catches 7-bit transfers,
  /// CR LF and the final LF catch line-ending conversion in either direction, and 0x1A stops `type`
  /// on DOS/Windows from printing the rest.
  static let magic: [UInt8] = [0x89, 0x51, 0x4E, 0x54, 0x0D, 0x0A, 0x1A, 0x0A]
  /// Bytes before the first section. Every format version keeps these 24 bytes and the trailing
  /// CRC-32 as they are, so an old reader can tell a newer file from a damaged one.
  static let headerSize = 24
  static let trailerSize = 4
  static let metadataTag: [UInt8] = Array("META".utf8)
  static let layersTag: [UInt8] = Array("LAYR".utf8)

  /// The file's bytes; their count is the model's size on disk. Throws `.invalidModel` when a value
  /// cannot be stored as described (a packed value outside its bits, a shape that does not match the
  /// number of values, a negative dimension, a bit width outside its range).
  public func encoded() throws(ModelFileError) -> [UInt8] {
    try validate()
    var w = ByteWriter()
    w.bytes.append(contentsOf: Self.magic)
    w.u16(Self.formatVersion)
    w.u8(kind.rawValue)
    w.u8(0)  // flags: none defined in version 1
    let lengthAt = w.bytes.count
    w.u64(0)  // file length, patched below
    w.u32(0)  // header CRC, patched below

    w.section(Self.metadataTag) { w in
      w.dimensions(inputShape)
      w.string(colorMode)
      w.doubles(mean)
      w.doubles(std)
      w.count(classNames.count)
      for name in classNames { w.string(name) }
      w.count(properties.count)
      for p in properties {
        w.string(p.key)
        w.string(p.value)
      }
    }
    w.section(Self.layersTag) { w in
      w.count(layers.count)
      for layer in layers { w.layer(layer) }
    }

    w.patch(u64: UInt64(w.bytes.count + Self.trailerSize), at: lengthAt)
    w.patch(u32: CRC32.checksum(w.bytes, 0..<20), at: 20)
    w.u32(CRC32.checksum(w.bytes))
    return w.bytes
  }

  /// Everything `encoded()` cannot represent, found before a byte is written. The reader refuses the
  /// same things, so whatever it accepts is exactly what this writer can produce.
  func validate() throws(ModelFileError) {
    func invalid(_ reason: String, _ hint: String? = nil) -> ModelFileError {
      ModelFileError(.invalidModel, path: nil, reason: reason, hint: hint)
    }
    if let d = inputShape.first(where: { $0 < 0 }) {
      throw invalid("the input shape \(inputShape) has a negative dimension \(d)")
    }
    for (l, layer) in layers.enumerated() {
      for tensor in layer.tensors {
        let place = "layer \(l + 1) (\(layer.type) '\(layer.name)'), tensor '\(tensor.name)'"
        if let d = tensor.shape.first(where: { $0 < 0 }) {
          throw invalid("\(place): negative dimension \(d) in shape \(tensor.shape)")
        }
        guard let count = ModelFile.elementCount(tensor.shape), count == tensor.data.count else {
          throw invalid("\(place): shape \(tensor.shape) does not match its \(tensor.data.count) values")
        }
        switch tensor.data {
        case .float32, .int32, .int64:
          break
        case .signedPacked(let bits, let values):
          guard BitPacking.signedBits.contains(bits) else {
            throw invalid("\(place): signed values take 2 to 8 bits, not \(bits)")
          }
          let low = Int8(truncatingIfNeeded: -(1 << (bits - 1))), high = Int8(truncatingIfNeeded: (1 << (bits - 1)) - 1)
          if let bad = values.firstIndex(where: { $0 < low || $0 > high }) {
            throw invalid(
              "\(place): value \(values[bad]) at index \(bad) does not fit in \(bits) signed bits (\(low)…\(high))")
          }
        case .unsignedPacked(let bits, let values):
          guard BitPacking.unsignedBits.contains(bits) else {
            throw invalid("\(place): unsigned values take 1 to 8 bits, not \(bits)")
          }
          let high = UInt8(truncatingIfNeeded: (1 << bits) - 1)
          if let bad = values.firstIndex(where: { $0 > high }) {
            throw invalid(
              "\(place): value \(values[bad]) at index \(bad) does not fit in \(bits) unsigned bits (0…\(high))")
          }
        }
      }
    }
  }

  /// The product of a shape's dimensions (1 for a scalar), or nil if a dimension is negative or the
  /// product overflows.
  static func elementCount(_ shape: [Int]) -> Int? {
    var product = 1
    for d in shape {
      guard d >= 0 else { return nil }
      let (p, overflow) = product.multipliedReportingOverflow(by: d)
      guard !overflow else { return nil }
      product = p
    }
    return product
  }
}

extension ModelFile {
  /// Tensor dtype codes in the file.
  enum TensorCode: UInt8 {
    case float32 = 0, int32 = 1, int64 = 2, signedPacked = 3, unsignedPacked = 4
  }
}

/// Appends little-endian values and varints to a byte array.
struct ByteWriter {
  var bytes: [UInt8] = []

  mutating func u8(_ v: UInt8) { bytes.append(v) }
  mutating func u16(_ v: UInt16) { little(v) }
  mutating func u32(_ v: UInt32) { little(v) }
  mutating func u64(_ v: UInt64) { little(v) }

  mutating func little<T: FixedWidthInteger>(_ v: T) {
    var x = v.littleEndian
    withUnsafeBytes(of: &x) { bytes.append(contentsOf: $0) }
  }

  /// An unsigned LEB128 varint: 7 bits per byte, least significant group first, the high bit set
  /// on every byte but the last; the shortest encoding (1 byte below 128, at most 10).
  mutating func varint(_ v: UInt64) {
    var v = v
    while v >= 0x80 {
      bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
      v >>= 7
    }
    bytes.append(UInt8(v))
  }

  /// A signed value as a zigzag varint: 0, −1, 1, −2, … become 0, 1, 2, 3, …
  mutating func zigzag(_ v: Int64) { varint(Self.zigzag(v)) }

  static func zigzag(_ v: Int64) -> UInt64 { UInt64(bitPattern: (v << 1) ^ (v >> 63)) }

  /// Counts, lengths and dimensions are varints; validation has checked they are not negative.
  mutating func count(_ n: Int) { varint(UInt64(clamping: n)) }

  /// A rank and that many dimensions.
  mutating func dimensions(_ shape: [Int]) {
    count(shape.count)
    for d in shape { count(d) }
  }

  mutating func string(_ s: String) {
    let utf8 = Array(s.utf8)
    count(utf8.count)
    bytes.append(contentsOf: utf8)
  }

  mutating func doubles(_ values: [Double]) {
    count(values.count)
    for v in values { u64(v.bitPattern) }
  }

  /// A 4-byte tag, a u64 payload length, and the payload `body` writes.
  mutating func section(_ tag: [UInt8], _ body: (inout ByteWriter) -> Void) {
    bytes.append(contentsOf: tag)
    let lengthAt = bytes.count
    u64(0)
    body(&self)
    patch(u64: UInt64(bytes.count - lengthAt - 8), at: lengthAt)
  }

  mutating func layer(_ layer: ModelFile.Layer) {
    string(layer.type)
    string(layer.name)
    count(layer.integers.count)
    for v in layer.integers { zigzag(v) }
    doubles(layer.floats)
    count(layer.tensors.count)
    for t in layer.tensors { tensor(t) }
  }

  mutating func tensor(_ t: ModelFile.Tensor) {
    string(t.name)
    let code: ModelFile.TensorCode
    switch t.data {
    case .float32: code = .float32
    case .int32: code = .int32
    case .int64: code = .int64
    case .signedPacked: code = .signedPacked
    case .unsignedPacked: code = .unsignedPacked
    }
    u8(code.rawValue)
    u8(UInt8(clamping: t.data.bitsPerValue))
    dimensions(t.shape)
    count(t.data.storedByteCount)
    switch t.data {
    case .float32(let v): raw(v)
    case .int32(let v): raw(v)
    case .int64(let v): raw(v)
    case .signedPacked(let bits, let v): BitPacking.pack(signed: v, bits: bits, into: &bytes)
    case .unsignedPacked(let bits, let v): BitPacking.pack(v, bits: bits, into: &bytes)
    }
  }

  /// Fixed-width values, little-endian: one copy on little-endian hosts, value by value otherwise.
  mutating func raw<T: StoredWord>(_ values: [T]) {
    #if _endian(little)
      values.withUnsafeBytes { bytes.append(contentsOf: $0) }
    #else
      for v in values { little(v.storedWord) }
    #endif
  }

  mutating func patch<T: FixedWidthInteger>(_ v: T, at offset: Int) {
    var x = v.littleEndian
    withUnsafeBytes(of: &x) { raw in
      for (i, b) in raw.enumerated() { bytes[offset + i] = b }
    }
  }
  mutating func patch(u64 v: UInt64, at offset: Int) { patch(v, at: offset) }
  mutating func patch(u32 v: UInt32, at offset: Int) { patch(v, at: offset) }
}

/// The element types stored as raw little-endian words, with their bit patterns.
protocol StoredWord {
  associatedtype Word: FixedWidthInteger
  var storedWord: Word { get }
  init(storedWord: Word)
}
extension Float: StoredWord {
  var storedWord: UInt32 { bitPattern }
  init(storedWord: UInt32) { self.init(bitPattern: storedWord) }
}
extension Int32: StoredWord {
  var storedWord: Int32 { self }
  init(storedWord: Int32) { self = storedWord }
}
extension Int64: StoredWord {
  var storedWord: Int64 { self }
  init(storedWord: Int64) { self = storedWord }
}
