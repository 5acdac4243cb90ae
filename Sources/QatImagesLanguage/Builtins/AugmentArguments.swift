import QatImages
import QatSupport
import QatsLanguage

/// The `augment:` and `crop:` arguments, shared by `train` and `augmented` so both accept and refuse
/// the same things with the same words.
public enum AugmentArguments {
  /// `augment:` — one name or a list of names.
  public static var augmentType: ParameterType {
    .oneOf([.choice(Augmentation.names), .listOf(.choice(Augmentation.names))])
  }

  /// The declaration of `augment:`, optional (off) for `train`.
  public static var augmentParameter: Parameter {
    .optional(
      "augment", augmentType,
      "\"flip\" (mirror left to right, p = 0.5) and/or \"crop\" (pad with black, crop back at a random offset), "
        + "applied to training batches only")
  }

  /// The declaration of `crop:`.
  public static var cropParameter: Parameter {
    .optional(
      "crop", .int, default: .int(Augmentation.defaultPadding),
      "pixels of black padding on each side before the random crop (the image keeps its size)")
  }

  /// The augmentation the call asks for (inactive when `augment` is not given), checked against
  /// images of `height` × `width`.
  public static func augmentation(_ call: BuiltinCall, height: Int, width: Int) throws -> Augmentation {
    var names: [String] = []
    switch call.value("augment") {
    case .string(let name): names = [name]
    case .list(let items):
      for case .string(let name) in items {
        guard !names.contains(name) else {
          throw call.error(
            "`augment` lists \"\(name)\" twice", argument: "augment", hint: "name each augmentation once")
        }
        names.append(name)
      }
    default: break
    }
    let cropping = names.contains("crop")
    guard cropping || !call.isGiven("crop") else {
      throw call.error(
        "`crop` sets the padding of the \"crop\" augmentation, which `augment` does not list", argument: "crop",
        hint: "add \"crop\" to `augment`: augment: [\"flip\", \"crop\"], crop: \(call.int("crop"))")
    }
    var padding = 0
    if cropping {
      padding = call.int("crop")
      let limit = Augmentation.maxPadding(height: height, width: width)
      guard padding >= 1, padding <= limit else {
        let range = limit >= 1 ? "between 1 and \(limit)" : "at least 1 and below the image's side"
        // Each crop must keep a row and a column of the image; the usual choice is an eighth of the side.
        let usual = min(Augmentation.defaultPadding, max(1, min(height, width) / 8))
        let hint =
          limit >= 1
          ? "crop: \(usual) pads \(usual) black pixels on each side (crop: 4 on 32x32 is the CIFAR recipe); "
            + "leave \"crop\" out of `augment` for no crop"
          : "images one pixel on a side cannot be cropped; leave \"crop\" out of `augment`"
        throw call.error(
          "`crop` must be \(range) for \(width)x\(height) images, got \(padding)\(call.isGiven("crop") ? "" : " (the default)")",
          argument: "crop", hint: hint)
      }
    }
    return Augmentation(flip: names.contains("flip"), padding: padding)
  }
}
