import QatImages
import QatOutput
import QatsLanguage

/// `data.train` / `data.test`: counts, labels, and `split[i]` for one image.
extension ImageSplit: HostObject {
  public var typeName: String { "split" }

  /// "train: 1437 images, 10 classes, 8x8 gray".
  public var summary: String {
    "\(name): \(count) images, \(classes.count) classes, \(width)x\(height) \(channels == 1 ? "gray" : "rgb")"
  }

  public var memberNames: [String] { ["count", "classes", "counts", "labels", "paths", "shape", "name"] }

  public func member(_ member: String) throws -> Value? {
    switch member {
    case "count": return .int(count)
    case "classes": return .list(classes.map(Value.string))
    case "counts":
      let counts = countsPerClass
      return .record(Record(classes.enumerated().map { ($0.element, Value.int(counts[$0.offset])) }))
    case "labels": return .list(labels.map(Value.int))
    case "paths": return .list(paths.map(Value.string))
    case "shape": return .list([.int(channels), .int(height), .int(width)])
    case "name": return .string(name)
    default: return nil
    }
  }

  /// `split[i]` (negative counts from the end), or nil for a non-integer key.
  public func index(_ key: Value) throws -> Value? {
    guard case .int(let i) = key else { return nil }
    let resolved = i < 0 ? count + i : i
    guard resolved >= 0, resolved < count else {
      throw ImageIndexError(
        message: "image \(i) is out of range: the \(name) split has \(count) images (0 to \(count - 1))")
    }
    return .object(ImageSample(split: self, index: resolved))
  }

  public func plainValue() -> Value? {
    .record(
      Record([
        ("name", .string(name)), ("count", .int(count)), ("classes", .list(classes.map(Value.string))),
        ("shape", .list([.int(channels), .int(height), .int(width)])),
      ]))
  }

  public func render(_ format: RenderFormat) -> String {
    let counts = countsPerClass
    let line =
      summary + " · " + classes.enumerated().map { "\($0.element): \(counts[$0.offset])" }.joined(separator: ", ")
    return PlainText(line).render(format)
  }

  /// `n` images spread evenly over the split (indices ⌊i·count/n⌋), labelled with their class.
  func sample(_ n: Int) -> [(label: String, image: PixelImage)] {
    let n = min(n, count)
    return (0..<n).map { i in
      let index = i * count / max(1, n)
      return (label: classes[labels[index]], image: displayImage(index))
    }
  }
}

/// An index outside a split.
struct ImageIndexError: Error, CustomStringConvertible {
  var message: String
  var description: String { message }
}

/// `data.test[3]`: one image with its label, shown as a thumbnail.
public final class ImageSample: HostObject {
  /// The split the image belongs to, and its position there.
  public let split: ImageSplit
  public let index: Int

  init(split: ImageSplit, index: Int) {
    self.split = split
    self.index = index
  }

  public var typeName: String { "image" }
  public var label: Int { split.labels[index] }

  public var summary: String {
    """
    \(split.name)[\(index)]: class \(split.classes[label]) · \(split.width)x\(split.height) \
    \(split.channels == 1 ? "gray" : "rgb") · \(split.paths[index])
    """
  }

  public var memberNames: [String] { ["label", "class", "path", "shape", "values", "pixels"] }

  public func member(_ name: String) throws -> Value? {
    switch name {
    case "label": return .int(label)
    case "class": return .string(split.classes[label])
    case "path": return .string(split.paths[index])
    case "shape": return .list([.int(split.channels), .int(split.height), .int(split.width)])
    case "values": return .list(split.values(index).map { Value.float32($0) })
    case "pixels":
      // 8-bit, channel-major like `values`, normalization undone.
      let image = split.displayImage(index)
      let plane = image.width * image.height
      return .list(
        (0..<(plane * image.channels)).map { k in .int(Int(image.pixels[(k % plane) * image.channels + k / plane])) })
    default: return nil
    }
  }

  public func plainValue() -> Value? {
    .record(
      Record([("label", .int(label)), ("class", .string(split.classes[label])), ("path", .string(split.paths[index]))]))
  }

  public func render(_ format: RenderFormat) -> String { grid.render(format) }

  var grid: ImageGridView {
    ImageGridView(
      title: summary, cells: [(label: split.classes[label], image: split.displayImage(index))], targetWidth: 16)
  }
}

/// A report looks through a sample to its thumbnail, so a Markdown report writes it as a PNG file.
extension ImageSample: CompositeRenderable {
  public var parts: [any Renderable] { [grid] }
}
