import Foundation
import QatImages
import QatOutput
import QatSupport
import QatsLanguage

/// The image built-ins: `images` loads a folder, `show` draws a sample grid.
public enum ImageBuiltins {
  /// Every built-in of this module, for a session's registry.
  public static func all() -> [Builtin] { [images, show, augmented] }

  static var images: Builtin {
    Builtin(
      "images", topic: "data",
      summary:
        """
        Loads a folder of PNG images: ROOT/<class>/*.png (split by `split:` with a seeded stratified draw) or \
        ROOT/train/<class>/… and ROOT/test/<class>/… (a fixed split). Classes are the folder names, sorted; images \
        are resized and normalized by the training split's per-channel mean and std. Files that are not PNG or are \
        damaged are skipped and listed in `.skipped`.
        """,
      parameters: [
        .required("path", .string, "the folder"),
        .optional(
          "size", .oneOf([.positiveInt, .listOf(.positiveInt)]),
          "resize to N x N, or [height, width] (default: the most common size in the folder)"),
        .optional(
          "color", .choice(["auto", "gray", "rgb"]), default: .string("auto"),
          "\"gray\", \"rgb\", or \"auto\" (gray only if every image is gray)"),
        .optional(
          "split", .number, default: .float(0.2),
          "the share of each class held out for testing, between 0 and 1 (folders without train/ and test/)"),
        .optional("seed", .nonNegativeInt, "seeds the split (default: the session's seed)"),
      ],
      returns: "dataset"
    ) { call in
      let path = call.inputPath("path")
      var options = ImageFolderOptions(threads: call.interpreter.computeThreads())
      options.size = try size(call)
      switch call.string("color") {
      case "gray": options.color = .gray
      case "rgb": options.color = .rgb
      default: options.color = .auto
      }
      options.testFraction = call.double("split")
      guard options.testFraction > 0, options.testFraction < 1 else {
        throw call.error(
          "`split` must lie strictly between 0 and 1, got \(ValueView(call.value("split")).render(.plain))",
          argument: "split",
          hint: "0.2 holds out a fifth of each class for testing")
      }
      options.seed = call.optionalInt("seed").map { UInt64($0) } ?? call.interpreter.seed
      let dataset: ImageDataset
      do {
        dataset = try ImageFolderLoader.load(
          path, options: options, cache: cache(of: call.interpreter),
          isInterrupted: call.interpreter.interruptCheck, budget: call.interpreter.memoryBudget)
      } catch let error as ImageMemoryError {
        throw call.error(error.message, argument: error.sizeGiven ? "size" : "path", hint: error.hint)
      } catch let error as ImageFolderError {
        throw call.error(error.message, argument: "path", hint: error.hint)
      } catch is LoadInterrupted {
        throw QatsError(.interrupted, "loading stopped by Ctrl-C", at: call.location)
      }
      if dataset.hasFixedSplit && call.isGiven("split") {
        throw call.error(
          "'\(path)' already has train/ and test/ folders, so `split` does not apply", argument: "split",
          hint: "leave `split` out to use the folder's own split")
      }
      if !dataset.skipped.isEmpty {
        let n = dataset.skipped.count
        call.emit(
          PlainText(
            """
            warning: \(n) \(n == 1 ? "file" : "files") skipped (not PNG or damaged); `.skipped` lists each with its \
            reason
            """
          ))
      }
      return .object(dataset)
    }
  }

  /// Where the session keeps its dataset cache.
  static let cacheKey = SessionKey<DatasetCache>("images.cache")

  /// The session's dataset cache, made on first use.
  static func cache(of interpreter: Interpreter) -> DatasetCache {
    interpreter.sessionObject(cacheKey, orMake: DatasetCache.init)
  }

  /// `size: 28` or `size: [28, 32]` (height, width).
  static func size(_ call: BuiltinCall) throws -> ImageSize? {
    guard call.isGiven("size") else { return nil }
    let side: (Int, Int)
    switch call.value("size") {
    case .int(let n): side = (n, n)
    case .list(let items):
      guard items.count == 2, case .int(let h) = items[0], case .int(let w) = items[1] else {
        throw call.error("`size` must be one number or [height, width]", argument: "size")
      }
      side = (h, w)
    default:
      throw call.error("`size` must be one number or [height, width]", argument: "size")
    }
    guard side.0 <= 4096, side.1 <= 4096 else {
      throw call.error(
        "`size` is limited to 4096 on a side", argument: "size", hint: "small images train in seconds; try 28 or 32")
    }
    return ImageSize(height: side.0, width: side.1)
  }

  static var show: Builtin {
    Builtin(
      "show", topic: "data",
      summary:
        """
        Draws images: a dataset or split as a grid of `n` images spread over it, labelled with their class \
        (half-block thumbnails in the terminal, real images in reports); an image on its own.
        """,
      parameters: [
        .required(
          "images", .object(["dataset", "split", "image"]), "a dataset (its train split), a split, or one image"),
        .optional("n", .positiveInt, default: .int(16), "how many images to draw (at most 256)"),
        .optional("path", .string, "also write the grid as a PNG file here"),
      ]
    ) { call in
      let n = min(call.int("n"), 256)
      guard case .object(let object) = call.value("images") else { return .none }
      let grid: ImageGridView
      switch object {
      case let dataset as ImageDataset:
        grid = ImageGridView(
          title: "\(dataset.train.name): \(min(n, dataset.train.count)) of \(dataset.train.count) images",
          cells: dataset.train.sample(n))
      case let split as ImageSplit:
        grid = ImageGridView(
          title: "\(split.name): \(min(n, split.count)) of \(split.count) images", cells: split.sample(n))
      case let image as ImageSample:
        grid = ImageGridView(
          title: image.summary,
          cells: [(label: image.split.classes[image.label], image: image.split.displayImage(image.index))])
      default:
        return .none
      }
      // Write first: a failed write then reports its error without a grid printed before it.
      let wrote = call.isGiven("path") ? try writeMosaic(grid, to: call.string("path"), call) : nil
      call.emit(grid)
      if let wrote { call.emit(PlainText(wrote)) }
      return .none
    }
  }

  /// Writes the grid's images as one PNG, atomically; returns the line that says so.
  static func writeMosaic(_ grid: ImageGridView, to path: String, _ call: BuiltinCall) throws -> String? {
    guard path.lowercased().hasSuffix(".png") else {
      throw call.error("`path` must name a .png file, got '\(path)'", argument: "path")
    }
    guard let mosaic = ImageMosaic.compose(grid.cells.map(\.image)) else { return nil }
    do {
      let png = try PNGCodec.encode(mosaic)
      try AtomicFile.write(Data(png), to: path)
      return "wrote \(path) (\(mosaic.width)x\(mosaic.height), \(Units.bytes(png.count)))"
    } catch let error as AtomicFile.Failure {
      throw call.error(error.description, argument: "path")
    } catch let error as PNGError {
      throw call.error("cannot encode the grid: \(error.reason)", argument: "path")
    }
  }
}
