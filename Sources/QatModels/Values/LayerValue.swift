import QatEngine
import QatOutput
import QatSupport
import QatsLanguage

/// `net.layers[i]`: one layer's kind, shapes and learned values (weights in PyTorch order).
public final class LayerValue: HostObject {
  let layer: NetworkLayer
  /// The layer's network, held here: a layer refers to its network without owning it, and a
  /// language value can outlive the model variable it came from (`l = net.layers[0]`, then `net`
  /// reassigned), which read a destroyed network and crashed (found by scripts/fuzz-language).
  let network: Network

  init(layer: NetworkLayer, network: Network) {
    self.layer = layer
    self.network = network
  }

  public var typeName: String { "layer" }

  /// "conv(16, kernel: 3, pad: 1) → [16, 8, 8] · 160 parameters".
  public var summary: String {
    "\(layer.spec.description) → \(layer.outputShape) · \(Units.grouped(layer.parameterCount)) parameters"
  }

  public var memberNames: [String] {
    var names = ["kind", "input", "output", "parameters"]
    let tensors = layer.parameters.map(\.name)
    if !layer.children.isEmpty || layer.spec.name == "residual" { names.append("layers") }
    if tensors.contains("weight") { names += ["weights", "weight_shape"] }
    names += tensors
    if layer.runningStatistics != nil { names += ["running_mean", "running_var"] }
    return names
  }

  static func floats(_ values: [Float]) -> Value { .list(values.map { Value.float32($0) }) }

  public func member(_ name: String) throws -> Value? {
    switch name {
    case "kind": return .string(layer.spec.name)
    case "input": return .list(layer.inputShape.dimensions.map(Value.int))
    case "output": return .list(layer.outputShape.dimensions.map(Value.int))
    case "parameters": return .int(layer.parameterCount)
    case "layers" where layer.spec.name == "residual":
      return .list(layer.children.map { .object(LayerValue(layer: $0, network: network)) })
    case "weights": return layer.userWeights.map(Self.floats)
    case "weight_shape":
      return layer.parameters.first { $0.name == "weight" }.map { .list($0.shape.map(Value.int)) }
    default:
      return layer.shapedArray(name).map { .object(TensorValue($0)) }
    }
  }

  public func plainValue() -> Value? {
    .record(
      Record([
        ("kind", .string(layer.spec.name)), ("layer", .string(layer.spec.description)),
        ("output", .list(layer.outputShape.dimensions.map(Value.int))), ("parameters", .int(layer.parameterCount)),
      ]))
  }

  public func render(_ format: RenderFormat) -> String { PlainText("layer " + summary).render(format) }
}
