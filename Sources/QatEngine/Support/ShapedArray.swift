/// The values a user sees as a tensor (`net.layers[0].weight`): a shape — NCHW for activations,
/// PyTorch's order for weights ([out, in/groups, k, k] for conv, [out, in] for dense) — and the
/// values in row-major order. The engine keeps its own layouts internally (NHWC activations,
/// per-group weight matrices) and converts when one is shown.
public struct ShapedArray: Sendable, Equatable {
  public let shape: [Int]
  public let values: [Float]

  /// nil when the values do not fill the shape.
  public init?(shape: [Int], values: [Float]) {
    guard shape.allSatisfy({ $0 >= 0 }), shape.reduce(1, *) == values.count else { return nil }
    self.shape = shape
    self.values = values
  }

  public var count: Int { values.count }

  /// The slice at `index` along the first axis (a tensor of one rank less), or nil out of range.
  public func slice(_ index: Int) -> ShapedArray? {
    guard let first = shape.first, index >= 0, index < first else { return nil }
    let inner = Array(shape.dropFirst()), size = inner.reduce(1, *)
    return ShapedArray(shape: inner, values: Array(values[(index * size)..<((index + 1) * size)]))
  }

  /// Smallest, largest, mean and (population) standard deviation of the values.
  public var statistics: (min: Float, max: Float, mean: Double, std: Double) {
    guard let first = values.first else { return (0, 0, 0, 0) }
    var lo = first, hi = first, sum = 0.0, sumSq = 0.0
    for v in values {
      lo = Swift.min(lo, v)
      hi = Swift.max(hi, v)
      sum += Double(v)
      sumSq += Double(v) * Double(v)
    }
    let n = Double(values.count), mean = sum / n
    return (lo, hi, mean, Swift.max(0, sumSq / n - mean * mean).squareRoot())
  }
}

extension NetworkLayer {
  /// A learned tensor or running statistic of this layer by name ("weight", "bias", "gamma",
  /// "beta", "running_mean", "running_var"), in the order users see; nil if it has none.
  public func shapedArray(_ name: String) -> ShapedArray? {
    guard opRange.count == 1 else { return nil }
    switch name {
    case "weight":
      guard let values = userWeights, let weight = parameters.first(where: { $0.name == "weight" }) else { return nil }
      return ShapedArray(shape: weight.shape, values: values)
    case "running_mean", "running_var":
      guard let stats = runningStatistics else { return nil }
      let values = name == "running_mean" ? stats.mean : stats.variance
      return ShapedArray(shape: [values.count], values: values)
    default:
      guard let p = parameters.first(where: { $0.name == name }) else { return nil }
      return ShapedArray(shape: p.shape, values: p.value.array)
    }
  }
}
