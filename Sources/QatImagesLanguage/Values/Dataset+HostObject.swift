import Foundation
import QatImages
import QatOutput
import QatSupport
import QatsLanguage

/// `data = images(…)`: `data.train`, `data.test`, `data.classes`, `data.count`, `data.skipped`, …
extension ImageDataset: HostObject {
  public var typeName: String { "dataset" }

  /// "1797 PNG images, 10 classes, 8x8 gray · train 1437 / test 360 · 0.03 s".
  public var summary: String {
    var text =
      "\(count) PNG images, \(classes.count) \(classes.count == 1 ? "class" : "classes"), "
      + "\(train.width)x\(train.height) \(colorName) · train \(train.count) / test \(test.count) · "
      + Units.duration(seconds)
    if fromCache { text += " (cached)" }
    if !skipped.isEmpty { text += " · \(skipped.count) skipped" }
    return text
  }

  public var memberNames: [String] {
    ["train", "test", "classes", "count", "skipped", "shape", "color", "mean", "std", "path", "seconds"]
  }

  public func member(_ name: String) throws -> Value? {
    switch name {
    case "train": return .object(train)
    case "test": return .object(test)
    case "classes": return .list(classes.map(Value.string))
    case "count": return .int(count)
    case "skipped":
      return .list(skipped.map { .record(Record([("path", .string($0.path)), ("reason", .string($0.reason))])) })
    case "shape": return .list([.int(train.channels), .int(train.height), .int(train.width)])
    case "color": return .string(colorName)
    case "mean": return .list(train.mean.map(Value.float))
    case "std": return .list(train.std.map(Value.float))
    case "path": return .string(path)
    case "seconds": return .float(seconds)
    default: return nil
    }
  }

  public func plainValue() -> Value? {
    .record(
      Record([
        ("path", .string(path)), ("classes", .list(classes.map(Value.string))), ("count", .int(count)),
        ("train", .int(train.count)), ("test", .int(test.count)),
        ("shape", .list([.int(train.channels), .int(train.height), .int(train.width)])),
        ("color", .string(colorName)), ("mean", .list(train.mean.map(Value.float))),
        ("std", .list(train.std.map(Value.float))), ("skipped", .int(skipped.count)),
      ]))
  }

  /// The summary, images per class, the normalization, and one thumbnail per class.
  public func render(_ format: RenderFormat) -> String { render(format, withGrid: true) }

  /// The same, without the thumbnails when `withGrid` is false (`parts` shows them on their own).
  func render(_ format: RenderFormat, withGrid: Bool) -> String {
    let head = "dataset \(path): " + summary
    let trainCounts = train.countsPerClass, testCounts = test.countsPerClass
    let normalization =
      "normalized per channel by the train split: mean "
      + train.mean.map { String(format: "%.4f", $0) }.joined(separator: ", ") + ", std "
      + train.std.map { String(format: "%.4f", $0) }.joined(separator: ", ")
    let skippedLine =
      skipped.isEmpty
      ? nil : "\(skipped.count) files skipped (not PNG or damaged): `.skipped` lists each with its reason"
    let grid = ImageGridView(cells: thumbnails())
    switch format {
    case .text(let color, let width):
      let nameWidth = max(5, classes.map(\.count).max() ?? 0)
      func column(_ text: String) -> String {
        text.padding(toLength: max(nameWidth, text.count), withPad: " ", startingAt: 0)
      }
      var lines = [head, "  " + column("class") + "  train   test"]
      for (i, name) in classes.enumerated() {
        lines.append("  " + column(name) + String(format: "  %5d  %5d", trainCounts[i], testCounts[i]))
      }
      lines.append(normalization)
      if let skippedLine { lines.append(skippedLine) }
      return (lines + (withGrid ? [grid.render(.text(color: color, width: width))] : [])).joined(separator: "\n")
    case .markdown:
      var lines = ["**dataset** `\(path)`: " + summary, "", "| class | train | test |", "|---|--:|--:|"]
      for (i, name) in classes.enumerated() { lines.append("| \(name) | \(trainCounts[i]) | \(testCounts[i]) |") }
      lines += ["", normalization] + (skippedLine.map { ["", $0] } ?? [])
      if withGrid { lines += ["", grid.render(.markdown)] }
      return lines.joined(separator: "\n")
    case .html:
      var html =
        "<p>" + HTMLEscaping.escape(head)
        + "</p><table><thead><tr><th>class</th><th>train</th><th>test</th></tr></thead><tbody>"
      for (i, name) in classes.enumerated() {
        html +=
          """
          <tr><td>\(HTMLEscaping.escape(name))</td><td class=\"num\">\(trainCounts[i])</td><td \
          class=\"num\">\(testCounts[i])</td></tr>
          """
      }
      html += "</tbody></table><p>" + HTMLEscaping.escape(normalization) + "</p>"
      if let skippedLine { html += "<p>" + HTMLEscaping.escape(skippedLine) + "</p>" }
      return withGrid ? html + grid.render(.html) : html
    }
  }

  /// The first training image of each class (at most 12, so the row stays readable).
  func thumbnails() -> [(label: String, image: PixelImage)] {
    var firstOfClass: [Int: Int] = [:]
    for (i, label) in train.labels.enumerated() where firstOfClass[label] == nil { firstOfClass[label] = i }
    return classes.indices.prefix(12).compactMap { c in
      firstOfClass[c].map { (label: classes[c], image: train.displayImage($0)) }
    }
  }
}

/// A report takes a dataset apart so that a Markdown report can write its thumbnails as PNG files.
extension ImageDataset: CompositeRenderable {
  public var parts: [any Renderable] { [DatasetOverview(dataset: self), ImageGridView(cells: thumbnails())] }
}

/// A dataset's summary and class table without its thumbnails.
struct DatasetOverview: Renderable {
  let dataset: ImageDataset
  func render(_ format: RenderFormat) -> String { dataset.render(format, withGrid: false) }
}
