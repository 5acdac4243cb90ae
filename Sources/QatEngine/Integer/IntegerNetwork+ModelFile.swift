import CKernels
import QatModelFile
import QatSupport

/// An integer program in a model file's layer table: one "q.activation" entry per activation (its
/// shape and grid), then one entry per step. Requantization multipliers are not stored: they are
/// derived again from the stored scales, with the same arithmetic as the compiler, so a loaded program
/// computes exactly what the saved one did. Layout details: docs/model-format.md.
extension IntegerNetwork {
  /// The activation table is one entry (a row of seven integers and a scale per activation, the
  /// quantization points' names joined by newlines), then one entry per step: per-entry overhead is
  /// what dominates a 2-bit file of a small network.
  public func fileLayers() -> [ModelFile.Layer] {
    var table: [Int32] = []
    for a in activations {
      let s = a.shape
      table += [
        s.channels, s.height, s.width, s.isFlat ? 1 : 0, Int(a.params.zeroPoint), a.params.range.bits,
        a.name == nil ? 0 : 1,
      ].map(Int32.init)
    }
    let grids = ModelFile.Layer(
      type: "q.activations", name: activations.map { $0.name ?? "" }.joined(separator: "\n"),
      tensors: [
        ModelFile.Tensor(name: "table", shape: [activations.count, 7], data: .int32(table)),
        ModelFile.Tensor(name: "scale", shape: [activations.count], data: .float32(activations.map(\.params.scale))),
      ])
    return [grids] + ops.map(\.fileLayer)
  }

  /// The program a layer table describes, checked entry by entry (shapes, indices, ranges), so that a
  /// crafted file cannot make a kernel read out of bounds.
  /// `budget` bounds the working memory of an evaluation pass (`IntegerNetwork.roundImages` images at
  /// once), checked before the program runs.
  public static func fromFileLayers(
    _ entries: [ModelFile.Layer], info: IntegerProgramInfo, output: Int, budget: Int = MemoryBudget.bytes
  ) -> Result<IntegerNetwork, ModelFileReason> {
    do throws(ModelFileReason) {
      guard let table = entries.first, table.type == "q.activations" else {
        throw ModelFileReason("the integer program has no activation table")
      }
      let activations = try Self.activations(table)
      let steps = entries.dropFirst()
      guard !activations.isEmpty, !steps.isEmpty else { throw ModelFileReason("the integer program is empty") }
      if steps.count > ModelFileLimits.layers {
        throw ModelFileLimits.tooMany("its integer program has \(Units.grouped(steps.count)) steps")
      }
      var decoder = IntegerStepDecoder(activations: activations)
      let ops = try steps.map { entry throws(ModelFileReason) in try decoder.step(entry) }
      // Working memory per image, allocated when the program first runs: a crafted table must not
      // be able to ask for more than a plausible model needs.
      let perImage = activations.reduce(0) { $0 + $1.shape.elements } + ops.reduce(0) { $0 + $1.scratchBytesPerImage }
      guard perImage <= 1 << 27 else {
        throw ModelFileReason("its program would need \(perImage) bytes of working memory per image")
      }
      guard activations.indices.contains(output), decoder.produced.contains(output) else {
        throw ModelFileReason("the program's output is not one of its activations")
      }
      let program = IntegerNetwork(activations: activations, ops: ops, output: output, info: info)
      let images = Self.roundImages
      let needed = program.workingBytes(images: images)
      guard MemoryBudget.fits(needed, budget: budget) else {
        throw ModelFileReason(
          "its integer program \(MemoryBudget.excess(needed, budget: budget)) of working memory for \(images) images",
          hint: "it is too large to run here; run it on a machine with more memory (the budget is half of it)")
      }
      return .success(program)
    } catch {
      return .failure(error)
    }
  }

  static func activations(_ entry: ModelFile.Layer) throws(ModelFileReason) -> [IntegerActivation] {
    guard case .int32(let table)? = entry.tensor(named: "table")?.data,
      case .float32(let scales)? = entry.tensor(named: "scale")?.data,
      table.count == 7 * scales.count, !scales.isEmpty
    else {
      throw ModelFileReason("its activation table is malformed")
    }
    let names = entry.name.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    guard names.count == scales.count else { throw ModelFileReason("its activation table is malformed") }
    return try scales.indices.map { i throws(ModelFileReason) in
      let n = table[(7 * i)..<(7 * i + 7)].map(Int64.init)
      guard (1...1 << 20).contains(n[0]), (1...4_096).contains(n[1]), (1...4_096).contains(n[2]),
        n[0] * n[1] * n[2] <= 1 << 24,
        QuantRange.modelBits.contains(Int(n[5])), (0...1).contains(n[3]), (0...1).contains(n[6])
      else {
        throw ModelFileReason("an activation entry is malformed")
      }
      let range = QuantRange(bits: Int(n[5]), signed: false)
      let scale = scales[i]
      guard scale.isFinite, scale > 0, (Int64(range.qmin)...Int64(range.qmax)).contains(n[4]) else {
        throw ModelFileReason("an activation's scale or zero point is out of range")
      }
      let shape =
        n[3] == 1
        ? ActivationShape(features: Int(n[0]))
        : ActivationShape(channels: Int(n[0]), height: Int(n[1]), width: Int(n[2]))
      return IntegerActivation(
        shape: shape, params: QuantParams(scale: scale, zeroPoint: Int32(n[4]), range: range),
        name: n[6] == 1 ? names[i] : nil)
    }
  }
}

extension ModelFile {
  /// The file of an integer program: the layer specs it was made from (to show them), then the program;
  /// its metadata describes the program and gives the accuracy it was measured at if known.
  public static func integer(
    _ program: IntegerNetwork, specs: [LayerSpec], mean: [Double], std: [Double],
    classNames: [String], accuracy: Double? = nil
  ) -> ModelFile {
    var file = ModelFile(kind: .integer, layers: LayerSpec.fileLayers(specs) + program.fileLayers())
    let description = ModelFileMetadata.IntegerProgram(info: program.info, output: program.outputIndex)
    ModelFileMetadata(
      input: program.inputShape, mean: mean, std: std, classNames: classNames, program: description,
      accuracy: accuracy
    ).write(into: &file)
    return file
  }
}
