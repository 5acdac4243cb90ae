import Foundation
import Testing

@testable import QatModelFile
import QatSupport

/// Broken model files: each is refused with its own reason, nothing crashes, and no damage goes
/// unnoticed (SPEC §9: bad or foreign model files; the model-file reader is fuzzed).
@Suite struct ModelFileCorruptionTests {
  static let valid: [UInt8] = (try? ModelFileTests.sample().encoded()) ?? []

  func refusal(_ bytes: [UInt8]) -> ModelFileError? {
    do { _ = try ModelFile.decode(bytes, path: "m.qnet"); return nil } catch { return error }
  }

  /// After a deliberate edit: the length and both checksums recomputed, so only the structure is wrong.
  static func resealed(_ bytes: [UInt8]) -> [UInt8] {
    var b = bytes
    var w = ByteWriter(bytes: b)
    w.patch(u64: UInt64(b.count), at: 12)
    w.patch(u32: CRC32.checksum(w.bytes, 0..<20), at: 20)
    w.patch(u32: CRC32.checksum(w.bytes, 0..<b.count - 4), at: b.count - 4)
    b = w.bytes
    return b
  }

  static func offset(of text: String, in bytes: [UInt8]) -> Int? {
    let needle = Array(text.utf8)
    return (0...(bytes.count - needle.count)).first { Array(bytes[$0..<$0 + needle.count]) == needle }
  }

  @Test func theSampleIsSmallAndValid() throws {
    #expect(Self.valid.count > 300 && Self.valid.count < 600)
    #expect(refusal(Self.valid) == nil)
  }

  /// Every byte, every single-bit flip and the all-bits flip: always refused as damage (never as a
  /// foreign file, a newer version or a truncation, whatever field the byte belongs to).
  @Test func everyFlippedByteIsCaught() {
    var caught = 0
    for index in Self.valid.indices {
      for mask: UInt8 in [0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0xFF] {
        var damaged = Self.valid
        damaged[index] ^= mask
        let error = refusal(damaged)
        #expect(error?.kind == .corrupted, "byte \(index) ^ \(mask): \(error?.reason ?? "accepted")")
        if error != nil { caught += 1 }
      }
    }
    #expect(caught == Self.valid.count * 9)
  }

  @Test func flipsInEachFieldSayWhatIsDamaged() {
    func reason(flipping index: Int) -> String {
      var damaged = Self.valid
      damaged[index] ^= 0x01
      return refusal(damaged)?.reason ?? "accepted"
    }
    #expect(reason(flipping: 3) == "a qat-repl model file whose signature is damaged")
    #expect(reason(flipping: 8).hasPrefix("its header is damaged"))  // the version
    #expect(reason(flipping: 13).hasPrefix("its header is damaged"))  // the length
    #expect(reason(flipping: 21).hasPrefix("its header is damaged"))  // the header checksum
    #expect(reason(flipping: 100).hasPrefix("checksum mismatch: the contents are damaged"))
    #expect(reason(flipping: Self.valid.count - 1).hasPrefix("checksum mismatch"))  // the checksum itself
    var damaged = Self.valid
    damaged[100] ^= 0x01
    #expect(refusal(damaged)?.description.hasPrefix("cannot load 'm.qnet': checksum mismatch") == true)
  }

  @Test func truncatedAtEveryLength() {
    #expect(refusal([])?.kind == .empty)
    for length in 1..<Self.valid.count {
      let error = refusal(Array(Self.valid.prefix(length)))
      #expect(error?.kind == .truncated, "cut at \(length)")
      if length >= ModelFile.headerSize {
        #expect(error?.reason == "truncated: \(Units.grouped(length)) bytes of \(Units.grouped(Self.valid.count))")
      } else {
        #expect(error?.reason == "truncated: \(length) bytes, shorter than the 24-byte header")
      }
    }
  }

  @Test func appendedBytesAreRefused() {
    for extra in [[0x00], [0x0A], Array("garbage".utf8), [UInt8](repeating: 0xFF, count: 1000), Self.valid] {
      let error = refusal(Self.valid + extra)
      #expect(error?.kind == .corrupted)
      #expect(error?.reason.hasPrefix("\(Units.grouped(extra.count)) extra bytes after the end of the model") == true)
    }
  }

  @Test func newerVersionsAreNamed() {
    for version: UInt16 in [2, 7, 300] {
      var b = Self.valid
      b[8] = UInt8(version & 0xFF)
      b[9] = UInt8(version >> 8)
      let error = refusal(Self.resealed(b))
      #expect(error?.kind == .newerVersion)
      #expect(error?.reason == "written by a newer qat-repl (format \(version)); this build reads format 1")
      #expect(error?.hint?.contains("update qat-repl") == true)
    }
    // A newer file is recognised even if this build could not parse anything after its header.
    var future = Array(Self.valid.prefix(24)) + [1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0]
    future[8] = 2
    #expect(refusal(Self.resealed(future))?.kind == .newerVersion)
  }

  @Test func foreignFilesAreRecognised() {
    func reason(_ bytes: [UInt8]) -> String? { refusal(bytes)?.reason }
    let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13] + Array("IHDR".utf8)
    #expect(reason(png) == "this is not a qat-repl model file (it looks like a PNG image)")
    #expect(reason([0xFF, 0xD8, 0xFF, 0xE0]) == "this is not a qat-repl model file (it looks like a JPEG image)")
    #expect(reason(Array("PK\u{3}\u{4}archive".utf8))?.contains("PyTorch") == true)
    #expect(reason([0x80, 0x04, 0x95]) == "this is not a qat-repl model file (it looks like a Python pickle)")
    #expect(
      reason(Array("net = model(data) { dense(10) }\n".utf8))
        == "this is not a qat-repl model file (it looks like text)")
    #expect(reason(Array("zürich ✓".utf8))?.hasSuffix("(it looks like text)") == true)
    #expect(reason([0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08]) == "this is not a qat-repl model file")
    #expect(reason([0x41]) == "this is not a qat-repl model file (it looks like text)")
    #expect(refusal(png)?.kind == .foreign)
    #expect(refusal(png)?.hint?.contains(".qnet") == true)
    #expect(refusal(png)?.description.hasPrefix("cannot load 'm.qnet': this is not a qat-repl model file") == true)
  }

  @Test func transferDamageIsNamed() {
    // CR LF → LF everywhere.
    var unix: [UInt8] = []
    for (i, byte) in Self.valid.enumerated()
    where !(byte == 0x0D && i + 1 < Self.valid.count && Self.valid[i + 1] == 0x0A) {
      unix.append(byte)
    }
    #expect(refusal(unix)?.reason.contains("text-mode transfer") == true)
    // LF → CR LF, for lone LFs only and for every LF.
    let lone = Self.valid.enumerated().flatMap { i, b in
      b == 0x0A && (i == 0 || Self.valid[i - 1] != 0x0D) ? [0x0D, 0x0A] : [b]
    }
    let every = Self.valid.flatMap { $0 == 0x0A ? [0x0D, 0x0A] : [$0] }
    #expect(refusal(lone)?.reason.contains("text-mode transfer") == true)
    #expect(refusal(every)?.reason.contains("text-mode transfer") == true)
    // High bits cleared.
    let sevenBit = Self.valid.map { $0 & 0x7F }
    #expect(refusal(sevenBit)?.reason.contains("7-bit transfer") == true)
    #expect(refusal(sevenBit)?.hint?.contains("binary mode") == true)
  }

  /// Edits with the checksums recomputed: the structure itself must be checked.
  @Test func structurallyInvalidFilesWithMatchingChecksums() throws {
    let v = Self.valid
    func structural(_ edit: (inout [UInt8]) -> Void) -> String? {
      var b = v
      edit(&b)
      let error = refusal(Self.resealed(b))
      #expect(error?.kind == .corrupted)
      return error?.reason
    }
    let prefix = "structurally invalid although its checksum matches: "
    // "bias" is a 2-value int32 tensor: name, dtype, bits, rank (varint 1), dim (varint 2),
    // byte length (varint 8), data.
    let bias = try #require(Self.offset(of: "bias", in: v)) + 4
    #expect(
      structural { $0[bias] = 9 } == prefix
        + "layer 1 of 3: qconv 'conv 1', tensor 2 of 3: 'bias' has unknown element type 9 (in the layer table section)")
    #expect(structural { $0[bias + 1] = 16 }?.contains("invalid width of 16 bits") == true)
    #expect(structural { $0[bias + 3] = 3 }?.contains("takes 12 bytes, but the file says 8") == true)  // the dimension
    #expect(structural { $0[bias + 4] = 9 }?.contains("takes 8 bytes, but the file says 9") == true)  // the byte length
    // A rank of 2²⁵ − 1 (varint FF FF FF 0F) is refused before anything is allocated.
    #expect(
      structural {
        $0[bias + 2] = 0xFF; $0[bias + 3] = 0xFF; $0[bias + 4] = 0xFF; $0[bias + 5] = 0x0F
      }?.contains("33,554,431 dimensions of 'bias' cannot fit in the") == true)
    // Varints must be canonical: the dimension 2 written as 82 00 (same value, one byte too many).
    #expect(
      structural {
        $0[bias + 3] = 0x82; $0[bias + 4] = 0x00
      }?.contains("a varint with a non-minimal encoding") == true)
    // A varint that runs past 10 bytes, over the byte length and the data.
    #expect(
      structural { for i in 0..<11 { $0[bias + 4 + i] = 0x80 } }?.contains(
        "the byte length of 'bias' is a varint longer than 10 bytes") == true)
    // "codes": five 3-bit values in two bytes; the sixteenth bit is padding.
    let codes = try #require(Self.offset(of: "codes", in: v)) + 5
    let codesData = codes + 2 + 1 + 1 + 1  // dtype, bits, rank, dimension 5, byte length 2
    #expect(structural { $0[codesData + 1] |= 0x80 }?.contains("'codes' has padding bits set") == true)
    // Strings must be UTF-8.
    let gray = try #require(Self.offset(of: "gray", in: v))
    #expect(structural { $0[gray] = 0xC3 }?.contains("the colour mode is not valid UTF-8") == true)
    #expect(structural { $0[gray - 1] = 0x7F }?.contains("the colour mode needs 127 bytes") == true)
    // The header's own fields.
    #expect(structural { $0[10] = 2 } == prefix + "unknown model kind 2")
    #expect(structural { $0[11] = 1 } == prefix + "unknown flags 0x01")
    #expect(structural { $0[8] = 0 } == prefix + "format version 0 does not exist")
    // A length shorter than header and checksum (only the header checksum recomputed).
    var short = v
    short[12] = 27
    for i in 13..<20 { short[i] = 0 }
    var w = ByteWriter(bytes: short)
    w.patch(u32: CRC32.checksum(short, 0..<20), at: 20)
    #expect(
      refusal(w.bytes)?.reason
        == "structurally invalid: its header gives a length of 27 bytes, less than the 28 of header and checksum")
    // Sections: the wrong tag, a length that is too short or too long.
    #expect(
      structural { $0[24] = UInt8(ascii: "X") }?.contains("expected the metadata section (META), found 'XETA'") == true)
    #expect(structural { $0[28] -= 1 }?.contains("metadata section") == true)
    #expect(structural { $0[28] += 1 }?.contains("metadata section") == true)
    #expect(
      structural {
        $0[28] = 0xFF; $0[35] = 0x7F
      }?.contains("the metadata section claims") == true)
    // A huge count (varint FF FF FF 7F: 2²⁸ − 1) is refused before anything is allocated for it.
    let layers = try #require(Self.offset(of: "LAYR", in: v)) + 12
    #expect(
      structural {
        for i in 0..<3 { $0[layers + i] = 0xFF }; $0[layers + 3] = 0x7F
      } == prefix
        + """
        268,435,455 layers cannot fit in the \(Units.grouped(v.count - layers - 8)) bytes left (in the layer table \
        section)
        """
    )
    // The layer count 3 written non-minimally (83 00), with the section length grown to match.
    #expect(
      structural {
        $0[layers] = 0x83; $0.insert(0x00, at: layers + 1); $0[layers - 8] += 1
      } == prefix + "the count of layers is a varint with a non-minimal encoding (in the layer table section)")
    // Bytes between the last section and the checksum.
    #expect(
      structural { $0.insert(contentsOf: [1, 2, 3], at: $0.count - 4) } == prefix
        + "3 unexpected bytes after the layer table")
  }

  /// Random damage with the checksums recomputed, so that the parser itself is exercised: it must
  /// never crash, and whatever it accepts must re-encode to the very same bytes (one encoding per model).
  @Test func fuzzedStructureNeverCrashesAndAcceptedFilesAreCanonical() throws {
    var random = SeededRandom(seed: 77)
    var seeds = [Self.valid]
    for _ in 0..<6 { seeds.append(try ModelFileTests.randomModel(&random).encoded()) }
    var accepted = 0, refused = 0
    for round in 0..<3000 {
      var b = seeds[round % seeds.count]
      for _ in 0..<Int.random(in: 1...3, using: &random) {
        // The body, or the header's version/kind/flags, never the length (the reseal rewrites it).
        let region = Bool.random(using: &random) ? 8..<12 : 24..<max(25, b.count - 4)
        let at = Int.random(in: region, using: &random)
        switch Int.random(in: 0..<5, using: &random) {
        case 0: b[at] ^= UInt8(1) << UInt8.random(in: 0...7, using: &random)
        case 1: b[at] = UInt8.random(in: 0...255, using: &random)
        case 2: b[at] = [0x00, 0x01, 0x7F, 0x80, 0xFF][Int.random(in: 0..<5, using: &random)]
        case 3 where at >= 24: b.insert(UInt8.random(in: 0...255, using: &random), at: at)
        case 4 where at >= 24 && b.count > 29: b.remove(at: at)
        default: b[at] = ~b[at]
        }
      }
      let sealed = Self.resealed(b)
      do {
        let model = try ModelFile.decode(sealed)
        accepted += 1
        #expect(try model.encoded() == sealed, "round \(round)")
      } catch {
        refused += 1
        #expect(!error.reason.isEmpty)
        #expect(error.path == nil)
      }
    }
    // Both outcomes must occur for the test to mean anything.
    #expect(accepted > 100 && refused > 100, "accepted \(accepted), refused \(refused)")
  }
}
