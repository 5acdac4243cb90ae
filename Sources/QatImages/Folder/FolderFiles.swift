#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif
import CPNG

/// The class folders of a scan held open, and every file's name as a C string, so the decoding
/// workers open each image with one `openat` from its folder: no path is built, copied or walked
/// per file. The descriptors are closed when this goes away.
final class FolderFiles: Sendable {
  private let descriptors: [Int32]
  /// Every file's name, NUL-terminated, one after another; `starts[i]` is where file i's begins.
  private let names: [CChar]
  private let starts: [Int]
  private let folderOf: [Int]

  /// Opens the folders of `scan`; nil if one cannot be opened (the caller then reads by path).
  init?(scan: FolderScan, files: [FolderScan.File]) {
    var descriptors: [Int32] = []
    for folder in scan.folders {
      let fd = folder.withCString { open($0, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
      guard fd >= 0 else {
        for open in descriptors { close(open) }
        return nil
      }
      descriptors.append(fd)
    }
    var names: [CChar] = []
    var starts: [Int] = []
    var folderOf: [Int] = []
    names.reserveCapacity(files.reduce(0) { $0 + $1.raw.bytes.count })
    starts.reserveCapacity(files.count)
    for file in files {
      guard scan.folders.indices.contains(file.folder) else {
        for open in descriptors { close(open) }
        return nil
      }
      // The name is what follows the folder's path and its "/" in the file's path.
      let prefix = scan.folders[file.folder].bytes.count + 1
      starts.append(names.count)
      folderOf.append(file.folder)
      names += file.raw.bytes.dropFirst(prefix).map { CChar(bitPattern: $0) }
      names.append(0)
    }
    self.descriptors = descriptors
    self.names = names
    self.starts = starts
    self.folderOf = folderOf
  }

  deinit { for fd in descriptors { close(fd) } }

  /// Decodes file `index` and lends its pixels to `body` (valid only during the call).
  /// Throws `PNGError` with the same reason `PNGCodec.decode(path:)` gives for the file.
  func withDecoded<R>(_ index: Int, color: ColorRequest, _ body: (DecodedPixels) -> R) throws(PNGError) -> R {
    var result = qpng_image()
    names.withUnsafeBufferPointer { buffer in
      guard let base = buffer.baseAddress else { return }
      _ = qpng_decode_file_at(
        descriptors[folderOf[index]], base + starts[index], color.code, qpng_default_limits(), &result)
    }
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
