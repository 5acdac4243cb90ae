#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif
import CPNG

/// Every file of a scan by class folder and name, so the decoding workers open each image with one
/// `openat` from its folder (held open by the worker while it decodes that folder's files): no path
/// is built, copied or walked per file. Folders are opened by the workers, a chunk at a time, not
/// all at once: a dataset of a thousand classes must not take a thousand descriptors.
final class FolderFiles: Sendable {
  private let folders: [RawPath]
  /// Every file's name, NUL-terminated, one after another; `starts[i]` is where file i's begins.
  private let names: [CChar]
  private let starts: [Int]
  private let folderOf: [Int]

  /// The files of `scan`; nil if a file's folder is not among the scan's.
  init?(scan: FolderScan, files: [FolderScan.File]) {
    var names: [CChar] = []
    var starts: [Int] = []
    var folderOf: [Int] = []
    names.reserveCapacity(files.reduce(0) { $0 + $1.raw.bytes.count })
    starts.reserveCapacity(files.count)
    for file in files {
      guard scan.folders.indices.contains(file.folder) else { return nil }
      // The name is what follows the folder's path and its "/" in the file's path.
      let prefix = scan.folders[file.folder].bytes.count + 1
      starts.append(names.count)
      folderOf.append(file.folder)
      names += file.raw.bytes.dropFirst(prefix).lazy.map { CChar(bitPattern: $0) }
      names.append(0)
    }
    self.folders = scan.folders
    self.names = names
    self.starts = starts
    self.folderOf = folderOf
  }

  /// Decodes file `index` with a folder opened for this call only.
  func withDecoded<R>(_ index: Int, color: ColorRequest, _ body: (DecodedPixels) -> R) throws(PNGError) -> R {
    var open = OpenFolder()
    defer { open.release() }
    return try withDecoded(index, color: color, in: &open, body)
  }

  /// Decodes file `index` and lends its pixels to `body` (valid only during the call).
  /// Throws `PNGError` with the same reason `PNGCodec.decode(path:)` gives for the file.
  /// `open` is the caller's open folder: kept while the files are in it, switched when they are not.
  /// `stamp`, when given, receives the file's size and time from the decoder's `fstat` (-1 if not
  /// opened), whether it decodes or not.
  func withDecoded<R>(
    _ index: Int, color: ColorRequest, in open: inout OpenFolder, stamp: UnsafeMutablePointer<FileStamp>? = nil,
    _ body: (DecodedPixels) -> R
  ) throws(PNGError) -> R {
    let folder = folderOf[index]
    guard let descriptor = open.descriptor(folder, path: folders[folder]) else {
      // As reading by path says when the folder cannot be entered.
      throw PNGError(status: Int32(QPNG_ERR_IO), message: "cannot open the file")
    }
    var result = qpng_image()
    names.withUnsafeBufferPointer { buffer in
      guard let base = buffer.baseAddress else { return }
      _ = qpng_decode_file_at(descriptor, base + starts[index], color.code, qpng_default_limits(), &result)
    }
    stamp?.pointee = FileStamp(size: Int(result.file_size), modified: Int(result.file_modified_ns))
    defer { qpng_free(result.pixels) }
    guard result.status == Int32(QPNG_OK), let pixels = result.pixels else {
      throw PNGCodec.error(&result)
    }
    return body(
      DecodedPixels(
        width: Int(result.width), height: Int(result.height), channels: Int(result.channels),
        pixels: UnsafePointer(pixels)))
  }
}

/// A file's size and modification time (ns) as `fstat` gave them; -1 when unknown.
struct FileStamp: Sendable {
  var size = -1, modified = -1
}

/// The class folder a worker holds open: one descriptor at a time.
struct OpenFolder: ~Copyable {
  private var folder = -1
  private var fd: Int32 = -1

  /// The descriptor of folder number `folder` (at `path`), opened unless it is the one held; nil if
  /// it cannot be opened.
  mutating func descriptor(_ folder: Int, path: RawPath) -> Int32? {
    if folder != self.folder {
      release()
      fd = path.withCString { open($0, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
      self.folder = fd >= 0 ? folder : -1
    }
    return fd >= 0 ? fd : nil
  }

  /// Closes the folder held, if any.
  mutating func release() {
    if fd >= 0 { close(fd) }
    fd = -1
    folder = -1
  }

  deinit { if fd >= 0 { close(fd) } }
}

/// A decoded image borrowed from the C shim: rows top to bottom, channels interleaved.
struct DecodedPixels {
  var width: Int, height: Int, channels: Int
  var pixels: UnsafePointer<UInt8>

  var size: ImageSize { ImageSize(height: height, width: width) }
  var byteCount: Int { width * height * channels }

  /// A copy as a `PixelImage`, for the rare image that must be kept or converted.
  var image: PixelImage {
    PixelImage(
      width: width, height: height, channels: channels,
      pixels: Array(UnsafeBufferPointer(start: pixels, count: byteCount)))
  }
}
