import QatImages
import QatSupport
import QatsLanguage

extension ImageBuiltins {
  /// `augmented(data.train, ["flip", "crop"])`: augmented copies of a few images, to see what
  /// `train(…, augment:)` does to them.
  static var augmented: Builtin {
    Builtin(
      "augmented", topic: "data",
      summary:
        """
        Augmented copies of a few images, exactly as `train(…, augment:)` changes training images: `n` images \
        spread over a dataset's training split or a split (the ones `show(…, n:)` picks), or `n` variants of one \
        image. Returns a split; `show(augmented(data.train, ["flip", "crop"]))` draws it beside \
        `show(data.train, n: 8)`.
        """,
      parameters: [
        .required(
          "images", .object(["dataset", "split", "image"]), "a dataset (its train split), a split, or one image"),
        .required(
          "augment", AugmentArguments.augmentType, "\"flip\" and/or \"crop\", as `train(…, augment:)` takes them"),
        AugmentArguments.cropParameter,
        .optional("n", .positiveInt, default: .int(8), "how many images (at most 256)"),
        .optional("seed", .nonNegativeInt, "seeds the random choices (default: the session's seed)"),
      ],
      returns: "split"
    ) { call in
      guard case .object(let object) = call.value("images") else { return .none }
      let n = min(call.int("n"), 256)
      let split: ImageSplit
      let indices: [Int]
      switch object {
      case let dataset as ImageDataset:
        split = dataset.train
        indices = spread(n, over: split.count)
      case let given as ImageSplit:
        split = given
        indices = spread(n, over: split.count)
      case let image as ImageSample:
        split = image.split
        indices = Array(repeating: image.index, count: n)
      default:
        return .none
      }
      let augmentation = try AugmentArguments.augmentation(call, height: split.height, width: split.width)
      let seed = call.optionalInt("seed").map { UInt64($0) } ?? call.interpreter.seed
      return .object(split.augmented(indices, with: augmentation, seed: seed, name: "augmented \(split.name)"))
    }
  }

  /// ⌊i · count / n⌋ for i < min(n, count): the images `show(split, n:)` draws.
  static func spread(_ n: Int, over count: Int) -> [Int] {
    let n = min(n, count)
    return (0..<n).map { $0 * count / max(1, n) }
  }
}
