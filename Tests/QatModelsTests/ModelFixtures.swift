import QatEngine
import QatOutput
import QatSupport
import QatsLanguage

@testable import QatModels

/// Small networks, images and model values built without training (debug builds are slow), and
/// the `BuiltinCall` a built-in receives, for calling QatModels' helpers directly.
enum ModelFixtures {
  static let shape = ActivationShape(channels: 1, height: 4, width: 4)
  static let pool = WorkerPool.shared(threads: 1)

  /// conv(2, kernel: 3, pad: 1) → relu → flatten → dense(3): layers 0–3 in summary(net).
  static var specs: [LayerSpec] {
    [
      LayerSpec(.conv(out: 2, kernel: 3, stride: 1, pad: 1, groups: 1)), LayerSpec(.relu), LayerSpec(.flatten),
      LayerSpec(.dense(out: 3)),
    ]
  }

  /// Two convs of different widths and two ReLUs, so that names by kind are ambiguous:
  /// 0 conv(2, …), 1 relu(), 2 conv(4, …), 3 relu(), 4 flatten(), 5 dense(3).
  static var twoConvSpecs: [LayerSpec] {
    [
      LayerSpec(.conv(out: 2, kernel: 3, stride: 1, pad: 1, groups: 1)), LayerSpec(.relu),
      LayerSpec(.conv(out: 4, kernel: 3, stride: 1, pad: 1, groups: 1)), LayerSpec(.relu), LayerSpec(.flatten),
      LayerSpec(.dense(out: 3)),
    ]
  }

  /// An untrained network, He-initialized from `seed`.
  static func network(_ specs: [LayerSpec] = specs, seed: UInt64 = 3) throws -> Network {
    var random = SeededRandom(seed: seed)
    return try Network.build(specs, input: shape, random: &random)
  }

  /// `count` random images in [−1, 1) with labels in 0..<3.
  static func images(_ count: Int = 8, seed: UInt64 = 11) -> LabeledImages {
    var random = SeededRandom(seed: seed)
    let pixels = (0..<(count * shape.elements)).map { _ in Float(random.nextUnit() * 2 - 1) }
    let labels = (0..<count).map { _ in Int(random.next() % 3) }
    return LabeledImages(nchw: pixels, labels: labels, shape: shape)
  }

  static func model(network: Network?, integer: IntegerNetwork? = nil) -> ModelValue {
    ModelValue(
      specs: specs, locations: [:], network: network, integer: integer,
      input: network == nil && integer == nil ? nil : InputDescription(shape: shape))
  }

  /// One model value per stage, made as the built-ins make them: `model { … }` without an input
  /// (unbuilt), with one (fp32), `prepare` (here QAT at w4/a8), a converted simulation without its
  /// program (PTQ 8-bit), `quantize` (PTQ 8-bit: simulation and program) and `load`/`convert`
  /// (the program alone).
  static func modelOfEveryStage() throws -> [(ModelStage, ModelValue)] {
    let fp32 = try network()
    let data = images()
    var qat = QuantizationConfig(method: .qat)
    qat.weightBits = 4
    let prepared = try fp32.preparedForQuantization(qat, training: data, pool: pool)
    let quantized = try fp32.quantized(QuantizationConfig(method: .ptq), training: data, pool: pool) { _ in }
    guard let program = quantized.program else { throw FixtureMissing() }
    return [
      (.unbuilt, model(network: nil)),
      (.fp32, model(network: fp32)),
      (.prepared, model(network: prepared)),
      (.simulated, model(network: quantized.simulation)),
      (.quantized, model(network: quantized.simulation, integer: program)),
      (.integerOnly, model(network: nil, integer: program)),
    ]
  }
}

/// What `probe(…)` was called with, in a fresh interpreter.
final class CallCapture {
  var call: BuiltinCall?
}

/// A fixture that could not be made.
struct FixtureMissing: Error {}

/// The call a built-in named `probe` declaring `parameters` receives when the interpreter runs
/// `probe(arguments)` (in session mode `mode`): the registry has bound and type-checked the
/// arguments, so QatModels' helpers see exactly what they see from a real built-in.
func probeCall(_ arguments: String, parameters: [Parameter], mode: String = "ptq") throws -> BuiltinCall {
  let capture = CallCapture()
  let registry = BuiltinRegistry()
  let interpreter = Interpreter(output: CapturingOutput(), seed: 0, registry: registry)
  registry.register(
    Builtin("probe", topic: "tests", summary: "keeps its call", parameters: parameters) { call in
      capture.call = call
      return .none
    })
  interpreter.mode = mode
  for statement in try Parser.parse(Source(name: "probe.qats", text: "probe(\(arguments))")) {
    _ = try interpreter.runTopLevel(statement)
  }
  guard let call = capture.call else { throw FixtureMissing() }
  return call
}

/// Runs `lines` as cells of a session with the model built-ins; returns the last value shown.
func runModels(_ lines: String...) throws -> Value? {
  let registry = BuiltinRegistry()
  let interpreter = Interpreter(output: CapturingOutput(), seed: 0, registry: registry)
  registry.register(ModelBuiltins.all())
  var last: Value?
  for line in lines {
    for statement in try Parser.parse(Source(name: "test.qats", text: line)) {
      if case .value(let v) = try interpreter.runTopLevel(statement) { last = v }
    }
  }
  return last
}

/// The message and hint of the `QatsError` `body` throws, or nil when it throws nothing.
func failure<T>(_ body: () throws -> T) -> (message: String, hint: String?)? {
  do {
    _ = try body()
    return nil
  } catch let error as QatsError {
    return (error.message, error.hint)
  } catch let errors as QatsErrors {
    return errors.errors.first.map { ($0.message, $0.hint) }
  } catch {
    return ("unexpected \(error)", nil)
  }
}
