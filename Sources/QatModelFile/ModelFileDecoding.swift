import QatSupport

/// The reader: first the envelope (signature, header checksum, version, length, file checksum), so
/// that foreign, newer, truncated and damaged files each get their own message; then the sections,
/// parsed with a bounds-checked cursor and refused if anything is out of place even though the
/// checksum matched.
extension ModelFile {
  /// Decodes a model file's bytes. `path` only names the file in errors.
  public static func decode(_ bytes: some Collection<UInt8>, path: String? = nil) throws(ModelFileError) -> ModelFile {
    let bytes = Array(bytes)
    let (kind, body) = try envelope(bytes, path: path)
    var reader = ByteReader(bytes, body)
    do throws(Malformed) {
      var model = ModelFile(kind: kind)
      try section(metadataTag, "metadata", &reader) { r throws(Malformed) in try model.readMetadata(&r) }
      try section(layersTag, "layer table", &reader) { r throws(Malformed) in try model.readLayers(&r) }
      guard reader.isAtEnd else {
        throw Malformed("\(Units.grouped(reader.remaining)) unexpected bytes after the layer table")
      }
      return model
    } catch {
      throw ModelFileError(
        .corrupted, path: path,
        reason: "structurally invalid although its checksum matches: \(error.reason)",
        hint: "the file was not made by qat-repl's model writer (or by a faulty one); save the model again")
    }
  }

  /// The length a header gives, when the signature and the header checksum are right (nil otherwise:
  /// `envelope` names what is wrong from the header alone).
  static func headerLength(_ b: [UInt8]) -> UInt64? {
    guard b.count >= headerSize, b.starts(with: magic),
      ByteReader.littleEndian(UInt32.self, b, at: 20) == CRC32.checksum(b, 0..<20)
    else { return nil }
    return ByteReader.littleEndian(UInt64.self, b, at: 12)
  }

  /// Why a file of `size` bytes whose header gives `length` cannot be one model: truncated, or with
  /// bytes after its end.
  static func sizeMismatch(size: Int, length: UInt64, path: String?) -> ModelFileError? {
    if UInt64(size) < length {
      return ModelFileError(
        .truncated, path: path,
        reason: "truncated: \(Units.grouped(size)) bytes of \(Units.grouped(Int(clamping: length)))",
        hint: "the file is incomplete (an interrupted copy, download or save); copy or save it again")
    }
    if UInt64(size) > length {
      let total = Int(length)  // < size, so it fits
      return ModelFileError(
        .corrupted, path: path,
        reason: """
          \(Units.grouped(size - total)) extra bytes after the end of the model (which ends at byte \
          \(Units.grouped(total)))
          """,
        hint:
          "something was appended to the file; save the model again, or cut the file to \(Units.grouped(total)) bytes"
      )
    }
    return nil
  }

  /// Why a file of `size` bytes whose header gives `length` is not read whole: its size does not match
  /// (as `sizeMismatch`), or the model is larger than `budget` allows in memory.
  static func sizeRefusal(size: Int, length: UInt64, budget: Int, path: String) -> ModelFileError? {
    if let mismatch = sizeMismatch(size: size, length: length, path: path) { return mismatch }
    guard length > UInt64(budget) else { return nil }
    return ModelFileError(
      .unreadable, path: path,
      reason: "the model is \(Units.bytes(Int(clamping: length))), more than the \(Units.bytes(budget)) memory budget",
      hint: "it is too large to load here; load it on a machine with more memory (the budget is half of it)")
  }

  /// Checks everything outside the sections and returns the kind and the byte range of the sections.
  static func envelope(_ b: [UInt8], path: String?) throws(ModelFileError) -> (Kind, Range<Int>) {
    func refuse(_ kind: ModelFileError.Kind, _ reason: String, _ hint: String?) -> ModelFileError {
      ModelFileError(kind, path: path, reason: reason, hint: hint)
    }
    let resave = "the file was damaged after it was saved; save the model again or use a good copy"
    let incomplete = "the file is incomplete (an interrupted copy, download or save); copy or save it again"
    guard !b.isEmpty else { throw refuse(.empty, "the file is empty", "it holds no model; save the model again") }
    if !magic.starts(with: b.prefix(magic.count)) { throw ModelFileRecognition.refusal(b, path: path) }
    guard b.count >= headerSize else {
      throw refuse(.truncated, "truncated: \(b.count) bytes, shorter than the \(headerSize)-byte header", incomplete)
    }
    // The 24 header bytes are there (checked just above).
    let version = ByteReader.littleEndian(UInt16.self, b, at: 8)
    let kindCode = b[10], flags = b[11]
    let length = ByteReader.littleEndian(UInt64.self, b, at: 12)
    let headerCRC = ByteReader.littleEndian(UInt32.self, b, at: 20)
    // The header checksum comes first, so a damaged version or length is reported as damage rather
    // than as a newer format or a truncation.
    let computedHeader = CRC32.checksum(b, 0..<20)
    guard headerCRC == computedHeader else {
      throw refuse(
        .corrupted, "its header is damaged (header checksum \(hex(headerCRC)), expected \(hex(computedHeader)))", resave
      )
    }
    guard version <= formatVersion else {
      throw refuse(
        .newerVersion, "written by a newer qat-repl (format \(version)); this build reads format \(formatVersion)",
        "update qat-repl to load it, or save the model again with this version")
    }
    let invalid = "the file was not made by qat-repl's model writer (or by a faulty one); save the model again"
    let minimum = headerSize + trailerSize
    guard length >= UInt64(minimum) else {
      throw refuse(
        .corrupted,
        """
        structurally invalid: its header gives a length of \(length) bytes, less than the \(minimum) of header and \
        checksum
        """,
        invalid)
    }
    if let refusal = sizeMismatch(size: b.count, length: length, path: path) { throw refusal }
    let total = Int(length)  // == b.count, so it fits
    let storedCRC = ByteReader.littleEndian(UInt32.self, b, at: total - trailerSize)
    let computed = CRC32.checksum(b, 0..<total - trailerSize)
    guard storedCRC == computed else {
      throw refuse(
        .corrupted, "checksum mismatch: the contents are damaged (stored \(hex(storedCRC)), computed \(hex(computed)))",
        resave)
    }
    // From here on the bytes are as written, so anything wrong was written that way.
    let matched = "structurally invalid although its checksum matches: "
    guard version >= 1 else { throw refuse(.corrupted, matched + "format version 0 does not exist", invalid) }
    guard let kind = Kind(rawValue: kindCode) else {
      throw refuse(.corrupted, matched + "unknown model kind \(kindCode)", invalid)
    }
    guard flags == 0 else { throw refuse(.corrupted, matched + "unknown flags \(hex(flags))", invalid) }
    return (kind, headerSize..<total - trailerSize)
  }

  static func hex<T: FixedWidthInteger>(_ v: T) -> String {
    let digits = String(v, radix: 16, uppercase: true)
    return "0x" + String(repeating: "0", count: max(0, MemoryLayout<T>.size * 2 - digits.count)) + digits
  }

  /// A section: its tag, then a u64 payload length that must hold exactly what `body` reads.
  static func section(
    _ tag: [UInt8], _ name: String, _ reader: inout ByteReader,
    _ body: (inout ByteReader) throws(Malformed) -> Void
  ) throws(Malformed) {
    let found = try reader.take(4, "the \(name) section's tag")
    guard Array(found) == tag else {
      let shown = String(decoding: found.map { (0x20...0x7E).contains($0) ? $0 : 0x3F }, as: UTF8.self)
      throw Malformed("expected the \(name) section (\(String(decoding: tag, as: UTF8.self))), found '\(shown)'")
    }
    let length = try reader.u64("the \(name) section's length")
    guard length <= UInt64(reader.remaining) else {
      throw Malformed("the \(name) section claims \(length) bytes but only \(Units.grouped(reader.remaining)) remain")
    }
    let payload = try reader.take(Int(length), "the \(name) section")
    var inner = ByteReader(reader.bytes, payload.startIndex..<payload.endIndex)
    do {
      try body(&inner)
    } catch {
      throw Malformed("\(error.reason) (in the \(name) section)")
    }
    guard inner.isAtEnd else {
      throw Malformed("\(Units.grouped(inner.remaining)) unused bytes at the end of the \(name) section")
    }
  }

  mutating func readMetadata(_ r: inout ByteReader) throws(Malformed) {
    inputShape = try r.dimensions("input shape dimensions")
    colorMode = try r.string("the colour mode")
    mean = try r.doubles("mean values")
    std = try r.doubles("std values")
    let classCount = try r.count("class names", minimumSize: 1)
    classNames = []
    for i in 0..<classCount { classNames.append(try r.string("class name \(i + 1)")) }
    let propertyCount = try r.count("properties", minimumSize: 2)
    properties = []
    for i in 0..<propertyCount {
      let key = try r.string("the key of property \(i + 1)")
      properties.append(Property(key, try r.string("the value of property '\(key)'")))
    }
  }

  mutating func readLayers(_ r: inout ByteReader) throws(Malformed) {
    // A layer with empty strings and lists takes 5 one-byte varints.
    let count = try r.count("layers", minimumSize: 5)
    layers = []
    for l in 0..<count {
      do {
        layers.append(try Self.readLayer(&r))
      } catch {
        throw Malformed("layer \(l + 1) of \(count): \(error.reason)")
      }
    }
  }

  static func readLayer(_ r: inout ByteReader) throws(Malformed) -> Layer {
    var layer = Layer(type: try r.string("the layer type"))
    layer.name = try r.string("the name of a \(layer.type) layer")
    layer.integers = try r.zigzags("integer attributes")
    layer.floats = try r.doubles("real attributes")
    // A tensor takes at least a name length, dtype, bits, rank and byte length: 5 bytes.
    let tensorCount = try r.count("tensors", minimumSize: 5)
    for t in 0..<tensorCount {
      do {
        layer.tensors.append(try readTensor(&r))
      } catch {
        throw Malformed("\(layer.type) '\(layer.name)', tensor \(t + 1) of \(tensorCount): \(error.reason)")
      }
    }
    return layer
  }

  static func readTensor(_ r: inout ByteReader) throws(Malformed) -> Tensor {
    let name = try r.string("the tensor name")
    let codeByte = try r.u8("the tensor type")
    let bitsByte = try r.u8("the tensor's bits")
    guard let code = TensorCode(rawValue: codeByte) else {
      throw Malformed("'\(name)' has unknown element type \(codeByte)")
    }
    let bits = Int(bitsByte)
    let widthOK: Bool
    switch code {
    case .float32, .int32: widthOK = bits == 32
    case .int64: widthOK = bits == 64
    case .signedPacked: widthOK = BitPacking.signedBits.contains(bits)
    case .unsignedPacked: widthOK = BitPacking.unsignedBits.contains(bits)
    }
    guard widthOK else { throw Malformed("'\(name)' has an invalid width of \(bits) bits for its element type") }
    let shape = try r.dimensions("dimensions of '\(name)'")
    guard let count = elementCount(shape), let expected = BitPacking.byteCount(values: count, bits: bits) else {
      throw Malformed("'\(name)' has a shape \(shape) too large for any file")
    }
    let stored = try r.varint("the byte length of '\(name)'")
    guard stored == UInt64(expected) else {
      throw Malformed(
        "'\(name)' \(shape) at \(bits) bits takes \(Units.grouped(expected)) bytes, but the file says \(stored)")
    }
    // Only now, with the length matched to the shape and present in the file, is anything allocated.
    let data = try r.take(expected, "the values of '\(name)'")
    let values: TensorData
    switch code {
    case .float32: values = .float32(ByteReader.words(data, count: count, as: Float.self))
    case .int32: values = .int32(ByteReader.words(data, count: count, as: Int32.self))
    case .int64: values = .int64(ByteReader.words(data, count: count, as: Int64.self))
    case .signedPacked:
      guard let v = BitPacking.unpack(signed: data, count: count, bits: bits) else { throw padding(name) }
      values = .signedPacked(bits: bits, values: v)
    case .unsignedPacked:
      guard let v = BitPacking.unpack(data, count: count, bits: bits) else { throw padding(name) }
      values = .unsignedPacked(bits: bits, values: v)
    }
    return Tensor(name: name, shape: shape, data: values)
  }

  static func padding(_ name: String) -> Malformed {
    Malformed("'\(name)' has padding bits set after its last value")
  }
}
