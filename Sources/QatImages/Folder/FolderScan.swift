import QatSupport

/// The files of an image folder, by class and split, before anything is decoded.
struct FolderScan: Sendable {
  /// One candidate image.
  struct File: Sendable, Hashable {
    /// The path for messages and values (escaped where it is not printable UTF-8).
    var path: String
    /// The path as the file system has it, to open.
    var raw: RawPath
    var classIndex: Int
    /// The class folder it is in (an index into `folders`), so it can be opened from there.
    var folder: Int
    /// Size and modification time (ns), for the cache; -1 when the scan did not look (`statFiles`).
    var size: Int
    var modified: Int
  }

  /// The layout found: `ROOT/<class>/…` or `ROOT/train/<class>/…` + `ROOT/test/<class>/…`.
  var hasFixedSplit: Bool
  /// Class names from the folder names, sorted (by their bytes); a name that is not printable
  /// UTF-8 is escaped (`PrintableName`).
  var classes: [String]
  /// With a fixed split, the training files; otherwise every file.
  var trainFiles: [File]
  /// With a fixed split, the test files; otherwise empty.
  var testFiles: [File]
  /// Entries that are not files (nested folders, sockets, broken links).
  var skipped: [SkippedFile]
  /// The class folders, train's then test's: `File.folder` indexes this.
  var folders: [RawPath] = []

  /// Scans `root`, or throws a clear error for a missing path, a folder without class folders,
  /// an empty class folder, or `train/` and `test/` with different classes. The class folders are
  /// listed on `threads` cores (a stat per file adds up at tens of thousands of files).
  /// Without `statFiles`, the files' sizes and times are left unknown (see `DirectoryListing`).
  static func scan(_ rootText: String, threads: Int = 1, statFiles: Bool = true) throws(ImageFolderError)
    -> FolderScan
  {
    let rawRoot = RawPath(rootText)
    let root = rawRoot.shown
    let kind = DirectoryListing.kind(of: rawRoot)
    guard kind.exists else {
      throw ImageFolderError(
        "there is no folder at '\(root)'",
        hint: nearbyFolder(rootText).map { "did you mean '\(PrintableName.of($0))'?" }
          ?? "check the path; it is relative to the current directory")
    }
    guard kind.isDirectory else {
      throw ImageFolderError(
        "'\(root)' is a file, not a folder", hint: "give the folder that holds one sub-folder per class")
    }
    guard let entries = DirectoryListing.entries(of: rawRoot) else {
      throw ImageFolderError("cannot read the folder '\(root)'", hint: "check its permissions")
    }
    let folders = entries.filter(\.isDirectory).map(\.name)
    if folders.contains("train") && folders.contains("test") {
      return try scanFixedSplit(rawRoot, threads: threads, statFiles: statFiles)
    }
    if folders.contains("train") != folders.contains("test") {
      let present = folders.contains("train") ? "train" : "test"
      let missing = present == "train" ? "test" : "train"
      throw ImageFolderError(
        "'\(root)' has a \(present)/ folder but no \(missing)/ folder",
        hint: "add \(root)/\(missing)/<class>/, or rename \(present)/ if it is a class")
    }
    var scan = FolderScan(hasFixedSplit: false, classes: [], trainFiles: [], testFiles: [], skipped: [])
    let classes = try classFolders(rawRoot, entries: entries)
    scan.classes = classes.map(\.name)
    scan.folders = classes.map { rawRoot.appending($0.rawName) }
    let listed = list(scan.folders, classCount: classes.count, threads: threads, statFiles: statFiles)
    scan.trainFiles = try files(listed[...], skipped: &scan.skipped)
    return scan
  }

  /// A sibling folder whose name is close to the missing one's ("samples/digitz" → "samples/digits").
  static func nearbyFolder(_ path: String) -> String? {
    let trimmed = path.hasSuffix("/") ? String(path.dropLast()) : path
    let slash = trimmed.lastIndex(of: "/")
    let parent = slash.map { String(trimmed[..<$0]) } ?? ""
    let name = slash.map { String(trimmed[trimmed.index(after: $0)...]) } ?? trimmed
    guard !name.isEmpty, let entries = DirectoryListing.entries(of: RawPath(parent.isEmpty ? "." : parent)) else {
      return nil
    }
    guard let guess = Suggest.nearest(to: name, in: entries.filter(\.isDirectory).map(\.name)) else { return nil }
    return slash == nil ? guess : parent + "/" + guess
  }

  private static func scanFixedSplit(_ root: RawPath, threads: Int, statFiles: Bool) throws(ImageFolderError)
    -> FolderScan
  {
    let trainRoot = root.appending(Array("train".utf8)), testRoot = root.appending(Array("test".utf8))
    guard let trainEntries = DirectoryListing.entries(of: trainRoot),
      let testEntries = DirectoryListing.entries(of: testRoot)
    else {
      throw ImageFolderError(
        "cannot read '\(trainRoot.shown)' or '\(testRoot.shown)'", hint: "check their permissions")
    }
    let trainClasses = try classFolders(trainRoot, entries: trainEntries)
    let testClasses = try classFolders(testRoot, entries: testEntries)
    if trainClasses.map(\.rawName) != testClasses.map(\.rawName) {
      let onlyTrain = trainClasses.filter { c in !testClasses.contains { $0.rawName == c.rawName } }.map(\.name)
      let onlyTest = testClasses.filter { c in !trainClasses.contains { $0.rawName == c.rawName } }.map(\.name)
      var parts: [String] = []
      if !onlyTrain.isEmpty { parts.append("only in train/: " + onlyTrain.joined(separator: ", ")) }
      if !onlyTest.isEmpty { parts.append("only in test/: " + onlyTest.joined(separator: ", ")) }
      throw ImageFolderError(
        "the class folders of '\(trainRoot.shown)' and '\(testRoot.shown)' differ (\(parts.joined(separator: "; ")))",
        hint: "train/ and test/ must hold the same class folders")
    }
    var scan = FolderScan(
      hasFixedSplit: true, classes: trainClasses.map(\.name), trainFiles: [], testFiles: [], skipped: [])
    scan.folders =
      trainClasses.map { trainRoot.appending($0.rawName) } + testClasses.map { testRoot.appending($0.rawName) }
    let listed = list(scan.folders, classCount: trainClasses.count, threads: threads, statFiles: statFiles)
    scan.trainFiles = try files(listed[..<trainClasses.count], skipped: &scan.skipped)
    scan.testFiles = try files(listed[trainClasses.count...], skipped: &scan.skipped)
    return scan
  }

  private static func classFolders(_ root: RawPath, entries: [DirectoryEntry]) throws(ImageFolderError)
    -> [DirectoryEntry]
  {
    let classes = entries.filter(\.isDirectory)
    if classes.isEmpty {
      let pngs = entries.filter { $0.isRegularFile && $0.name.lowercased().hasSuffix(".png") }.count
      let root = root.shown
      throw ImageFolderError(
        "'\(root)' has no class folders",
        hint: pngs > 0
          ? "it holds \(pngs) PNG files directly; put them in one sub-folder per class, named after the class"
          : "expected \(root)/<class>/*.png, or \(root)/train/<class>/… and \(root)/test/<class>/…")
    }
    return classes
  }

  /// One class folder's listing and its files, made on a worker.
  private struct Listed: Sendable {
    var folder: RawPath
    var entries: [DirectoryEntry]?
    var files: [File] = []
  }

  /// Lists every folder (folder `f` holds class `f % classCount`) on `threads` cores, in order.
  private static func list(_ folders: [RawPath], classCount: Int, threads: Int, statFiles: Bool) -> [Listed] {
    let out = UnsafeMutablePointer<Listed>.allocate(capacity: folders.count)
    out.initialize(repeating: Listed(folder: RawPath([]), entries: nil), count: folders.count)
    defer {
      out.deinitialize(count: folders.count)
      out.deallocate()
    }
    let shared = SharedBuffer(base: out)
    // Never interrupted: a listing takes milliseconds, and decoding checks Ctrl-C right after.
    try? Parallel.forEachChunk(count: folders.count, chunk: 1, threads: threads) { range in
      for f in range {
        let folder = folders[f]
        let shownFolder = folder.shown
        var listed = Listed(folder: folder, entries: DirectoryListing.entries(of: folder, stat: statFiles))
        listed.files = (listed.entries ?? []).filter(\.isRegularFile).map {
          let raw = folder.appending($0.rawName)
          return File(
            path: shownPath(shownFolder, $0.rawName), raw: raw, classIndex: f % max(1, classCount), folder: f,
            size: $0.size, modified: $0.modified)
        }
        shared.base[f] = listed
      }
    }
    return Array(UnsafeBufferPointer(start: out, count: folders.count))
  }

  /// `files` with their sizes and times: `stamps[i]` where known (the decoder's `fstat`), else a
  /// `stat` of the path, as a scan with `statFiles` would have found them (0 if it fails).
  static func stamped(_ files: [File], _ stamps: [FileStamp]? = nil) -> [File] {
    files.enumerated().map { i, file in
      var file = file
      if let stamp = stamps?[i], stamp.size >= 0 {
        (file.size, file.modified) = (stamp.size, stamp.modified)
      } else if file.size < 0 {
        (file.size, file.modified) = DirectoryListing.stamp(of: file.raw) ?? (0, 0)
      }
      return file
    }
  }

  /// `folder/name` shown (`RawPath.shown`) from the folder already shown: "/" always ends a UTF-8
  /// sequence, so the parts escape as the whole does. A name of printable ASCII (nearly every image's)
  /// is taken as it is, without validating and scanning it as Unicode.
  static func shownPath(_ folder: String, _ name: [UInt8]) -> String {
    let plain = name.allSatisfy { $0 >= 0x20 && $0 < 0x7F }
    return folder + "/" + (plain ? String(decoding: name, as: UTF8.self) : PrintableName.of(bytes: name))
  }

  /// The files of listed class folders, in order; errors are raised in folder order.
  private static func files(_ listed: ArraySlice<Listed>, skipped: inout [SkippedFile]) throws(ImageFolderError)
    -> [File]
  {
    var out: [File] = []
    out.reserveCapacity(listed.reduce(0) { $0 + $1.files.count })
    for folder in listed {
      guard let entries = folder.entries else {
        throw ImageFolderError(
          "cannot read the class folder '\(folder.folder.shown)'", hint: "check its permissions")
      }
      for entry in entries where !entry.isRegularFile {
        skipped.append(
          SkippedFile(
            path: folder.folder.appending(entry.rawName).shown,
            reason: entry.isDirectory ? "a folder inside a class folder (only files are read)" : "not a regular file"))
      }
      if folder.files.isEmpty {
        throw ImageFolderError(
          "the class folder '\(folder.folder.shown)' has no files", hint: "put PNG images in it, or remove it")
      }
      out += folder.files
    }
    return out
  }
}
