import QatEngine
import QatsLanguage
import Testing

@testable import QatModels

/// `ModelStage`: a model's stage from what it holds, and the one place that refuses a stage.
@Suite struct ModelStageTests {
  /// What `refusals` holds for a stage the requirement accepts.
  static let allowed: [String?] = []

  /// For every stage's model value (see `ModelFixtures.modelOfEveryStage`), the refusal of
  /// `requirement` for `operation`: [message, hint], or `allowed`.
  static func refusals(_ requirement: ModelRequirement, operation: String) throws -> [ModelStage: [String?]] {
    var result: [ModelStage: [String?]] = [:]
    for (stage, model) in try ModelFixtures.modelOfEveryStage() {
      result[stage] = model.refusal(requirement, operation: operation).map { [$0.0, $0.1] } ?? allowed
    }
    return result
  }

  /// The stages `refusals` refuses.
  static func refused(_ refusals: [ModelStage: [String?]]) -> Set<ModelStage> {
    Set(refusals.filter { $0.value != allowed }.keys)
  }

  /// Each value is made from the fields the built-ins give it, and labelled with the stage it is.
  @Test func stageFollowsTheFieldsOfTheModel() throws {
    for (stage, model) in try ModelFixtures.modelOfEveryStage() {
      #expect(model.stage == stage)
    }
  }

  @Test func quantizationTextComesFromTheProgramOrTheConfiguration() throws {
    let texts = try ModelFixtures.modelOfEveryStage().map { $0.1.quantizationText }
    // unbuilt, fp32, prepared (QAT w4/a8), simulated, quantized, integer only (PTQ 8-bit).
    #expect(texts == [nil, nil, "qat, w4/a8", "ptq, 8-bit", "ptq, 8-bit", "ptq, 8-bit"])
  }

  @Test func fp32RequirementRefusesAnythingQuantized() throws {
    let r = try Self.refusals(.fp32, operation: "quantize")
    let hint = "quantize the fp32 model it came from"
    #expect(r[.unbuilt] == Self.allowed && r[.fp32] == Self.allowed)
    #expect(
      r[.prepared] == ["this model is already prepared (qat, w4/a8); quantizing it again would quantize twice", hint])
    let quantized = "this model is already quantized (ptq, 8-bit); quantizing it again would quantize twice"
    #expect(r[.simulated] == [quantized, hint])
    #expect(r[.quantized] == [quantized, hint])
    #expect(r[.integerOnly] == [quantized, hint])
  }

  @Test func trainableRequirementRefusesFinalModels() throws {
    let r = try Self.refusals(.trainable, operation: "train")
    let hint = "train the fp32 model, or fine-tune a prepare(net, data)d copy with fake quantization"
    #expect(r[.unbuilt] == Self.allowed && r[.fp32] == Self.allowed && r[.prepared] == Self.allowed)
    #expect(r[.simulated] == ["this model is quantized (ptq, 8-bit): it is final and cannot be trained", hint])
    let program = "this model is an integer program (ptq, 8-bit): it is final and cannot be trained"
    #expect(r[.quantized] == [program, hint])
    #expect(r[.integerOnly] == [program, hint])
  }

  @Test func preparedRequirementTakesPreparedAndSimulatedModels() throws {
    let r = try Self.refusals(.prepared, operation: "convert")
    #expect(r[.prepared] == Self.allowed && r[.simulated] == Self.allowed)
    let fp32 = [
      "convert takes a prepared model, and this one is fp32",
      "prepare(net, data) first (then train it), or quantize(net, data) in one step",
    ]
    #expect(r[.unbuilt] == fp32 && r[.fp32] == fp32)
    let integer = ["this model is already an integer model", "convert takes a model from prepare(net, data)"]
    #expect(r[.quantized] == integer && r[.integerOnly] == integer)
  }

  @Test func integerRequirementNamesWhatTheModelIs() throws {
    let r = try Self.refusals(.integer, operation: "trace")
    let hint = "trace(quantize(net, data), data.test[0])"
    #expect(r[.quantized] == Self.allowed && r[.integerOnly] == Self.allowed)
    let fp32 = ["trace follows an integer model's steps, and this model is fp32", hint]
    #expect(r[.unbuilt] == fp32 && r[.fp32] == fp32)
    let fake = ["trace follows an integer model's steps, and this model is a prepared (fake-quant) model", hint]
    #expect(r[.prepared] == fake && r[.simulated] == fake)
  }

  @Test func floatValuesNetworkAndCopyRequirements() throws {
    let float = try Self.refusals(.floatValues, operation: "inspect")
    #expect(Self.refused(float) == [.integerOnly])
    #expect(
      float[.integerOnly] == [
        "this integer model (ptq, 8-bit) was loaded from a file, which keeps only its integers: "
          + "there are no fp32 values to compare with the grid",
        "inspect the model quantize(net, data) returned, or the fp32 model",
      ])
    let network = try Self.refusals(.network, operation: "build")
    #expect(Self.refused(network) == [.integerOnly])
    #expect(
      network[.integerOnly] == [
        "this integer model was loaded from a file: it runs inference (evaluate, predict) only",
        "train, prepare or quantize the fp32 model it came from",
      ])
    let copy = try Self.refusals(.copyable, operation: "copy")
    #expect(copy[.unbuilt] == Self.allowed && copy[.fp32] == Self.allowed)
    for stage in [ModelStage.prepared, .simulated, .quantized, .integerOnly] {
      #expect(
        copy[stage] == [
          "copying a quantized or prepared model is not supported",
          "copy the fp32 model and quantize or prepare the copy",
        ], "\(stage)")
    }
  }

  /// `require` turns a refusal into an error from the built-in, with the same hint.
  @Test func requireThrowsFromTheBuiltin() throws {
    let refused = failure {
      try runModels("net = model(input: [1, 4, 4]) { flatten(); dense(3) }", "convert(net)")
    }
    #expect(refused?.message == "`convert`: convert takes a prepared model, and this one is fp32")
    #expect(refused?.hint == "prepare(net, data) first (then train it), or quantize(net, data) in one step")
  }
}
