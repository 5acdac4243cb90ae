import QatEngine
import QatModelFile
import QatSupport
import QatsLanguage

/// A model value to and from its file (SPEC §5.6): this picks what the model value holds — the network
/// or integer program, the normalization and class names of its input, its known accuracy — and the
/// engine writes and reads the layer tables and the typed metadata (`ModelFileMetadata`).
enum ModelFileMapping {
  /// Why a model cannot be saved or a file does not make a model (the message says what to do).
  struct Refusal: Error {
    let message: String
    let hint: String?
  }

  static func file(for model: ModelValue) throws(Refusal) -> ModelFile {
    if let (message, hint) = model.refusal(.savable, operation: "save") { throw Refusal(message: message, hint: hint) }
    guard let program = model.program else { throw Refusal(message: "the model has nothing to save", hint: nil) }
    let specs = model.network?.layers.map(\.spec) ?? model.specs
    if let (spec, problem) = ModelFileLimits.firstProblem(specs) {
      throw Refusal(
        message: "its layer `\(spec.description)` is beyond what a model file holds: \(problem)",
        hint: "`load` could not read it back; use a smaller layer (limits: docs/model-format.md)")
    }
    if let problem = ModelFileLimits.countProblem(specs, steps: model.integer?.stepCount ?? 0) {
      throw Refusal(message: problem, hint: "`load` could not read it back; use fewer layers")
    }
    let input = model.input ?? InputDescription(shape: program.inputShape)
    let classes = input.classes ?? []
    if let integer = model.integer {
      // The program is read back as `load` reads it (its memory aside: it was made here), so that a
      // program beyond the file's limits is refused now rather than when it is loaded.
      if case .failure(let reason) = IntegerNetwork.fromFileLayers(
        integer.fileLayers(), info: integer.info, output: integer.outputIndex, budget: Int.max)
      {
        throw Refusal(
          message: "its integer program could not be loaded back: \(reason.reason)",
          hint: "this is a limit of the model file format (docs/model-format.md); use smaller layers or images")
      }
      return .integer(
        integer, specs: specs, mean: input.mean, std: input.std,
        classNames: classes, accuracy: model.knownAccuracy)
    }
    guard let network = model.network else { throw Refusal(message: "the model has nothing to save", hint: nil) }
    return .fp32(network, mean: input.mean, std: input.std, classNames: classes, accuracy: model.knownAccuracy)
  }

  /// The model a file describes, or why it does not make one; its memory is checked against `budget`
  /// before anything runs.
  static func model(from file: ModelFile, budget: Int = MemoryBudget.bytes) throws(Refusal) -> ModelValue {
    do throws(ModelFileReason) {
      let metadata = try ModelFileMetadata(reading: file)
      var input = InputDescription(shape: metadata.input)
      input.mean = metadata.mean
      input.std = metadata.std
      input.classes = metadata.classNames.isEmpty ? nil : metadata.classNames
      let value: ModelValue
      switch file.kind {
      case .fp32:
        let (network, specs) = try Network.fromFileLayers(file.layers, input: metadata.input, budget: budget).get()
        value = ModelValue(specs: specs, locations: [:], network: network, input: input)
      case .integer:
        let split = file.layers.firstIndex { $0.type.hasPrefix("q.") } ?? file.layers.count
        let specs = try LayerSpecFile.read(Array(file.layers[..<split])).get()
        let description = try metadata.integerProgram()
        let program = try IntegerNetwork.fromFileLayers(
          Array(file.layers[split...]), info: description.info, output: description.output, budget: budget
        ).get()
        guard program.inputShape == metadata.input else {
          throw ModelFileReason("its integer program does not take its input shape")
        }
        value = ModelValue(specs: specs, locations: [:], network: nil, integer: program, input: input)
      }
      if let outputs = value.program?.outputShape.elements { try metadata.checkClassNames(outputs: outputs) }
      value.knownAccuracy = metadata.accuracy
      value.loaded = true
      return value
    } catch {
      throw Refusal(message: error.reason, hint: error.hint ?? "save the model again with this version of qat-repl")
    }
  }
}
