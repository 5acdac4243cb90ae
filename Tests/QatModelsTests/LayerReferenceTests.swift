import QatEngine
import QatsLanguage
import Testing

@testable import QatModels

/// `LayerReference`: a layer named by number, exact name, kind or "input".
@Suite struct LayerReferenceTests {
  /// 0 conv(2, …), 1 relu(), 2 conv(4, …), 3 relu(), 4 flatten(), 5 dense(3).
  static func resolve(_ layer: String) throws -> Int? {
    let call = try probeCall(
      layer, parameters: [.required("layer", .oneOf([.int, .string]), "the layer")], mode: "ptq")
    let network = try ModelFixtures.network(ModelFixtures.twoConvSpecs)
    return try withExtendedLifetime(network) {
      try LayerReference.resolve(call.value("layer"), in: network.numberedLayers, call: call)
    }
  }

  static let listing =
    "0 conv(2, kernel: 3, pad: 1), 1 relu(), 2 conv(4, kernel: 3, pad: 1), 3 relu(), 4 flatten(), 5 dense(3)"

  @Test func numbersExactNamesKindsAndInput() throws {
    #expect(try Self.resolve("0") == 0)
    #expect(try Self.resolve("5") == 5)
    #expect(try Self.resolve("\"conv(4, kernel: 3, pad: 1)\"") == 2)
    #expect(try Self.resolve("\"dense\"") == 5)
    #expect(try Self.resolve("\"flatten()\"") == 4)
    #expect(try Self.resolve("\"input\"") == nil)
  }

  @Test func numbersOutsideTheModelListTheLayers() {
    let six = failure { try Self.resolve("6") }
    #expect(
      six?.message == "`probe`: there is no layer 6: the model's layers are numbered 0–5, as summary(net) shows")
    #expect(six?.hint == Self.listing)
    #expect(failure { try Self.resolve("-1") }?.message.hasPrefix("`probe`: there is no layer -1:") == true)
  }

  @Test func aKindOfSeveralLayersIsAmbiguous() {
    let conv = failure { try Self.resolve("\"conv\"") }
    #expect(conv?.message == "`probe`: \"conv\" names layers 0, 2; give the number of one")
    #expect(conv?.hint == "inspect(net, 0)")
    let relu = failure { try Self.resolve("\"relu()\"") }
    #expect(relu?.message == "`probe`: \"relu()\" names layers 1, 3; give the number of one")
    #expect(relu?.hint == "inspect(net, 1)")
  }

  @Test func unknownNamesSuggestTheNearest() {
    let typo = failure { try Self.resolve("\"dens\"") }
    #expect(typo?.message == "`probe`: the model has no layer \"dens\"")
    #expect(typo?.hint == "did you mean \"dense\"? layers: " + Self.listing)
    let far = failure { try Self.resolve("\"transformer\"") }
    #expect(far?.message == "`probe`: the model has no layer \"transformer\"")
    #expect(far?.hint == "layers: " + Self.listing)
  }

  /// `inspect` resolves its `layer` argument this way.
  @Test func inspectReportsAnUnknownLayer() {
    let refused = failure {
      try runModels("net = model(input: [1, 4, 4]) { flatten(); dense(3) }", "inspect(net, 2)")
    }
    #expect(
      refused?.message == "`inspect`: there is no layer 2: the model's layers are numbered 0–1, as summary(net) shows")
    #expect(refused?.hint == "0 flatten(), 1 dense(3)")
  }
}
