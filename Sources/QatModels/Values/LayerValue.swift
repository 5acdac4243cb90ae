import QatEngine
import QatsLanguage

/// `net.layers[i]`: one layer's kind, shapes and learned values (weights in PyTorch order).
public final class LayerValue: HostObject {
  let layer: NetworkLayer

  init(layer: NetworkLayer) { self.layer = layer }

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

  static func floats(_ values: [Float]) -> Value { .list(values.map { .float(Double($0)) }) }

  public func member(_ name: String) throws -> Value? {
    switch name {
    case "kind": return .string(layer.spec.name)
    case "input": return .list(layer.inputShape.dimensions.map(Value.int))
    case "output": return .list(layer.outputShape.dimensions.map(Value.int))
    case "parameters": return .int(layer.parameterCount)
    case "layers" where layer.spec.name == "residual": return .list(layer.children.map { .object(LayerValue(layer: $0)) })
    case "weights": return layer.userWeights.map(Self.floats)
    case "weight_shape":
      return layer.parameters.first { $0.name == "weight" }.map { .list($0.shape.map(Value.int)) }
    default:
      return layer.tensor(name).map { .object(TensorValue($0)) }
    }
  }

  public func plainValue() -> Value? {
    .record(Record([("kind", .string(layer.spec.name)), ("layer", .string(layer.spec.description)),
                    ("output", .list(layer.outputShape.dimensions.map(Value.int))), ("parameters", .int(layer.parameterCount))]))
  }

  public func render(_ format: RenderFormat) -> String { PlainText("layer " + summary).render(format) }
}

/// `net.history`: the training curve, one row per epoch.
public final class HistoryValue: HostObject {
  let records: [EpochRecord]

  init(records: [EpochRecord]) { self.records = records }

  public var typeName: String { "history" }
  public var summary: String { "\(records.count) \(records.count == 1 ? "epoch" : "epochs")" }
  public var memberNames: [String] { ["count", "loss", "accuracy", "epochs", "lr"] }

  public func member(_ name: String) throws -> Value? {
    switch name {
    case "count": return .int(records.count)
    case "loss": return .list(records.map { .float($0.loss) })
    case "accuracy": return .list(records.map { .float($0.accuracy) })
    case "epochs": return .list(records.map { .int($0.epoch) })
    case "lr": return .list(records.map { .float($0.learningRate) })
    default: return nil
    }
  }

  func record(_ r: EpochRecord) -> Value {
    .record(Record([("epoch", .int(r.epoch)), ("loss", .float(r.loss)), ("accuracy", .float(r.accuracy)),
                    ("lr", .float(r.learningRate)), ("seconds", .float(r.seconds)), ("images_per_second", .float(r.imagesPerSecond))]))
  }

  public func index(_ key: Value) throws -> Value? {
    guard case .int(let i) = key else { return nil }
    let at = i < 0 ? records.count + i : i
    guard records.indices.contains(at) else {
      throw QatsError(.runtime, "epoch index \(i) is out of range: the history has \(records.count) epochs", at: nil)
    }
    return record(records[at])
  }

  public func plainValue() -> Value? { .list(records.map(record)) }

  public func render(_ format: RenderFormat) -> String {
    if records.isEmpty { return PlainText("history: no epochs yet (train the model first)").render(format) }
    let rows = records.map { r in
      [String(r.epoch), Units.fixed(r.loss, digits: 4), Units.percent(r.accuracy), "\(r.learningRate)"]
    }
    return TextTable(title: "history: " + summary, headers: ["epoch", "loss", "train accuracy", "lr"], rows: rows,
                     rightAligned: [true, true, true, true]).render(format)
  }
}
