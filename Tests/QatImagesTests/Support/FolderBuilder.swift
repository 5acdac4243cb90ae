import Foundation
@testable import QatImages

/// Builds image folders on disk for loader tests.
struct FolderBuilder {
  let root: String

  init() throws { root = try makeTemporaryDirectory() }

  /// Writes `image` as a PNG at `relative` (folders are created).
  func png(_ relative: String, _ image: PixelImage) throws {
    try bytes(relative, try PNGCodec.encode(image))
  }

  /// A gray image of `width × height` filled with `value`.
  func gray(_ relative: String, _ value: UInt8, width: Int = 2, height: Int = 2) throws {
    try png(
      relative,
      PixelImage(width: width, height: height, channels: 1, pixels: [UInt8](repeating: value, count: width * height)))
  }

  func bytes(_ relative: String, _ data: [UInt8]) throws {
    let path = root + "/" + relative
    try FileManager.default.createDirectory(
      atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    try Data(data).write(to: URL(fileURLWithPath: path))
  }

  func folder(_ relative: String) throws {
    try FileManager.default.createDirectory(atPath: root + "/" + relative, withIntermediateDirectories: true)
  }

  func remove() { try? FileManager.default.removeItem(atPath: root) }

  /// The builder's own cache, as a session would have.
  let cache = DatasetCache()

  func load(_ options: ImageFolderOptions = ImageFolderOptions()) throws -> ImageDataset {
    try ImageFolderLoader.load(root, options: options, cache: cache)
  }

  /// The error message loading gives, or nil if it loads.
  func loadError(_ options: ImageFolderOptions = ImageFolderOptions()) -> ImageFolderError? {
    do { _ = try load(options); return nil } catch let error as ImageFolderError { return error } catch { return nil }
  }
}
