#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif
import QatSupport

/// A path as the file system has it: bytes, which need not be UTF-8 (a folder copied from an
/// old system may have a Latin-1 name). Paths are built and opened as bytes and only shown as
/// text, escaped (`PrintableName`), so no file is lost to a name a `String` cannot hold.
struct RawPath: Sendable, Hashable {
  var bytes: [UInt8]

  init(_ bytes: [UInt8]) { self.bytes = bytes }
  init(_ text: String) { bytes = Array(text.utf8) }

  /// `self/name`.
  func appending(_ name: [UInt8]) -> RawPath {
    var joined: [UInt8] = []  // one allocation: this runs for every file of a folder
    joined.reserveCapacity(bytes.count + 1 + name.count)
    joined += bytes
    joined.append(UInt8(ascii: "/"))
    joined += name
    return RawPath(joined)
  }

  /// The path for messages and values: the text, with anything unprintable escaped.
  var shown: String { PrintableName.of(bytes: bytes) }

  /// Calls `body` with the path as a C string.
  func withCString<R>(_ body: (UnsafePointer<CChar>) -> R) -> R {
    let terminated = bytes.map { CChar(bitPattern: $0) } + [0]
    return terminated.withUnsafeBufferPointer { buffer in
      guard let base = buffer.baseAddress else { return body("") }
      return body(base)
    }
  }
}

/// One entry of a folder, with what the cache fingerprint needs.
struct DirectoryEntry: Sendable, Hashable {
  /// The name's bytes, as the folder holds them.
  var rawName: [UInt8]
  var isDirectory: Bool
  var isRegularFile: Bool
  var size: Int
  var modified: Int

  /// The name for messages and class names (escaped where it is not printable UTF-8). Made when
  /// asked: only folder names and skipped entries are shown, never the tens of thousands of images.
  var name: String { PrintableName.of(bytes: rawName) }
}

/// Lists folders with POSIX calls: FileManager's attributes cost ~10 µs a file, which matters
/// when a folder holds tens of thousands of images.
enum DirectoryListing {
  /// What is at `path`: nil if nothing, else whether it is a folder.
  static func kind(of path: RawPath) -> (exists: Bool, isDirectory: Bool) {
    var info = stat()
    guard path.withCString({ stat($0, &info) }) == 0 else { return (false, false) }
    return (true, (info.st_mode & S_IFMT) == S_IFDIR)
  }

  /// Byte order (a shorter name first when it is a prefix), by memcmp: the generic
  /// `lexicographicallyPrecedes` costs more than the rest of a 7,000-file listing's sort.
  static func precedes(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    let common = min(a.count, b.count)
    let order = a.withUnsafeBufferPointer { a in
      b.withUnsafeBufferPointer { b in
        guard let x = a.baseAddress, let y = b.baseAddress else { return Int32(0) }
        return memcmp(x, y, common)
      }
    }
    return order != 0 ? order < 0 : a.count < b.count
  }

  /// The size and modification time of the file at `path` (following links), or nil.
  static func stamp(of path: RawPath) -> (size: Int, modified: Int)? {
    var info = stat()
    guard path.withCString({ stat($0, &info) }) == 0 else { return nil }
    return (Int(info.st_size), Int(info.st_mtim.tv_sec) &* 1_000_000_000 &+ Int(info.st_mtim.tv_nsec))
  }

  /// The visible entries of the folder at `path` (names starting with "." are skipped), sorted
  /// by name in byte order so the result is the same on every machine. Nil if it cannot be read.
  /// Without `stat`, an entry the folder itself says is a regular file or a folder is taken at its
  /// word, with size and time -1 (unknown): a first load needs no `fstatat` per image (the decoder's
  /// `fstat` gives them); links and entries of unknown kind are still looked at.
  static func entries(of path: RawPath, stat withStat: Bool = true) -> [DirectoryEntry]? {
    guard let directory = path.withCString({ opendir($0) }) else { return nil }
    defer { closedir(directory) }
    var listed: [(name: [UInt8], type: UInt8)] = []
    while let entry = readdir(directory) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in Array(raw.prefix { $0 != 0 }) }
      if name.first == UInt8(ascii: ".") || name.isEmpty { continue }
      listed.append((name, entry.pointee.d_type))
    }
    listed.sort { precedes($0.name, $1.name) }
    let folder = dirfd(directory)
    // One buffer for every name as a C string: no allocation per entry.
    var cName = [CChar](repeating: 0, count: (listed.map(\.name.count).max() ?? 0) + 1)
    return listed.map { name, type in
      if !withStat && (type == UInt8(DT_REG) || type == UInt8(DT_DIR)) {
        return DirectoryEntry(
          rawName: name, isDirectory: type == UInt8(DT_DIR), isRegularFile: type == UInt8(DT_REG), size: -1,
          modified: -1)
      }
      var info = stat()
      // fstatat from the open folder: the path is not walked again for each of its files. It
      // follows links (as stat, not lstat): a symlink to a folder of images counts as that folder.
      // It never opens, so a named pipe is seen for what it is without waiting on it.
      let found = cName.withUnsafeMutableBufferPointer { buffer -> Bool in
        guard let base = buffer.baseAddress else { return false }
        for (i, byte) in name.enumerated() { base[i] = CChar(bitPattern: byte) }
        base[name.count] = 0
        return fstatat(folder, base, &info, 0) == 0
      }
      guard found else {
        return DirectoryEntry(rawName: name, isDirectory: false, isRegularFile: false, size: 0, modified: 0)
      }
      let type = info.st_mode & S_IFMT
      return DirectoryEntry(
        rawName: name, isDirectory: type == S_IFDIR, isRegularFile: type == S_IFREG,
        size: Int(info.st_size), modified: Int(info.st_mtim.tv_sec) &* 1_000_000_000 &+ Int(info.st_mtim.tv_nsec))
    }
  }
}
