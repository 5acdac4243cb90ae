import CKernels

/// The integers an n-bit quantized value can take: [−2^(n−1), 2^(n−1) − 1] signed, [0, 2^n − 1]
/// unsigned.
public struct QuantRange: Sendable, Equatable, CustomStringConvertible {
  public let bits: Int
  public let signed: Bool

  public init(bits: Int, signed: Bool) {
    self.bits = bits
    self.signed = signed
  }

  public var qmin: Int32 { signed ? -(Int32(1) << (bits - 1)) : 0 }
  public var qmax: Int32 { signed ? (Int32(1) << (bits - 1)) - 1 : (Int32(1) << bits) - 1 }
  /// How many integers the range holds (2^bits).
  public var levels: Int { 1 << bits }

  /// The widths a model is quantized to (weights and activations, stored in int8/uint8 containers):
  /// the one definition every check of a model's `bits` uses.
  public static let modelBits = 2...8
  /// A width the arithmetic itself (qparams, fake_quant, histogram) takes: a model width, or 16 for
  /// teaching (SPEC §5.1).
  public static func isSupported(bits: Int) -> Bool { modelBits.contains(bits) || bits == 16 }

  public var description: String { "\(bits)-bit \(signed ? "signed" : "unsigned") [\(qmin), \(qmax)]" }
}

/// A scale and zero point: x ≈ (q − zero_point)·scale for q in `range`.
public struct QuantParams: Sendable, Equatable {
  public var scale: Float
  public var zeroPoint: Int32
  public let range: QuantRange

  public init(scale: Float, zeroPoint: Int32, range: QuantRange) {
    self.scale = scale
    self.zeroPoint = zeroPoint
    self.range = range
  }

  /// float32's machine epsilon, the smallest scale PyTorch's observers return.
  public static let minimumScale = Float.ulpOfOne

  /// The parameters for an observed range, exactly as PyTorch's observers compute them with an
  /// explicit [quant_min, quant_max] (float32 throughout):
  /// - the range is widened to include zero: min′ = min(min, 0), max′ = max(max, 0);
  /// - affine: scale = (max′ − min′)/(qmax − qmin), zero_point = clamp(qmin − round(min′/scale), qmin, qmax);
  /// - symmetric: scale = max(−min′, max′)/((qmax − qmin)/2), zero_point = 0 when signed and
  ///   ⌊(qmin + qmax)/2⌋ when unsigned;
  /// - the scale is floored at float32 epsilon; rounding is half to even.
  /// An empty or non-finite range (nothing observed yet) gives scale 1, zero point 0, as PyTorch does.
  public static func fromRange(min: Float, max: Float, range: QuantRange, symmetric: Bool) -> QuantParams {
    guard min.isFinite, max.isFinite, min <= max else { return QuantParams(scale: 1, zeroPoint: 0, range: range) }
    let lower = Swift.min(min, 0), upper = Swift.max(max, 0)
    let qmin = range.qmin, qmax = range.qmax
    if symmetric {
      let bound = Swift.max(-lower, upper)
      let scale = Swift.max(bound / (Float(qmax - qmin) / 2), minimumScale)
      let zeroPoint = range.signed ? 0 : Int32((Int(qmin) + Int(qmax)) / 2)
      return QuantParams(scale: scale, zeroPoint: zeroPoint, range: range)
    }
    let scale = Swift.max((upper - lower) / Float(qmax - qmin), minimumScale)
    let shift = (lower / scale).rounded(.toNearestOrEven)
    // The shift is at most (qmax − qmin) in size here, so the conversion cannot overflow.
    let zeroPoint = Swift.min(Swift.max(Int64(qmin) - Int64(shift), Int64(qmin)), Int64(qmax))
    return QuantParams(scale: scale, zeroPoint: Int32(zeroPoint), range: range)
  }

  /// 1/scale in float32, the factor PyTorch multiplies by.
  public var inverseScale: Float { 1 / scale }

  /// The integer q for x: clamp(nearbyint(x·(1/scale)) + zero_point, qmin, qmax).
  public func quantize(_ x: Float) -> Int32 {
    let q = (x * inverseScale).rounded(.toNearestOrEven) + Float(zeroPoint)
    // Float.maximum/minimum drop a NaN operand as fmaxf/fminf do in qk_fake_quant, so NaN maps to
    // qmin (as there, and as PyTorch's kernel does) instead of trapping in the Int32 conversion.
    return Int32(Float.minimum(Float.maximum(q, Float(range.qmin)), Float(range.qmax)))
  }

  /// (q − zero_point)·scale.
  public func dequantize(_ q: Int32) -> Float { Float(q - zeroPoint) * scale }

  /// x quantized and dequantized, bit for bit as PyTorch's fake_quantize_per_tensor_affine.
  public func fakeQuantize(_ x: Float) -> Float {
    var y: Float = 0
    var value = x
    qk_fake_quant(&value, 1, scale, inverseScale, zeroPoint, range.qmin, range.qmax, &y, nil)
    return y
  }

  /// Fake-quantizes `count` values from `x` into `y` (they may be the same); when `mask` is given
  /// it receives 1 where the value was inside the range (the gradient passes) and 0 where clipped.
  public func fakeQuantize(
    _ x: UnsafePointer<Float>, count: Int, into y: UnsafeMutablePointer<Float>,
    mask: UnsafeMutablePointer<UInt8>? = nil
  ) {
    qk_fake_quant(x, Int64(count), scale, inverseScale, zeroPoint, range.qmin, range.qmax, y, mask)
  }

  /// The values x that quantize without clipping: [(qmin − zp)·scale, (qmax − zp)·scale].
  public var representable: ClosedRange<Float> { dequantize(range.qmin)...dequantize(range.qmax) }
}
