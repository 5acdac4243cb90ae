import Foundation

/// Loaded datasets, kept for a session: loading the same folder with the same options again
/// is free unless a file was added, removed or changed (names, sizes and modification times are
/// compared, so an edited image is reloaded). Each session owns one, so sessions never see each
/// other's data (and tests stay independent).
public final class DatasetCache: @unchecked Sendable {
  public init() {}

  /// What must match for a cached dataset to be reused.
  struct Key: Hashable {
    var path: String
    var options: ImageFolderOptions
    var fingerprint: Int

    init(path: String, options: ImageFolderOptions, files: [FolderScan.File]) {
      self.path = (path as NSString).standardizingPath
      var options = options
      options.threads = 0  // the thread count never changes the result
      self.options = options
      var hasher = Hasher()
      hasher.combine(files.count)
      // The raw path's bytes in one call each (not byte by byte, as File's own hash would): this
      // runs on every load, for every file. The shown path, class and folder follow from them.
      for file in files {
        file.raw.bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
        hasher.combine(file.raw.bytes.count)
        hasher.combine(file.size)
        hasher.combine(file.modified)
      }
      self.fingerprint = hasher.finalize()
    }
  }

  /// Kept small: a long session that loads many folders should not hold them all.
  let capacity = 8
  private let lock = NSLock()
  private var entries: [(key: Key, dataset: ImageDataset)] = []

  /// Whether a dataset of `path` loaded with `options` is kept (whatever its files): only then must
  /// the scan take every file's size and time to compare.
  func mayHold(path: String, options: ImageFolderOptions) -> Bool {
    var options = options
    options.threads = 0
    let path = (path as NSString).standardizingPath
    lock.lock()
    defer { lock.unlock() }
    return entries.contains { $0.key.path == path && $0.key.options == options }
  }

  func lookup(_ key: Key) -> ImageDataset? {
    lock.lock()
    defer { lock.unlock() }
    guard let index = entries.firstIndex(where: { $0.key == key }) else { return nil }
    let entry = entries.remove(at: index)
    entries.append(entry)  // most recently used last
    return entry.dataset
  }

  func store(_ key: Key, _ dataset: ImageDataset) {
    lock.lock()
    defer { lock.unlock() }
    entries.removeAll { $0.key == key }
    entries.append((key, dataset))
    if entries.count > capacity { entries.removeFirst(entries.count - capacity) }
  }

  /// Forgets everything.
  public func removeAll() {
    lock.lock()
    defer { lock.unlock() }
    entries.removeAll()
  }
}
