#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// One entry of a folder, with what the cache fingerprint needs.
struct DirectoryEntry: Sendable, Hashable {
  var name: String
  var isDirectory: Bool
  var isRegularFile: Bool
  var size: Int
  var modified: Int
}

/// Lists folders with POSIX calls: FileManager's attributes cost ~10 µs a file, which matters
/// when a folder holds tens of thousands of images.
enum DirectoryListing {
  /// What is at `path`: nil if nothing, else whether it is a folder.
  static func kind(of path: String) -> (exists: Bool, isDirectory: Bool) {
    var info = stat()
    guard stat(path, &info) == 0 else { return (false, false) }
    return (true, (info.st_mode & S_IFMT) == S_IFDIR)
  }

  /// The visible entries of the folder at `path` (names starting with "." are skipped), sorted
  /// by name in byte order so the result is the same on every machine. Nil if it cannot be read.
  static func entries(of path: String) -> [DirectoryEntry]? {
    guard let directory = opendir(path) else { return nil }
    defer { closedir(directory) }
    var names: [String] = []
    while let entry = readdir(directory) {
      let name = withUnsafePointer(to: &entry.pointee.d_name) { pointer in
        pointer.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
      }
      if name.hasPrefix(".") { continue }
      names.append(name)
    }
    names.sort { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    return names.map { name in
      var info = stat()
      // stat (not lstat): a symlink to a folder of images counts as that folder.
      guard stat(path + "/" + name, &info) == 0 else {
        return DirectoryEntry(name: name, isDirectory: false, isRegularFile: false, size: 0, modified: 0)
      }
      let type = info.st_mode & S_IFMT
      return DirectoryEntry(
        name: name, isDirectory: type == S_IFDIR, isRegularFile: type == S_IFREG,
        size: Int(info.st_size), modified: Int(info.st_mtim.tv_sec) &* 1_000_000_000 &+ Int(info.st_mtim.tv_nsec))
    }
  }
}
