import CPNG
import Foundation

/// Why a PNG could not be read or written. `reason` is a sentence for the user; the path is
/// added by whoever knows it.
public struct PNGError: Error, Sendable, Equatable, CustomStringConvertible {
  /// What went wrong, in the terms of the file (not the code).
  public enum Kind: Sendable, Equatable { case io, notPNG, tooLarge, corrupt, memory }
  public var kind: Kind
  public var reason: String
  public var description: String { reason }

  init(status: Int32, message: String) {
    switch status {
    case Int32(QPNG_ERR_IO): kind = .io
    case Int32(QPNG_ERR_NOT_PNG): kind = .notPNG
    case Int32(QPNG_ERR_TOO_LARGE): kind = .tooLarge
    case Int32(QPNG_ERR_MEMORY): kind = .memory
    default: kind = .corrupt
    }
    reason = message.isEmpty ? "unreadable PNG" : message
  }
}

/// The colour an image is decoded to.
public enum ColorRequest: Sendable, Hashable {
  /// The file's own kind: gray for gray, gray+alpha and all-gray palettes, RGB otherwise.
  case auto
  /// 8-bit gray (Rec. 601 from colour).
  case gray
  /// 8-bit RGB (gray replicated).
  case rgb

  var code: Int32 {
    switch self {
    case .auto: return Int32(QPNG_AUTO)
    case .gray: return Int32(QPNG_GRAY)
    case .rgb: return Int32(QPNG_RGB)
    }
  }
}

/// What a decoded file looked like before conversion (for tests and inspection).
public struct PNGSourceInfo: Sendable, Equatable {
  public var bitDepth: Int
  public var colorType: Int
  public var interlaced: Bool
}

/// Reads and writes PNG files through libpng (the CPNG shim owns every `setjmp`).
public enum PNGCodec {
  /// Decodes the PNG file at `path`. Throws `PNGError` with the reason; never traps.
  public static func decode(path: String, color: ColorRequest = .auto) throws(PNGError) -> PixelImage {
    try decodeWithInfo(path: path, color: color).image
  }

  /// Decodes and also reports the file's bit depth, colour type and interlacing.
  public static func decodeWithInfo(path: String, color: ColorRequest = .auto) throws(PNGError) -> (
    image: PixelImage, source: PNGSourceInfo
  ) {
    try decodeWithInfo(rawPath: RawPath(path), color: color)
  }

  /// Decodes the file at a path given as bytes (a name read from a folder need not be UTF-8).
  static func decode(rawPath: RawPath, color: ColorRequest = .auto) throws(PNGError) -> PixelImage {
    try decodeWithInfo(rawPath: rawPath, color: color).image
  }

  static func decodeWithInfo(rawPath: RawPath, color: ColorRequest) throws(PNGError) -> (
    image: PixelImage, source: PNGSourceInfo
  ) {
    var result = qpng_image()
    rawPath.withCString { _ = qpng_decode_file($0, color.code, qpng_default_limits(), &result) }
    return try take(&result)
  }

  /// Decodes a PNG held in memory.
  public static func decode(data: [UInt8], color: ColorRequest = .auto) throws(PNGError) -> PixelImage {
    var result = qpng_image()
    data.withUnsafeBufferPointer { buffer in
      _ = qpng_decode_memory(buffer.baseAddress, buffer.count, color.code, qpng_default_limits(), &result)
    }
    return try take(&result).image
  }

  /// Moves the C result into Swift values and releases the C buffer.
  private static func take(_ result: inout qpng_image) throws(PNGError) -> (image: PixelImage, source: PNGSourceInfo) {
    defer { qpng_free(result.pixels); result.pixels = nil }
    guard result.status == Int32(QPNG_OK), let pixels = result.pixels else { throw error(&result) }
    let count = Int(result.width) * Int(result.height) * Int(result.channels)
    let image = PixelImage(
      width: Int(result.width), height: Int(result.height), channels: Int(result.channels),
      pixels: Array(UnsafeBufferPointer(start: pixels, count: count)))
    let source = PNGSourceInfo(
      bitDepth: Int(result.bit_depth), colorType: Int(result.color_type),
      interlaced: result.interlaced != 0)
    return (image, source)
  }

  /// The error a failed C result reports, with its message.
  static func error(_ result: inout qpng_image) -> PNGError {
    let message = withUnsafeBytes(of: &result.message) { raw in
      String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
    }
    return PNGError(status: result.status, message: message)
  }

  /// Encodes 8-bit pixels (1 gray, 2 gray+alpha, 3 RGB or 4 RGBA channels) as PNG bytes.
  public static func encode(_ image: PixelImage, compressionLevel: Int = 6) throws(PNGError) -> [UInt8] {
    guard image.width > 0, image.height > 0, (1...4).contains(image.channels),
      image.pixels.count == image.width * image.height * image.channels
    else {
      throw PNGError(
        status: Int32(QPNG_ERR_IO),
        message: "cannot encode a \(image.width) x \(image.height) image with \(image.channels) channels")
    }
    var data: UnsafeMutablePointer<UInt8>? = nil
    var size = 0
    var message = [CChar](repeating: 0, count: 200)
    let status = image.pixels.withUnsafeBufferPointer { buffer in
      qpng_encode(
        buffer.baseAddress, UInt32(image.width), UInt32(image.height), Int32(image.channels),
        Int32(compressionLevel), &data, &size, &message, message.count)
    }
    defer { qpng_free(data) }
    guard status == Int32(QPNG_OK), let data else {
      let text = String(decoding: message.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
      throw PNGError(status: status, message: text)
    }
    return Array(UnsafeBufferPointer(start: data, count: size))
  }

  /// The libpng version the shim was built against.
  public static var libpngVersion: String { String(cString: qpng_libpng_version()) }
}
