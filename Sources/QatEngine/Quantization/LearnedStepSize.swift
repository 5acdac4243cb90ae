/// Learned step size quantization (LSQ, Esser et al. 2019): the scale s is a parameter. With the
/// straight-through estimator for the rounding, x̂ = (clamp(round(x/s) + zp, qmin, qmax) − zp)·s has
///   ∂x̂/∂s = round(x/s) − x/s      inside the range,
///   ∂x̂/∂s = qmin − zp or qmax − zp where x was clipped,
/// and the scale's gradient is scaled by g = 1/√(N·Q_P) (N values share the scale, Q_P is the number
/// of positive levels) so that it learns at a pace comparable to the weights'.
enum LearnedStepSize {
  /// g = 1/√(N·Q_P).
  static func gradientScale(elements: Int, range: QuantRange) -> Float {
    let positive = max(1, Int(range.qmax))
    return 1 / Float(Double(max(1, elements) * positive).squareRoot())
  }

  /// ∂x̂/∂s for one value, as defined above (float32, with 1/s computed first as the forward pass does).
  static func derivative(_ x: Float, params p: QuantParams) -> Float {
    let scaled = x * p.inverseScale
    let q = scaled.rounded(.toNearestOrEven) + Float(p.zeroPoint)
    if q < Float(p.range.qmin) { return Float(p.range.qmin - p.zeroPoint) }
    if q > Float(p.range.qmax) { return Float(p.range.qmax - p.zeroPoint) }
    return scaled.rounded(.toNearestOrEven) - scaled
  }

  /// Σ dy·∂x̂/∂s over `count` values, times g.
  static func scaleGradient(
    x: UnsafePointer<Float>, dy: UnsafePointer<Float>, count: Int, params: QuantParams,
    gradientScale: Float
  ) -> Float {
    var sum = 0.0
    for i in 0..<count { sum += Double(dy[i]) * Double(derivative(x[i], params: params)) }
    return Float(sum) * gradientScale
  }
}
