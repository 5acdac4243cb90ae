/// One step of an integer program run on one image, with every number it used: what
/// `trace(model, image)` shows so that a layer can be recomputed by hand.
public struct IntegerStepTrace: Sendable {
  public let name: String
  /// "conv", "dense", "depthwise", "maxpool", "avgpool", "add" or "affine".
  public let kind: String
  /// The first input's integers (the whole activation, NCHW order) and its grid.
  public let input: [Int]
  public let inputParams: QuantParams
  /// The output's integers and grid.
  public let output: [Int]
  public let outputParams: QuantParams
  /// Dense steps: the int8 weights per output channel, `weights[c][k]` multiplying `input[k]`.
  public let weights: [[Int]]?
  /// Conv, dense and depthwise steps: the weight scale and the int32 bias per output channel,
  /// round(b / (s_x·s_w)), before the input zero point's correction is folded in.
  public let weightScales: [Float]?
  public let bias: [Int]?
  /// The fixed-point multiplier M0·2^−n of M = s_x·s_w / s_y, per output channel.
  public let multipliers: [Int]?
  public let shifts: [Int]?
  /// The clamp's ends in output integers (the ReLU's zero point, or the grid's ends).
  public let low: Int?
  public let high: Int?
}

extension IntegerNetwork {
  /// Runs the program on the first image of `image` and records every step.
  public func trace(_ image: LabeledImages) -> [IntegerStepTrace] {
    guard image.count > 0 else { return [] }
    let chunk = IntegerChunk(network: self, capacity: 1)
    image.copyImage(0, to: chunk.input.pointer)
    run(chunk, images: 1)
    func ints(_ index: Int) -> [Int] {
      (0..<activations[index].shape.elements).map { Int(chunk.activations[index].pointer[$0]) }
    }
    return ops.map { op in
      let input = op.inputs.first ?? 0
      var weights: [[Int]]?, scales: [Float]?, bias: [Int]?, multipliers: [Int]?, shifts: [Int]?, low: Int?, high: Int?
      var quantized: QuantizedWeights?, requant: Requantization?
      if let m = op as? IntegerMatMulOp {
        quantized = m.weights
        requant = m.requant
        if case .dense = m.form {
          var rows = Array(repeating: [Int](), count: m.weights.layout.channels)
          m.weights.layout.forEach { k, channel in rows[channel].append(Int(m.weights.values[k])) }
          weights = rows
        }
      } else if let d = op as? IntegerDepthwiseOp {
        quantized = d.weights
        requant = d.requant
      }
      if let quantized, let requant {
        scales = quantized.scales
        bias = quantized.bias.map(Int.init)
        let channels = quantized.layout.channels
        multipliers = (0..<channels).map { Int(requant.multipliers[$0]) }
        shifts = (0..<channels).map { Int(requant.shifts[$0]) }
        low = Int(requant.low)
        high = Int(requant.high)
      }
      return IntegerStepTrace(
        name: op.name, kind: Self.kind(of: op), input: ints(input), inputParams: activations[input].params,
        output: ints(op.output), outputParams: activations[op.output].params, weights: weights, weightScales: scales,
        bias: bias, multipliers: multipliers, shifts: shifts, low: low, high: high)
    }
  }

  static func kind(of op: IntegerOp) -> String {
    switch op {
    case let m as IntegerMatMulOp: if case .dense = m.form { return "dense" } else { return "conv" }
    case is IntegerDepthwiseOp: return "depthwise"
    case is IntegerMaxPoolOp: return "maxpool"
    case is IntegerAvgPoolOp: return "avgpool"
    case is IntegerAddOp: return "add"
    default: return "affine"
    }
  }
}
