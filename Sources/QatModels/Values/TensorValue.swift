import QatEngine
import QatOutput
import QatSupport
import QatsLanguage

/// A tensor in the language (`net.layers[0].weight`): its shape, statistics, values and slices.
public final class TensorValue: HostObject {
  let array: ShapedArray

  init(_ array: ShapedArray) { self.array = array }

  public var typeName: String { "tensor" }

  static func number(_ x: Double) -> String { Value.float(x).repr }

  /// "tensor [16, 1, 3, 3] · 144 values · min -0.33 · max 0.33 · mean 0.012 · std 0.19".
  public var summary: String {
    let s = array.statistics
    func short(_ x: Double) -> String {
      x == 0 ? "0" : String(format: abs(x) >= 0.01 && abs(x) < 1e4 ? "%.4g" : "%.3e", x)
    }
    return
      """
      tensor \(array.shape) · \(Units.grouped(array.count)) values · min \(short(Double(s.min))) · max \
      \(short(Double(s.max))) · mean \(short(s.mean)) · std \(short(s.std))
      """
  }

  public var memberNames: [String] { ["shape", "values", "count", "min", "max", "mean", "std"] }

  public func member(_ name: String) throws -> Value? {
    let s = array.statistics
    switch name {
    case "shape": return .list(array.shape.map(Value.int))
    case "values": return .list(array.values.map { Value.float32($0) })
    case "count": return .int(array.count)
    case "min": return Value.float32(s.min)
    case "max": return Value.float32(s.max)
    case "mean": return .float(s.mean)
    case "std": return .float(s.std)
    default: return nil
    }
  }

  /// `t[i]`: the slice along the first axis; a number for a 1-D tensor.
  public func index(_ key: Value) throws -> Value? {
    guard case .int(let i) = key, let first = array.shape.first else { return nil }
    let at = i < 0 ? first + i : i
    guard let slice = array.slice(at) else {
      throw QatsError(.runtime, "index \(i) is out of range for a tensor of shape \(array.shape)", at: nil)
    }
    return slice.shape.isEmpty ? Value.float32(slice.values[0]) : .object(TensorValue(slice))
  }

  public func plainValue() -> Value? {
    .record(
      Record([
        ("shape", .list(array.shape.map(Value.int))), ("values", .list(array.values.map { Value.float32($0) })),
      ]))
  }

  public func render(_ format: RenderFormat) -> String { PlainText(summary).render(format) }
}
