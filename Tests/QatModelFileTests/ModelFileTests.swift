import Foundation
import Testing

@testable import QatModelFile
import QatSupport

/// Model files: round trips of every element type and width, exact packed sizes, the byte layout,
/// encoding validation, and the file system side (atomic writes, clear errors for bad paths).
@Suite struct ModelFileTests {
  /// A small model with every element type, metadata and properties.
  static func sample() -> ModelFile {
    ModelFile(
      kind: .integer, inputShape: [1, 28, 28], colorMode: "gray", mean: [0.1307], std: [0.3081],
      classNames: ["zero", "one", "two"], properties: [.init("method", "qat"), .init("bits", "4")],
      layers: [
        .init(
          type: "qconv", name: "conv 1", integers: [3, 1, 1, -128], floats: [0.0125, 1e-5],
          tensors: [
            .init(
              name: "weight", shape: [2, 1, 2, 2], data: .signedPacked(bits: 4, values: [-8, 7, 0, 1, -1, 2, 3, -4])),
            .init(name: "bias", shape: [2], data: .int32([-70000, 12])),
            .init(name: "multiplier", shape: [2], data: .int64([Int64.min, Int64.max])),
          ]),
        .init(
          type: "dense", name: "classifier",
          tensors: [
            .init(
              name: "weight", shape: [3, 2],
              data: .float32([0.5, -1.25, .infinity, -0.0, Float(bitPattern: 0x0020_0000), 1])),
            .init(name: "codes", shape: [5], data: .unsignedPacked(bits: 3, values: [0, 7, 1, 6, 5])),
          ]),
        .init(type: "flatten"),
      ])
  }

  @Test func sampleRoundTripsAndReencodesToTheSameBytes() throws {
    let model = Self.sample()
    let bytes = try model.encoded()
    let back = try ModelFile.decode(bytes, path: "sample.qnet")
    #expect(back == model)
    #expect(try back.encoded() == bytes)
    #expect(try ModelFile.decode(Data(bytes)) == model)
    #expect(try ModelFile.decode(bytes[...]) == model)
    #expect(back.property("bits") == "4")
    #expect(back.layers[0].tensor(named: "bias")?.data == .int32([-70000, 12]))
  }

  @Test func headerLayout() throws {
    let bytes = try Self.sample().encoded()
    #expect(Array(bytes.prefix(8)) == [0x89, 0x51, 0x4E, 0x54, 0x0D, 0x0A, 0x1A, 0x0A])
    #expect(bytes[8] == 1 && bytes[9] == 0)  // format 1, little-endian
    #expect(bytes[10] == ModelFile.Kind.integer.rawValue)
    #expect(bytes[11] == 0)
    #expect(ByteReader.littleEndian(UInt64.self, bytes, at: 12) == UInt64(bytes.count))
    #expect(ByteReader.littleEndian(UInt32.self, bytes, at: 20) == CRC32.checksum(bytes, 0..<20))
    #expect(
      ByteReader.littleEndian(UInt32.self, bytes, at: bytes.count - 4) == CRC32.checksum(bytes, 0..<bytes.count - 4))
    #expect(Array(bytes[24..<28]) == Array("META".utf8))
  }

  /// The smallest file, byte for byte: a change here is a format change (bump the version).
  @Test func emptyModelGoldenBytes() throws {
    let bytes = try ModelFile(kind: .fp32).encoded()
    let hex = bytes.map { String(format: "%02x", $0) }.joined()
    #expect(hex == Self.emptyModelHex)
    #expect(bytes.count == 59)
    #expect(try ModelFile.decode(bytes) == ModelFile(kind: .fp32))
  }

  /// Checked against Python's zlib.crc32 for both checksums.
  static let emptyModelHex =
    "89514e540d0a1a0a" + "0100" + "00" + "00" + "3b00000000000000" + "5a64122c"  // header
    + "4d455441" + "0600000000000000" + String(repeating: "00", count: 6)  // META: six empty lists/strings (varint 0s)
    + "4c415952" + "0100000000000000" + "00"  // LAYR: no layers
    + "48bf99c3"  // CRC-32 of the 55 bytes before

  /// Unsigned LEB128 varints and zigzag: the shortest encoding at every edge, read back exactly;
  /// non-minimal, over-long, overflowing and cut-off encodings refused.
  @Test func varintsRoundTripAtTheEdgesAndAreCanonical() throws {
    func encoded(_ v: UInt64) -> [UInt8] {
      var w = ByteWriter()
      w.varint(v)
      return w.bytes
    }
    func read(_ bytes: [UInt8]) throws(Malformed) -> UInt64 {
      var r = ByteReader(bytes, 0..<bytes.count)
      let v = try r.varint("the value")
      guard r.isAtEnd else { throw Malformed("\(r.remaining) bytes left over") }
      return v
    }
    func refusal(_ bytes: [UInt8]) -> String? {
      do { _ = try read(bytes); return nil } catch { return error.reason }
    }
    let cases: [(UInt64, [UInt8])] = [
      (0, [0x00]), (1, [0x01]), (127, [0x7F]), (128, [0x80, 0x01]), (300, [0xAC, 0x02]), (16_383, [0xFF, 0x7F]),
      (16_384, [0x80, 0x80, 0x01]), (UInt64(UInt32.max), [0xFF, 0xFF, 0xFF, 0xFF, 0x0F]),
      (UInt64(1) << 63, [UInt8](repeating: 0x80, count: 9) + [0x01]),
      (UInt64.max, [UInt8](repeating: 0xFF, count: 9) + [0x01]),
    ]
    for (value, bytes) in cases {
      #expect(encoded(value) == bytes, "\(value)")
      #expect(try read(bytes) == value, "\(value)")
    }
    for shift in 0..<64 {
      for v in [UInt64(1) << UInt64(shift), (UInt64(1) << UInt64(shift)) - 1, (UInt64(1) << UInt64(shift)) + 1] {
        #expect(try read(encoded(v)) == v)
        #expect(encoded(v).count == max(1, (64 - v.leadingZeroBitCount + 6) / 7))
      }
    }
    // Zigzag: small magnitudes of either sign take one byte.
    let signed: [(Int64, UInt64)] = [
      (0, 0), (-1, 1), (1, 2), (-2, 3), (63, 126), (-64, 127), (64, 128),
      (Int64.max, UInt64.max - 1), (Int64.min, UInt64.max),
    ]
    for (value, zigzag) in signed {
      #expect(ByteWriter.zigzag(value) == zigzag, "\(value)")
      #expect(ByteReader.unzigzag(zigzag) == value, "\(value)")
      var w = ByteWriter()
      w.zigzag(value)
      var r = ByteReader(w.bytes, 0..<w.bytes.count)
      #expect(try r.zigzag("v") == value)
      #expect(r.isAtEnd)
    }
    var w = ByteWriter()
    w.zigzag(-1)
    #expect(w.bytes == [0x01])
    // Refused: a redundant zero group (non-minimal), an 11th byte, bits beyond 64, a cut-off varint.
    for bad: [UInt8] in [
      [0x80, 0x00], [0x81, 0x00], [0xFF, 0x80, 0x00], [UInt8](repeating: 0xFF, count: 9) + [0x00],
      [UInt8](repeating: 0x80, count: 9) + [0x00],
    ] {
      #expect(refusal(bad)?.contains("non-minimal") == true, "\(bad)")
    }
    #expect(refusal([UInt8](repeating: 0x80, count: 10) + [0x01])?.contains("longer than 10 bytes") == true)
    #expect(refusal([UInt8](repeating: 0xFF, count: 11) + [0x01])?.contains("longer than 10 bytes") == true)
    #expect(refusal([UInt8](repeating: 0xFF, count: 9) + [0x02])?.contains("larger than 2⁶⁴ − 1") == true)
    #expect(refusal([UInt8](repeating: 0xFF, count: 9) + [0x7F])?.contains("larger than 2⁶⁴ − 1") == true)
    #expect(refusal([0x80])?.contains("needs 1 bytes but only 0 remain") == true)
    #expect(refusal([]) != nil)
    // A value beyond Int is refused where a size is expected.
    let huge = encoded(UInt64(Int.max) + 1)
    var r = ByteReader(huge, 0..<huge.count)
    #expect(throws: Malformed.self) { try r.size("a dimension") }
  }

  @Test func crc32MatchesTheStandardCheckValue() {
    #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
    #expect(CRC32.checksum([]) == 0)
    #expect(CRC32.checksum([0]) == 0xD202_EF8D)
  }

  @Test func bitPackingIsLeastSignificantBitFirst() {
    var out: [UInt8] = []
    BitPacking.pack([1, 2, 3], bits: 4, into: &out)
    #expect(out == [0x21, 0x03])
    out = []
    BitPacking.pack(signed: [-1, 7, -8], bits: 4, into: &out)
    #expect(out == [0x7F, 0x08])
    out = []
    BitPacking.pack([5, 3, 6], bits: 3, into: &out)  // 101 · 011 · 110 → 1_1001_1101
    #expect(out == [0x9D, 0x01])
    #expect(BitPacking.unpack(signed: [0x7F, 0x08], count: 3, bits: 4) == [-1, 7, -8])
    #expect(BitPacking.unpack([0x9D, 0x01], count: 3, bits: 3) == [5, 3, 6])
    #expect(BitPacking.unpack([0x9D, 0x03], count: 3, bits: 3) == nil)  // a padding bit set
  }

  /// Random models with every element type and every packed width, edge values included.
  @Test func randomModelsRoundTrip() throws {
    var random = SeededRandom(seed: 2024)
    for i in 0..<150 {
      let model = Self.randomModel(&random)
      let bytes = try model.encoded()
      let back = try ModelFile.decode(bytes, path: "random-\(i).qnet")
      #expect(back == model, "model \(i)")
      #expect(try back.encoded() == bytes, "model \(i)")
    }
  }

  @Test func everyPackedWidthRoundTripsItsEdgeValues() throws {
    for bits in 1...8 {
      let top = (1 << bits) - 1
      let unsigned: [UInt8] = [0, UInt8(top), 1, UInt8(top / 2), UInt8(top), 0, UInt8(top)]
      var tensors = [
        ModelFile.Tensor(name: "u", shape: [unsigned.count], data: .unsignedPacked(bits: bits, values: unsigned))
      ]
      if bits >= 2 {
        let low = Int8(-(1 << (bits - 1))), high = Int8((1 << (bits - 1)) - 1)
        let signed: [Int8] = [low, high, 0, -1, 1, low, high, 0, low]
        tensors.append(.init(name: "s", shape: [3, 3], data: .signedPacked(bits: bits, values: signed)))
      }
      let model = ModelFile(kind: .integer, layers: [.init(type: "t", tensors: tensors)])
      #expect(try ModelFile.decode(model.encoded()) == model, "\(bits) bits")
    }
  }

  /// Packed tensors take exactly ⌈count · bits / 8⌉ bytes: measured as the size difference between
  /// a file with the tensor and the same file with an empty one (same rank, same header), less the
  /// extra bytes the dimension and byte-length varints need for values of 128 and more.
  @Test func packedSizesAreExact() throws {
    func varintSize(_ v: Int) -> Int { v < 128 ? 1 : v < 16_384 ? 2 : 3 }
    func size(_ data: ModelFile.TensorData) throws -> Int {
      try ModelFile(
        kind: .integer, layers: [.init(type: "t", tensors: [.init(name: "w", shape: [data.count], data: data)])]
      ).encoded().count
    }
    for bits in 1...8 {
      for count in [0, 1, 2, 3, 7, 8, 9, 15, 17, 1000] {
        let grown = try size(.unsignedPacked(bits: bits, values: Array(repeating: 1, count: count)))
        let empty = try size(.unsignedPacked(bits: bits, values: []))
        let data = (count * bits + 7) / 8
        #expect(grown - empty == data + varintSize(count) - 1 + varintSize(data) - 1, "\(count) values at \(bits) bits")
      }
    }
    let fourBit = try size(.signedPacked(bits: 4, values: Array(repeating: -3, count: 1000)))
    // 500 bytes of data; the dimension 1,000 and the length 500 take a second varint byte each.
    #expect(fourBit - (try size(.signedPacked(bits: 4, values: []))) == 500 + 2)
    // The same values as fp32 take 8× the bytes.
    #expect(try size(.float32(Array(repeating: 1, count: 1000))) - (try size(.float32([]))) == 4000 + 2)
    #expect(ModelFile.TensorData.signedPacked(bits: 4, values: Array(repeating: 0, count: 1000)).storedByteCount == 500)
  }

  /// Bit patterns are kept exactly: NaN payloads, signed zeros, subnormals, infinities.
  @Test func floatBitPatternsArePreserved() throws {
    let floats: [Float] = [
      .nan, Float(bitPattern: 0x7FC0_1234), Float(bitPattern: 0xFFA0_0001), -0.0, .leastNonzeroMagnitude, -.infinity,
    ]
    let doubles: [Double] = [
      Double(bitPattern: 0x7FF8_0000_DEAD_BEEF), -0.0, .leastNonzeroMagnitude, .greatestFiniteMagnitude,
    ]
    let model = ModelFile(
      kind: .fp32, mean: doubles,
      layers: [
        .init(type: "x", floats: doubles, tensors: [.init(name: "f", shape: [6], data: .float32(floats))])
      ])
    let back = try ModelFile.decode(model.encoded())
    guard case .float32(let f) = back.layers[0].tensors[0].data else {
      Issue.record("not float32")
      return
    }
    #expect(f.map(\.bitPattern) == floats.map(\.bitPattern))
    #expect(back.mean.map(\.bitPattern) == doubles.map(\.bitPattern))
    #expect(back.layers[0].floats.map(\.bitPattern) == doubles.map(\.bitPattern))
  }

  @Test func stringsKeepTheirExactBytes() throws {
    let names = ["", "é", "e\u{301}", "🐈‍⬛", "a\u{0}b", "line\nbreak", String(repeating: "ж", count: 300)]
    let model = ModelFile(
      kind: .fp32, colorMode: "rgb", classNames: names,
      properties: names.map { .init($0, $0 + "!") }, layers: names.map { .init(type: $0, name: $0) })
    let back = try ModelFile.decode(model.encoded())
    #expect(back.classNames.map { Array($0.utf8) } == names.map { Array($0.utf8) })
    #expect(back == model)
  }

  @Test func scalarsAndEmptyTensors() throws {
    let model = ModelFile(
      kind: .fp32,
      layers: [
        .init(
          type: "x",
          tensors: [
            .init(name: "scalar", shape: [], data: .float32([2.5])),
            .init(name: "empty", shape: [3, 0, 2], data: .int64([])),
          ])
      ])
    #expect(try ModelFile.decode(model.encoded()) == model)
  }

  @Test func encodingRefusesWhatItCannotStore() {
    func refusal(_ data: ModelFile.TensorData, shape: [Int]? = nil) -> ModelFileError? {
      let model = ModelFile(
        kind: .integer,
        layers: [
          .init(type: "qdense", name: "fc", tensors: [.init(name: "w", shape: shape ?? [data.count], data: data)])
        ])
      do { _ = try model.encoded(); return nil } catch { return error }
    }
    #expect(
      refusal(.signedPacked(bits: 4, values: [0, 8]))?.reason.contains(
        "value 8 at index 1 does not fit in 4 signed bits (-8…7)") == true)
    #expect(refusal(.signedPacked(bits: 4, values: [-9])) != nil)
    #expect(refusal(.signedPacked(bits: 1, values: [0])) != nil)
    #expect(refusal(.signedPacked(bits: 9, values: [0])) != nil)
    #expect(
      refusal(.unsignedPacked(bits: 3, values: [8]))?.reason.contains("does not fit in 3 unsigned bits (0…7)") == true)
    #expect(refusal(.unsignedPacked(bits: 0, values: [])) != nil)
    #expect(
      refusal(.float32([1, 2, 3]), shape: [2, 2])?.reason.contains("shape [2, 2] does not match its 3 values") == true)
    #expect(refusal(.float32([]), shape: [-1, 0])?.reason.contains("negative dimension") == true)
    #expect(refusal(.int32([1]), shape: [Int.max, Int.max]) != nil)  // the product overflows
    #expect(refusal(.float32([1]))?.kind == nil)
    let error = refusal(.unsignedPacked(bits: 2, values: [4]))
    #expect(error?.kind == .invalidModel)
    #expect(error?.description.hasPrefix("cannot encode the model: layer 1 (qdense 'fc'), tensor 'w'") == true)
    #expect(throws: ModelFileError.self) { try ModelFile(kind: .fp32, inputShape: [-1]).encoded() }
  }

  // MARK: - Files

  @Test func writeThenRead() throws {
    let dir = try Self.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = dir + "/m.qnet"
    let model = Self.sample()
    let written = try model.write(to: path)
    #expect(try ModelFile.read(path: path) == model)
    let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int
    #expect(size == (try model.encoded().count))
    #expect(size == written)
    // Overwriting replaces the file whole.
    let other = ModelFile(kind: .fp32, classNames: ["a"])
    try other.write(to: path)
    #expect(try ModelFile.read(path: path) == other)
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["m.qnet"])
  }

  @Test func writingIntoAMissingDirectoryIsExplained() throws {
    let dir = try Self.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = dir + "/no/such/m.qnet"
    let error = Self.writeError(ModelFile(kind: .fp32), path)
    #expect(error?.kind == .cannotWrite)
    #expect(error?.path == path)
    #expect(error?.reason == "the directory '\(dir)/no/such' does not exist")
    #expect(error?.hint?.hasPrefix("create it first") == true)
    #expect(error?.description.hasPrefix("cannot save '\(path)': the directory") == true)
    #expect(!FileManager.default.fileExists(atPath: dir + "/no"))
  }

  /// A failed write leaves the earlier file byte for byte, and no temporary file behind.
  @Test func failedWritesLeaveTheOldFileAndNoTemporaryFile() throws {
    let dir = try Self.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = dir + "/m.qnet"
    try Self.sample().write(to: path)
    let before = try Data(contentsOf: URL(fileURLWithPath: path))

    // A model that cannot be encoded: refused before anything is written.
    let bad = ModelFile(
      kind: .integer,
      layers: [.init(type: "q", tensors: [.init(name: "w", shape: [1], data: .signedPacked(bits: 2, values: [5]))])])
    let invalid = Self.writeError(bad, path)
    #expect(invalid?.kind == .invalidModel)
    #expect(invalid?.path == path)
    #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["m.qnet"])

    // The final rename fails (the target is a non-empty directory): the temporary file is removed.
    let blocked = dir + "/blocked.qnet"
    try FileManager.default.createDirectory(atPath: blocked + "/inside", withIntermediateDirectories: true)
    let renameFailure = Self.writeError(Self.sample(), blocked)
    #expect(renameFailure?.kind == .cannotWrite)
    #expect(renameFailure?.description.contains(blocked) == true)
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["blocked.qnet", "m.qnet"])

    // A read-only directory (root ignores permissions, so only checked for other users).
    if geteuid() != 0 {
      chmod(dir, 0o555)
      defer { chmod(dir, 0o755) }
      #expect(Self.writeError(ModelFile(kind: .fp32), path)?.kind == .cannotWrite)
      #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
      #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["blocked.qnet", "m.qnet"])
    }
  }

  @Test func readingBadPaths() throws {
    let dir = try Self.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    func refusal(_ path: String) -> ModelFileError? {
      do { _ = try ModelFile.read(path: path); return nil } catch { return error }
    }
    let missing = refusal(dir + "/missing.qnet")
    #expect(missing?.kind == .notFound)
    #expect(missing?.description.hasPrefix("cannot load '\(dir)/missing.qnet': no such file") == true)
    #expect(refusal(dir)?.kind == .notAFile)
    #expect(refusal(dir)?.reason == "it is a directory")
    #expect(refusal("/dev/null")?.kind == .notAFile)
    _ = FileManager.default.createFile(atPath: dir + "/empty.qnet", contents: Data())
    #expect(refusal(dir + "/empty.qnet")?.kind == .empty)
    #expect(refusal(dir + "/empty.qnet")?.reason == "the file is empty")
    _ = FileManager.default.createFile(
      atPath: dir + "/notes.txt", contents: Data(String(repeating: "model notes\n", count: 20000).utf8))
    #expect(refusal(dir + "/notes.txt")?.reason == "this is not a qat-repl model file (it looks like text)")
    if geteuid() != 0 {
      try Self.sample().write(to: dir + "/locked.qnet")
      chmod(dir + "/locked.qnet", 0)
      #expect(refusal(dir + "/locked.qnet")?.kind == .unreadable)
    }
  }

  @Test func aNamedPipeIsRefusedWithoutWaiting() throws {
    let dir = try Self.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let fifo = dir + "/m.qnet"
    #expect(mkfifo(fifo, 0o600) == 0)
    // Should `load` open the pipe and wait for a writer (the bug), a writer comes after two
    // seconds, so the test fails rather than hangs.
    let released = DispatchSemaphore(value: 0)
    DispatchQueue.global().async {
      if released.wait(timeout: .now() + 2) == .timedOut {
        let fd = open(fifo, O_RDWR | O_NONBLOCK)
        if fd >= 0 { close(fd) }
      }
    }
    let start = Date()
    var refusal: ModelFileError?
    do { _ = try ModelFile.read(path: fifo) } catch { refusal = error }
    released.signal()
    #expect(Date().timeIntervalSince(start) < 1)
    #expect(refusal?.kind == .notAFile)
    #expect(refusal?.reason == "it is not a regular file (a named pipe (FIFO))")
  }

  @Test func pathsWithEscapeCodesArePrintedEscaped() throws {
    let dir = try Self.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    var refusal: ModelFileError?
    do { _ = try ModelFile.read(path: dir + "/\u{1B}[2Jm.qnet") } catch { refusal = error }
    #expect(refusal?.message == "cannot load '\(dir)/\\u{1b}[2Jm.qnet': no such file")
    let write = Self.writeError(ModelFile(kind: .fp32), dir + "/no\u{9B}31m/m.qnet")
    #expect(write?.reason == "the directory '\(dir)/no\\u{9b}31m' does not exist")
    #expect(write?.description.unicodeScalars.contains { $0.value == 0x9B || $0.value == 0x1B } == false)
  }

  @Test func sizeAndBudgetAreCheckedBeforeTheFileIsReadWhole() throws {
    let dir = try Self.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = dir + "/m.qnet"
    let size = try Self.sample().write(to: path)
    // Within a small budget the model is refused by its header, before it is read.
    do {
      _ = try ModelFileIO.read(path: path, budget: size - 1)
      Issue.record("read beyond the budget")
    } catch {
      #expect(error.reason.contains("memory budget"))
    }
    #expect(try ModelFileIO.read(path: path, budget: size).count == size)
    // A sparse 10 GB file with a model's header: refused after its first chunk, not read whole.
    let handle = try #require(FileHandle(forWritingAtPath: path))
    try handle.truncate(atOffset: 10_000_000_000)
    try handle.close()
    do {
      _ = try ModelFile.read(path: path)
      Issue.record("read a 10 GB file")
    } catch {
      #expect(error.kind == .corrupted)
      #expect(error.reason.contains("extra bytes after the end of the model"))
    }
  }

  // MARK: - Helpers

  static func writeError(_ model: ModelFile, _ path: String) -> ModelFileError? {
    do { try model.write(to: path); return nil } catch { return error }
  }

  static func temporaryDirectory() throws -> String {
    let dir = FileManager.default.temporaryDirectory
      .appendingPathComponent("qat-modelfile-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
  }

  static func randomString(_ random: inout SeededRandom) -> String {
    let alphabet = Array("abcxyz_ 0189éß漢🙂")
    return String(
      (0..<Int.random(in: 0...8, using: &random)).map { _ in
        alphabet[Int.random(in: 0..<alphabet.count, using: &random)]
      })
  }

  /// A random tensor data of a random kind; packed values favour the edges of their range.
  static func randomData(_ count: Int, _ random: inout SeededRandom) -> ModelFile.TensorData {
    func pick<T>(_ edges: [T], _ any: () -> T) -> T {
      Int.random(in: 0..<3, using: &random) == 0 ? any() : edges[Int.random(in: 0..<edges.count, using: &random)]
    }
    switch Int.random(in: 0..<5, using: &random) {
    case 0:
      return .float32(
        (0..<count).map { _ in
          Float(bitPattern: UInt32.random(in: 0...0x7F7F_FFFF, using: &random)) * (Bool.random(using: &random) ? 1 : -1)
        })
    case 1:
      return .int32(
        (0..<count).map { _ in pick([Int32.min, Int32.max, 0, -1]) { Int32.random(in: .min ... .max, using: &random) } }
      )
    case 2:
      return .int64(
        (0..<count).map { _ in pick([Int64.min, Int64.max, 0, -1]) { Int64.random(in: .min ... .max, using: &random) } }
      )
    case 3:
      let bits = Int.random(in: 2...8, using: &random)
      let low = -(1 << (bits - 1)), high = (1 << (bits - 1)) - 1
      return .signedPacked(
        bits: bits,
        values: (0..<count).map { _ in Int8(pick([low, high, 0]) { Int.random(in: low...high, using: &random) }) })
    default:
      let bits = Int.random(in: 1...8, using: &random)
      let high = (1 << bits) - 1
      return .unsignedPacked(
        bits: bits,
        values: (0..<count).map { _ in UInt8(pick([0, high]) { Int.random(in: 0...high, using: &random) }) })
    }
  }

  static func randomModel(_ random: inout SeededRandom) -> ModelFile {
    func list<T>(_ n: ClosedRange<Int>, _ make: (inout SeededRandom) -> T) -> [T] {
      (0..<Int.random(in: n, using: &random)).map { _ in make(&random) }
    }
    var model = ModelFile(kind: Bool.random(using: &random) ? .fp32 : .integer)
    model.inputShape = list(0...3) { Int.random(in: 1...64, using: &$0) }
    model.colorMode = randomString(&random)
    model.mean = list(0...3) { Double.random(in: -1...1, using: &$0) }
    model.std = list(0...3) { Double.random(in: 0...2, using: &$0) }
    model.classNames = list(0...5) { randomString(&$0) }
    model.properties = list(0...3) { .init(randomString(&$0), randomString(&$0)) }
    model.layers = list(0...4) { random in
      var layer = ModelFile.Layer(type: randomString(&random), name: randomString(&random))
      layer.integers = (0..<Int.random(in: 0...4, using: &random)).map { _ in
        Int64.random(in: .min ... .max, using: &random)
      }
      layer.floats = (0..<Int.random(in: 0...3, using: &random)).map { _ in
        Double(bitPattern: UInt64.random(in: 0...0x7FEF_FFFF_FFFF_FFFF, using: &random))
      }
      layer.tensors = (0..<Int.random(in: 0...4, using: &random)).map { t in
        let shape = (0..<Int.random(in: 0...3, using: &random)).map { _ in Int.random(in: 0...5, using: &random) }
        let count = shape.reduce(1, *)
        return ModelFile.Tensor(name: "t\(t)", shape: shape, data: randomData(count, &random))
      }
      return layer
    }
    return model
  }
}
