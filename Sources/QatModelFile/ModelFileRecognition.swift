/// What to say about a file whose first bytes are not the model file signature: damage to the
/// signature itself (text-mode or 7-bit transfers, a flipped byte) or another kind of file.
enum ModelFileRecognition {
  static func refusal(_ b: [UInt8], path: String?) -> ModelFileError {
    let magic = ModelFile.magic
    let binary = "copy the file again in binary mode (scp, rsync, or FTP's `binary`); or save the model again"
    // CR LF became LF, or LF became CR LF (either only the lone LF, or every LF): the classic
    // damage the signature's CR LF … LF is there to reveal, as in PNG.
    let crlfToLF: [UInt8] = [0x89, 0x51, 0x4E, 0x54, 0x0A, 0x1A, 0x0A]
    let lfToCRLF: [[UInt8]] = [
      [0x89, 0x51, 0x4E, 0x54, 0x0D, 0x0A, 0x1A, 0x0D, 0x0A],
      [0x89, 0x51, 0x4E, 0x54, 0x0D, 0x0D, 0x0A, 0x1A, 0x0D, 0x0A],
    ]
    if b.starts(with: crlfToLF) || lfToCRLF.contains(where: { b.starts(with: $0) }) {
      return ModelFileError(
        .corrupted, path: path,
        reason: "a qat-repl model file damaged by a text-mode transfer (its line endings were converted)", hint: binary)
    }
    if b.count >= magic.count, b[0] == 0x09, b[1..<magic.count].elementsEqual(magic[1...]) {
      return ModelFileError(
        .corrupted, path: path,
        reason: "a qat-repl model file damaged by a 7-bit transfer (the high bit of each byte was cleared)",
        hint: binary)
    }
    // Another known kind of file first: PNG's signature shares six bytes with ours.
    let kind = looksLike(b)
    // Seven of the eight signature bytes in place: this was a model file, and one byte is damaged.
    if kind == nil || kind == "text", b.count >= magic.count, zip(b, magic).filter({ $0 == $1 }).count >= 7 {
      return ModelFileError(
        .corrupted, path: path, reason: "a qat-repl model file whose signature is damaged",
        hint: "the file was damaged after it was saved; save the model again or use a good copy")
    }
    let looks = kind.map { " (it looks like \($0))" } ?? ""
    return ModelFileError(
      .foreign, path: path, reason: "this is not a qat-repl model file\(looks)",
      hint: "give the path of a .\(ModelFile.fileExtension) file saved by qat-repl")
  }

  /// A short name for common file kinds, from their first bytes.
  static func looksLike(_ b: [UInt8]) -> String? {
    let signatures: [([UInt8], String)] = [
      ([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], "a PNG image"),
      ([0xFF, 0xD8, 0xFF], "a JPEG image"),
      (Array("GIF8".utf8), "a GIF image"),
      (Array("PK\u{03}\u{04}".utf8), "a ZIP archive, such as a PyTorch .pt file"),
      ([0x1F, 0x8B], "gzip-compressed data"),
      ([0x7F, 0x45, 0x4C, 0x46], "a program (ELF)"),
      (Array("%PDF".utf8), "a PDF document"),
    ]
    for (signature, name) in signatures where b.starts(with: signature) { return name }
    if b.count >= 2, b[0] == 0x80, (2...5).contains(b[1]) { return "a Python pickle" }
    return isText(b.prefix(512)) ? "text" : nil
  }

  /// UTF-8 without control characters other than tab, line feed, form feed and carriage return.
  /// The sample may end inside a multi-byte character, so up to three trailing bytes are forgiven.
  static func isText(_ sample: ArraySlice<UInt8>) -> Bool {
    guard !sample.isEmpty else { return false }
    if sample.contains(where: { $0 < 0x20 && ![0x09, 0x0A, 0x0C, 0x0D].contains($0) || $0 == 0x7F }) { return false }
    for cut in 0...min(3, sample.count - 1) where String(validating: sample.dropLast(cut), as: UTF8.self) != nil {
      return true
    }
    return false
  }
}
