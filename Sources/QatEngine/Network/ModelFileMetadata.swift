import QatModelFile

/// What a model file says about its model besides the layers: the input and its normalization, the
/// class names, how an integer program was made, and the accuracy known when the model was saved.
/// This is the one place that writes these into a file's header fields and string properties and
/// reads them back, typed and checked (docs/model-format.md, "Layer table contents").
public struct ModelFileMetadata: Equatable, Sendable {
  /// An integer program's method and bits, and the activation that holds its logits.
  public struct IntegerProgram: Equatable, Sendable {
    public var info: IntegerProgramInfo
    public var output: Int

    public init(info: IntegerProgramInfo, output: Int) {
      self.info = info
      self.output = output
    }
  }

  /// The input the model expects.
  public var input: ActivationShape
  /// Per-channel normalization, `(x − mean) / std`.
  public var mean: [Double]
  public var std: [Double]
  /// Label i is `classNames[i]`; empty when the model has none.
  public var classNames: [String]
  /// Integer files: their program's description, nil when the file lacks it. Nil in fp32 files.
  public var program: IntegerProgram?
  /// The accuracy (0…1) known when the model was saved.
  public var accuracy: Double?

  public init(
    input: ActivationShape, mean: [Double], std: [Double], classNames: [String], program: IntegerProgram? = nil,
    accuracy: Double? = nil
  ) {
    self.input = input
    self.mean = mean
    self.std = std
    self.classNames = classNames
    self.program = program
    self.accuracy = accuracy
  }

  /// Property keys, in the order they are written.
  enum Key {
    static let method = "method", weightBits = "weight_bits", activationBits = "act_bits", output = "output"
    /// Mixed precision only: "8,4,4,2", each conv/dense layer's width in order (older files lack it).
    static let layerBits = "layer_bits"
    static let accuracy = "accuracy"
    static let equalized = "equalized", biasCorrected = "bias_corrected"
    static let rounding = "rounding"
  }

  /// Sets the file's input shape, colour mode, normalization and class names, and replaces its
  /// properties with the program's description (if any) and then the accuracy (if known).
  public func write(into file: inout ModelFile) {
    file.inputShape = input.dimensions
    file.colorMode = input.channels == 1 ? "gray" : input.channels == 3 ? "rgb" : "channels"
    file.mean = mean
    file.std = std
    file.classNames = classNames
    file.properties = []
    if let program {
      file.properties += [
        .init(Key.method, program.info.method.rawValue), .init(Key.weightBits, "\(program.info.weightBits)"),
        .init(Key.activationBits, "\(program.info.activationBits)"), .init(Key.output, "\(program.output)"),
      ]
      // Written only when set, so files made without them are byte for byte what they were.
      if !program.info.layerBits.isEmpty {
        file.properties.append(.init(Key.layerBits, program.info.layerBits.map(String.init).joined(separator: ",")))
      }
      if program.info.equalized { file.properties.append(.init(Key.equalized, "true")) }
      if program.info.biasCorrected { file.properties.append(.init(Key.biasCorrected, "true")) }
      if program.info.adaRounded { file.properties.append(.init(Key.rounding, WeightRounding.adaround.rawValue)) }
    }
    if let accuracy { file.properties.append(.init(Key.accuracy, "\(accuracy)")) }
  }

  /// The metadata of `file`, refused when its input is not [C, H, W] or its normalization does not fit
  /// its channels. A program description that is missing or out of range leaves `program` nil (see
  /// `integerProgram()`); an accuracy that is not a number in 0…1 is ignored.
  public init(reading file: ModelFile) throws(ModelFileReason) {
    let d = file.inputShape
    guard d.count == 3, d.allSatisfy({ (1...4_096).contains($0) }), d[0] <= 64 else {
      throw ModelFileReason("its input shape \(d) is not [C, H, W]")
    }
    guard file.mean.count == d[0], file.std.count == d[0], file.mean.allSatisfy(\.isFinite),
      file.std.allSatisfy({ $0.isFinite && $0 > 0 })
    else {
      throw ModelFileReason("its normalization does not fit its \(d[0]) channels")
    }
    input = ActivationShape(channels: d[0], height: d[1], width: d[2])
    mean = file.mean
    std = file.std
    classNames = file.classNames
    program = nil
    if file.kind == .integer, let method = file.property(Key.method).flatMap(QuantMethod.init(rawValue:)),
      let weightBits = file.property(Key.weightBits).flatMap(Int.init), QuantRange.modelBits.contains(weightBits),
      let activationBits = file.property(Key.activationBits).flatMap(Int.init),
      QuantRange.modelBits.contains(activationBits),
      let output = file.property(Key.output).flatMap(Int.init)
    {
      // Widths for display only (each step carries its own); anything malformed reads as uniform.
      let widths = (file.property(Key.layerBits) ?? "").split(separator: ",").prefix(100_000).compactMap { Int($0) }
      let layerBits = widths.allSatisfy(QuantRange.modelBits.contains) ? widths : []
      var info = IntegerProgramInfo(
        method: method, weightBits: weightBits, activationBits: activationBits, layerBits: layerBits)
      info.equalized = file.property(Key.equalized) == "true"
      info.biasCorrected = file.property(Key.biasCorrected) == "true"
      info.adaRounded = file.property(Key.rounding) == WeightRounding.adaround.rawValue
      program = IntegerProgram(info: info, output: output)
    }
    accuracy = file.property(Key.accuracy).flatMap(Double.init).flatMap { (0...1).contains($0) ? $0 : nil }
  }

  /// The integer program's description, or why an integer file cannot be run without it.
  public func integerProgram() throws(ModelFileReason) -> IntegerProgram {
    guard let program else { throw ModelFileReason("it lacks the method, bits or output of its integer program") }
    return program
  }

  /// Refuses class names that do not match the model's `outputs` (no class names always fit).
  public func checkClassNames(outputs: Int) throws(ModelFileReason) {
    guard classNames.isEmpty || classNames.count == outputs else {
      throw ModelFileReason("it names \(classNames.count) classes but the model has \(outputs) outputs")
    }
  }
}
