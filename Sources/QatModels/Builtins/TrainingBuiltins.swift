import Foundation
import QatEngine
import QatImages
import QatImagesLanguage
import QatOutput
import QatSupport
import QatsLanguage

/// `train`, `evaluate` and `predict`.
enum TrainingBuiltins {
  static func all() -> [Builtin] { [train, evaluate, predict] }

  static var train: Builtin {
    Builtin(
      "train", topic: "models",
      summary:
        """
        Trains the model — in fp32, or with fake quantization for a model from `prepare` (quantization-aware \
        training, freezing on its schedule) — on the data's training split (or the split given): shuffled \
        mini-batches from the session's seed, a progress bar on a terminal and a line per epoch. Ctrl-C stops at \
        the next batch with the weights of the last finished batch; a NaN or infinite loss (or, with fake \
        quantization, a NaN or infinite activation) stops training with the weights restored to their last finite \
        state. `augment: ["flip", "crop"]` mirrors and crops each training image on the fly (seeded, the same on \
        any number of threads; never in evaluation); `augmented(…)` shows what that does.
        """,
      parameters: [
        .required("model", .object(["model"]), "the model to train (changed in place)"),
        .required("data", DataBinding.dataTypes, "a dataset (its training split is used) or a split"),
        .optional("epochs", .positiveInt, default: .int(10), "passes over the data"),
        .optional("lr", .positiveNumber, default: .float(0.05), "learning rate"),
        .optional("batch", .positiveInt, default: .int(32), "images per step"),
        .optional(
          "optimizer", .choice(["sgd", "adam"]), default: .string("sgd"),
          "\"sgd\" (with momentum) or \"adam\" (β = 0.9, 0.999)"),
        .optional("momentum", .nonNegativeNumber, default: .float(0.9), "SGD momentum, in [0, 1)"),
        .optional("weight_decay", .nonNegativeNumber, default: .float(0), "L2 penalty added to every gradient"),
        .optional(
          "schedule", .choice(Schedule.allCases.map(\.rawValue)), default: .string("constant"),
          "\"constant\", \"step\" (×0.1 after each third of the epochs) or \"cosine\" (down to 0)"),
        AugmentArguments.augmentParameter,
        AugmentArguments.cropParameter,
      ]
    ) { call in
      guard let model = ModelArguments.model(call), let split = DataBinding.split(call.value("data"), for: .fit)
      else {
        return .none
      }
      try ModelArguments.checkEpochs(call)
      let momentum = call.double("momentum")
      guard momentum < 1 else { throw call.error("`momentum` must be below 1, got \(momentum)", argument: "momentum") }
      guard call.double("lr").isFinite else { throw call.error("`lr` must be finite", argument: "lr") }
      try model.require(.trainable, call: call)
      try requireClasses(split, call: call)
      let network = try DataBinding.network(model, for: split, call: call, argument: "data")
      let images = DataBinding.images(split, for: model, interpreter: call.interpreter)
      // A batch larger than the data is the whole data: the same single batch per epoch.
      let batch = min(call.int("batch"), max(1, split.count))
      let needed = network.memory.bytes(images: batch)
      let budget = call.interpreter.memoryBudget
      guard MemoryBudget.fits(needed, budget: budget) else {
        throw call.error(
          "a batch of \(Units.grouped(batch)) images \(MemoryBudget.excess(needed, budget: budget)) for this model",
          argument: "batch", hint: "use a smaller batch (32 is the usual choice)")
      }
      let augmentation = try AugmentArguments.augmentation(call, height: split.height, width: split.width)
      let options = TrainingOptions(
        epochs: call.int("epochs"), learningRate: call.double("lr"), batchSize: batch,
        optimizer: call.string("optimizer") == "adam" ? .adam : .sgd(momentum: momentum),
        weightDecay: call.double("weight_decay"), schedule: Schedule(rawValue: call.string("schedule")) ?? .constant,
        threads: call.interpreter.computeThreads(),
        augmentation: augmentation.isActive
          ? TrainingAugmentation(augmentation, fill: DataBinding.blackValues(split, for: model)) : nil)
      try TrainingRun.run(network, on: images, options: options, call: call)
      return .none
    }
  }

  /// Refuses training data whose images are all of one class: there is nothing to tell apart, and the
  /// loss reaches zero at once.
  static func requireClasses(_ split: ImageSplit, call: BuiltinCall) throws {
    let present = Set(split.labels)
    guard present.count == 1, let only = present.first else { return }
    let named = only < split.classes.count ? " ('\(PrintableName.of(split.classes[only]))')" : ""
    throw call.error(
      "the training images are all of one class\(named): a classifier needs at least two classes to learn",
      argument: "data", hint: "give the data a folder of images for each of at least two classes")
  }

  /// Trains `network` and turns an interruption or divergence into the language's error.
  /// - Parameter label: when given, epochs are not listed and the progress bar starts with it.

  static var evaluate: Builtin {
    Builtin(
      "evaluate", topic: "models",
      summary:
        """
        Accuracy and mean loss of the model (fp32, prepared or quantized) on the data's test split (or the split \
        given), in evaluation mode; `confusion: true` adds the confusion matrix. `.predictions` is every image's \
        class in the split's order, `.per_image` the same as a table (path, class, label, correct) and `.logits` \
        a table of path, class and every logit, which `scripts/check-onnx --predictions` compares too.
        """,
      parameters: [
        .required("model", .object(["model"]), "the model"),
        .required("data", DataBinding.dataTypes, "a dataset (its test split is used) or a split"),
        .optional("confusion", .bool, default: .bool(false), "also count every (true class, predicted class) pair"),
      ],
      returns: "evaluation"
    ) { call in
      guard let model = ModelArguments.model(call),
        let split = DataBinding.split(call.value("data"), for: .measure)
      else {
        return .none
      }
      try DataBinding.requireImages(split, call: call, argument: "data")
      let program = try DataBinding.program(model, for: split, call: call, argument: "data")
      let images = DataBinding.images(split, for: model, interpreter: call.interpreter)
      var predictions: [Int32] = []
      // Every image's logits stay for `.logits` (images × classes floats: far less than the images).
      let logits = FloatBuffer(count: max(1, images.count &* program.outputShape.elements))
      let result = program.evaluate(
        images, pool: call.workerPool, batch: 256,
        predictions: &predictions, logits: logits.pointer)
      var confusion: [[Int]]?
      if call.bool("confusion") {
        var matrix = Array(repeating: Array(repeating: 0, count: split.classes.count), count: split.classes.count)
        for (label, predicted) in zip(split.labels, predictions) where Int(predicted) < split.classes.count {
          matrix[label][Int(predicted)] += 1
        }
        confusion = matrix
      }
      let total = max(1, result.count)
      return .object(
        EvaluationValue(
          accuracy: Double(result.correct) / Double(total), loss: result.lossSum / Double(total),
          correct: result.correct, total: result.count, classes: split.classes, confusion: confusion,
          predictions: predictions.map { Int($0) }, labels: split.labels, paths: split.paths,
          logits: Array(logits.array.prefix(images.count &* program.outputShape.elements))))
    }
  }

  static var predict: Builtin {
    Builtin(
      "predict", topic: "models",
      summary:
        """
        The model's class for one image — an image from a split (`data.test[0]`) or the path of a PNG file, \
        prepared like the training images (a note says when its size or colour mode had to be converted) — \
        with its confidence and every class's probability. It shows `class 3 · 99.8 %` and the most probable \
        classes as bars; its members are `label`, `class`, `confidence`, `true_label` (for an image from a \
        split) and `probabilities`.
        """,
      parameters: [
        .required("model", .object(["model"]), "the model"),
        .required("image", .oneOf([.object(["image"]), .string]), "an image (`data.test[i]`) or a PNG path"),
      ],
      returns: "prediction"
    ) { call in
      guard let model = ModelArguments.model(call) else { return .none }
      let pixels: [Float]
      let description: InputDescription
      var label: Int?
      switch call.value("image") {
      case .object(let object):
        guard let sample = object as? ImageSample else { return .none }
        description = model.input ?? InputDescription(split: sample.split)
        pixels = Array(sample.split.values(sample.index))
        label = sample.label
        _ = try DataBinding.program(model, for: sample.split, call: call, argument: "image")
      case .string(let given):
        let path = call.interpreter.inputPath(given)
        guard let known = model.input, model.program != nil else {
          throw call.error(
            "the model has not seen any images yet, so it cannot prepare a file", argument: "model",
            hint: "define it with model(data) { … } or train it first")
        }
        description = known
        let prepared: ImagePreparation.Prepared
        do throws(PNGError) {
          prepared = try ImagePreparation.prepare(
            path: path, channels: known.shape.channels, height: known.shape.height,
            width: known.shape.width, mean: known.mean, std: known.std)
        } catch {
          throw call.error("cannot read '\(path)': \(error.reason)", argument: "image")
        }
        pixels = prepared.pixels
        // Emitted (not kept in the value) so it shows once, before the result, and is recorded in
        // reports like any other output of the cell.
        if let note = prepared.conversionNote { call.interpreter.output.emit(PlainText(note)) }
      default:
        return .none
      }
      guard let program = model.inferenceProgram else { return .none }
      let classes = program.outputShape.elements
      let input = LabeledImages(nchw: pixels, labels: [0], shape: program.inputShape)
      let logits = FloatBuffer(count: classes)
      var predictions: [Int32] = []
      // The session's pool, like every other path; one image is one task, which the pool runs on
      // this thread, so a prediction never starts a worker whatever the limit.
      _ = program.evaluate(
        input, pool: call.workerPool, batch: 1, predictions: &predictions, logits: logits.pointer)
      let top = logits.array.max() ?? 0
      let exps = logits.array.map { Foundation.exp(Double($0 - top)) }
      let total = exps.reduce(0, +)
      let probabilities = exps.map { $0 / total }
      let best = Int(predictions.first ?? 0)
      let names = description.classes ?? (0..<classes).map(String.init)
      return .object(PredictionValue(best: best, names: names, probabilities: probabilities, trueLabel: label))
    }
  }
}
