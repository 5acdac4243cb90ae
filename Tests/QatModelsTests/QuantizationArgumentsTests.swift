import QatEngine
import QatsLanguage
import Testing

@testable import QatModels

/// `ModelArguments`: the one place a `QuantizationConfig` is made from what users write,
/// driven by calls the interpreter binds against the real parameter declarations.
@Suite struct ModelArgumentsTests {
  /// `quantize`'s and `prepare`'s parameters without `model` and `data` (the probe needs no model:
  /// the network is given to `config` directly).
  static var parameters: [Parameter] {
    ModelArguments.sharedParameters.filter { $0.name != "model" && $0.name != "data" }
  }

  static func config(_ arguments: String, mode: String = "ptq") throws -> QuantizationConfig {
    let call = try probeCall(arguments, parameters: parameters, mode: mode)
    return try ModelArguments.config(call, network: ModelFixtures.network())
  }

  static func configFailure(_ arguments: String) -> (message: String, hint: String?)? {
    failure { try config(arguments) }
  }

  @Test func defaultsAreTheEnginesAndTheMethodFollowsTheMode() throws {
    #expect(try Self.config("") == QuantizationConfig(method: .ptq))
    #expect(try Self.config("", mode: "qat") == QuantizationConfig(method: .qat))
    // An explicit method wins over the session's mode.
    #expect(try Self.config("method: \"ptq\"", mode: "qat").method == .ptq)
  }

  @Test func everyOptionReachesTheConfiguration() throws {
    let c = try Self.config(
      "bits: 4, act_bits: 8, per_channel: false, symmetric: true, observer: \"percentile\", percentile: 99.5, "
        + "samples: 32, freeze_bn: 3, freeze_observers: 5, lsq: true")
    var expected = QuantizationConfig(method: .ptq)
    expected.weightBits = 4
    expected.activationBits = 8
    expected.perChannel = false
    expected.symmetric = true
    expected.observer = .percentile
    expected.percentile = 99.5
    expected.samples = 32
    expected.freezeBatchNormAfter = 3
    expected.freezeObserversAfter = 5
    expected.learnedScales = true
    #expect(c == expected)
    let w = try Self.config("bits: 6, weight_bits: 2")
    #expect(w.weightBits == 2 && w.activationBits == 6)
  }

  /// Sweep's path: the method and widths passed by the built-in win over the arguments.
  @Test func bitsPassedByTheBuiltinWinOverTheArguments() throws {
    let call = try probeCall("bits: 4, act_bits: 6", parameters: Self.parameters, mode: "ptq")
    let c = try ModelArguments.config(
      call, network: ModelFixtures.network(), method: .qat, bits: 3, activationBits: 8)
    // `bits` is not read when passed; `act_bits` is, then `activationBits` replaces it.
    #expect(c.method == .qat && c.weightBits == 3 && c.activationBits == 8)
  }

  @Test func bitWidthsOutsideTwoToEightAreRefused() throws {
    #expect(try Self.config("bits: 2").weightBits == 2)
    #expect(try Self.config("bits: 8").activationBits == 8)
    let hint = "8 bits is the usual deployment width; 4, 3 and 2 show where PTQ breaks"
    let nine = Self.configFailure("bits: 9")
    #expect(nine?.message == "`probe`: `bits` must be between 2 and 8, got 9")
    #expect(nine?.hint == hint)
    #expect(Self.configFailure("bits: 1")?.message == "`probe`: `bits` must be between 2 and 8, got 1")
    #expect(Self.configFailure("weight_bits: 16")?.message == "`probe`: `weight_bits` must be between 2 and 8, got 16")
    #expect(Self.configFailure("act_bits: 9")?.message == "`probe`: `act_bits` must be between 2 and 8, got 9")
  }

  @Test func percentileIsCheckedAgainstTheObserverAndItsRange() throws {
    let withoutObserver = Self.configFailure("percentile: 99.9")
    #expect(withoutObserver?.message == "`probe`: `percentile` applies to the percentile observer")
    #expect(withoutObserver?.hint == "add observer: \"percentile\"")
    let fifty = Self.configFailure("observer: \"percentile\", percentile: 50")
    #expect(fifty?.message == "`probe`: `percentile` must be above 50 and at most 100, got 50.0")
    #expect(fifty?.hint == "99.99 clips one value in ten thousand at each end")
    #expect(try Self.config("observer: \"percentile\", percentile: 100").percentile == 100)
  }

  @Test func keepNamesConvAndDenseLayers() throws {
    let network = try ModelFixtures.network()
    defer { withExtendedLifetime(network) {} }
    let numbered = network.numberedLayers
    let conv = try #require(numbered[0].operationIndex)
    let dense = try #require(numbered[3].operationIndex)
    #expect(conv != dense)
    #expect(try Self.config("keep: [\"first\", \"last\"]").keep == [conv, dense])
    #expect(try Self.config("keep: [3]").keep == [dense])
    #expect(try Self.config("keep: [0, \"first\"]").keep == [conv])
    let message = { (entry: String) in
      "`probe`: `keep` names conv or dense layers by their number in summary(net) (0–3) "
        + "or as \"first\"/\"last\"; \(entry) is not one"
    }
    let relu = Self.configFailure("keep: [1]")
    #expect(relu?.message == message("1"))
    #expect(relu?.hint == "keep: [\"first\", \"last\"]")
    #expect(Self.configFailure("keep: [4]")?.message == message("4"))
    #expect(Self.configFailure("keep: [-1]")?.message == message("-1"))
    #expect(Self.configFailure("keep: [\"middle\"]")?.message == message("\"middle\""))
  }

  @Test func bitsListsAreCheckedEveryWidth() throws {
    let parameters: [Parameter] = [.optional("bits", .listOf(.positiveInt), default: .list([]), "widths")]
    func widths(_ arguments: String) throws -> [Int] {
      try ModelArguments.checkBitsList(probeCall(arguments, parameters: parameters))
    }
    #expect(try widths("bits: [8, 4, 2]") == [8, 4, 2])
    let empty = failure { try widths("bits: []") }
    #expect(empty?.message == "`probe`: `bits` is empty")
    #expect(empty?.hint == "bits: [8, 4, 2]")
    let nine = failure { try widths("bits: [8, 9, 1]") }
    #expect(nine?.message == "`probe`: every bit width must be between 2 and 8, got 9")
    #expect(nine?.hint == "bits: [8, 6, 4, 3, 2]")
  }

  /// `histogram`'s and `qparams`' width: 2–8 or 16, signed or not.
  @Test func quantRangeAllowsSixteenBitsForTeaching() throws {
    let parameters: [Parameter] = [
      .optional("bits", .int, default: .int(8), "width"), .optional("signed", .bool, default: .bool(false), "signed"),
    ]
    func range(_ arguments: String) throws -> QuantRange {
      try ModelArguments.quantRange(probeCall(arguments, parameters: parameters))
    }
    #expect(try range("") == QuantRange(bits: 8, signed: false))
    #expect(try range("bits: 16, signed: true") == QuantRange(bits: 16, signed: true))
    #expect(failure { try range("bits: 9") }?.message == "`probe`: bits must be 2–8 (or 16 for teaching), got 9")
  }

  @Test func float32ValuesRefuseNumbersBeyondFloat32() throws {
    let call = try probeCall("", parameters: [])
    #expect(
      try ModelArguments.float32Values([.int(2), .float(-0.5)], positions: true, call: call) == [2, -0.5])
    let tooLarge = failure {
      try ModelArguments.float32Values([.int(1), .float(1e39)], positions: true, call: call)
    }
    #expect(
      tooLarge?.message
        == "`probe`: `values` holds 1e+39 at position 1, outside float32's range (±\(Float.greatestFiniteMagnitude))")
  }

  /// A network with a NaN weight or a NaN batch-norm statistic is refused before it is quantized.
  @Test func nonFiniteWeightsOrStatisticsAreRefused() throws {
    let call = try probeCall("bits: 4", parameters: Self.parameters)
    let specs =
      [LayerSpec(.conv(out: 2, kernel: 3, stride: 1, pad: 1, groups: 1)), LayerSpec(.batchNorm)] + [
        LayerSpec(.relu), LayerSpec(.flatten), LayerSpec(.dense(out: 3)),
      ]
    let finite = try ModelFixtures.network(specs)
    #expect(failure { try ModelArguments.requireFinite(finite, call: call) } == nil)
    let clean = finite.snapshot()
    for (index, value) in [(0, Float.nan), (clean.count - 1, Float.infinity)] {
      let network = try ModelFixtures.network(specs)
      let state = network.snapshot()
      state[index].pointer[0] = value
      network.restore(state)
      let refusal = try #require(failure { try ModelArguments.requireFinite(network, call: call) })
      #expect(refusal.message.contains("not all finite"), "\(refusal.message)")
      #expect(refusal.hint?.contains("lower `lr`") == true)
    }
  }
}
