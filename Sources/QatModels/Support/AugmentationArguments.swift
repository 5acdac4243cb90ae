import QatEngine
import QatImages
import QatImagesLanguage
import QatsLanguage

/// `quantize(…, method: "qat", augment: ["flip", "crop"])`: augmented batches in QAT's fine-tuning.
extension ModelArguments {
  /// The augmentation of QAT's fine-tuning, or nil when `augment` is not given. Refused with PTQ
  /// (nothing trains) and with a teacher, whose outputs were computed once on the images as they are
  /// and would no longer match what the student sees.
  static func fineTuningAugmentation(
    _ call: BuiltinCall, config: QuantizationConfig, split: ImageSplit, model: ModelValue, teacher: Bool
  ) throws -> TrainingAugmentation? {
    let augmentation = try AugmentArguments.augmentation(call, height: split.height, width: split.width)
    guard augmentation.isActive else { return nil }
    guard config.method == .qat else {
      throw call.error(
        "`augment` changes training images, and PTQ does not train", argument: "augment",
        hint: "quantize(net, data, method: \"qat\", augment: [\"flip\", \"crop\"])")
    }
    guard !teacher else {
      throw call.error(
        "`augment` cannot be combined with `teacher`: the teacher's outputs are computed once on the images as they "
          + "are, not on their augmented copies", argument: "augment",
        hint: "leave out one of them")
    }
    return TrainingAugmentation(augmentation, fill: DataBinding.blackValues(split, for: model))
  }
}
