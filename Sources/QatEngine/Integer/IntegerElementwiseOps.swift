import CKernels
import QatModelFile

/// Max pooling on the input's grid (the maximum of the integers is the integer of the maximum).
final class IntegerMaxPoolOp: IntegerOp {
  let inputShape, outputShape: ActivationShape
  let kernel, stride: Int

  init(input: Int, inputShape: ActivationShape, output: Int, outputShape: ActivationShape, kernel: Int, stride: Int) {
    self.inputShape = inputShape
    self.outputShape = outputShape
    self.kernel = kernel
    self.stride = stride
    super.init(inputs: [input], output: output, name: "maxpool \(kernel)")
  }

  override var fileLayer: ModelFile.Layer {
    ModelFile.Layer(type: "q.maxpool", integers: [inputs[0], output, kernel, stride].map(Int64.init))
  }

  override func run(_ chunk: IntegerChunk, images: Int, index: Int) {
    qk_maxpool_u8(
      chunk.activations[inputs[0]].pointer, Int32(images), Int32(inputShape.height), Int32(inputShape.width),
      Int32(inputShape.channels), Int32(kernel), Int32(stride), Int32(outputShape.height),
      Int32(outputShape.width), chunk.activations[output].pointer)
  }
}

/// Average pooling (k×k windows, or the whole map when `kernel` is nil) on the input's grid:
/// zero + round(Σ(q − zero)/count).
final class IntegerAvgPoolOp: IntegerOp {
  let inputShape, outputShape: ActivationShape
  /// nil: global average pooling.
  let kernel: Int?
  let stride: Int
  let zeroPoint: Int32

  init(
    input: Int, inputShape: ActivationShape, output: Int, outputShape: ActivationShape, kernel: Int?, stride: Int,
    zeroPoint: Int32
  ) {
    self.inputShape = inputShape
    self.outputShape = outputShape
    self.kernel = kernel
    self.stride = stride
    self.zeroPoint = zeroPoint
    super.init(inputs: [input], output: output, name: kernel.map { "avgpool \($0)" } ?? "globalavgpool")
  }

  /// Kernel 0 stands for global pooling.
  override var fileLayer: ModelFile.Layer {
    ModelFile.Layer(type: "q.avgpool", integers: [inputs[0], output, kernel ?? 0, stride].map(Int64.init))
  }

  override func run(_ chunk: IntegerChunk, images: Int, index: Int) {
    let x = chunk.activations[inputs[0]].pointer, y = chunk.activations[output].pointer
    let s = inputShape
    if let kernel {
      qk_avgpool_u8(
        x, Int32(images), Int32(s.height), Int32(s.width), Int32(s.channels), Int32(kernel), Int32(stride),
        Int32(outputShape.height), Int32(outputShape.width), zeroPoint, y)
    } else {
      qk_global_avgpool_u8(x, Int32(images), Int32(s.height * s.width), Int32(s.channels), zeroPoint, y)
    }
  }
}

/// A residual add: both inputs rescaled to the output grid by fixed-point multipliers with one
/// shared shift, added in 64-bit integers, then clamped (a ReLU after the add is the clamp's low end).
final class IntegerAddOp: IntegerOp {
  let elements: Int
  let zeroA, zeroB: Int32
  let multiplierA, multiplierB, shift: Int32
  let zeroPoint, low, high: Int32

  init(
    inputs a: Int, _ b: Int, grids: (QuantParams, QuantParams), output: Int, params: QuantParams, elements: Int,
    low: Int32, high: Int32
  ) {
    self.elements = elements
    zeroA = grids.0.zeroPoint
    zeroB = grids.1.zeroPoint
    let m = FixedPointMultiplier.shared([
      Double(grids.0.scale) / Double(params.scale), Double(grids.1.scale) / Double(params.scale),
    ])
    multiplierA = m.multipliers[0]
    multiplierB = m.multipliers[1]
    shift = m.shift
    zeroPoint = params.zeroPoint
    self.low = low
    self.high = high
    super.init(inputs: [a, b], output: output, name: "add")
  }

  override var fileLayer: ModelFile.Layer {
    ModelFile.Layer(
      type: "q.add", integers: [Int64(inputs[0]), Int64(inputs[1]), Int64(output), Int64(low), Int64(high)])
  }

  override func run(_ chunk: IntegerChunk, images: Int, index: Int) {
    qk_qadd_u8(
      chunk.activations[inputs[0]].pointer, zeroA, multiplierA, chunk.activations[inputs[1]].pointer, zeroB,
      multiplierB, shift, zeroPoint, low, high, Int64(images * elements), chunk.activations[output].pointer)
  }
}

/// y = a_c·x + b_c per channel between two grids, clamped: a batch norm on its own, a ReLU6 that
/// needs a new grid, or (with the identity map) a ReLU on its input's grid.
final class IntegerAffineOp: IntegerOp {
  let rows, channels: Int
  let inputZeroPoint: Int32
  let multipliers: AlignedBuffer<Int32>
  /// b_c/s_out·2^n, rounded.
  let offsets: AlignedBuffer<Int64>
  let shift: Int32
  let zeroPoint, low, high: Int32
  /// The real map, kept to save and show: y = scale[c]·x + offset[c].
  let realScales, realOffsets: [Double]

  /// `scales[c]` and `offsets[c]` are the real map per channel; the input and output grids turn it
  /// into y_q = z_out + ((x_q − z_in)·a_c·s_in/s_out·2^n + b_c/s_out·2^n) >> n.
  init(
    input: Int, inputParams: QuantParams, output: Int, outputParams: QuantParams, shape: ActivationShape,
    scales: [Double], offsets: [Double], low: Int32, high: Int32, name: String
  ) {
    channels = shape.channels
    rows = shape.elements / max(1, channels)
    inputZeroPoint = inputParams.zeroPoint
    let ratio = Double(inputParams.scale) / Double(outputParams.scale)
    let m = FixedPointMultiplier.shared(scales.map { $0 * ratio })
    multipliers = AlignedBuffer<Int32>(m.multipliers)
    shift = m.shift
    let unit = powerOfTwo(Int(m.shift)) / Double(outputParams.scale)
    self.offsets = AlignedBuffer<Int64>(
      offsets.map { b in
        let v = (b * unit).rounded(.toNearestOrAwayFromZero)
        return v.isFinite ? Int64(max(-4.0e18, min(4.0e18, v))) : 0
      })
    zeroPoint = outputParams.zeroPoint
    self.low = low
    self.high = high
    realScales = scales
    realOffsets = offsets
    super.init(inputs: [input], output: output, name: name)
  }

  /// The identity map between two grids (a requantization, a ReLU or ReLU6 clamp).
  convenience init(
    identityFrom input: Int, _ inputParams: QuantParams, to output: Int, _ outputParams: QuantParams,
    shape: ActivationShape, low: Int32, high: Int32, name: String
  ) {
    let channels = shape.channels
    self.init(
      input: input, inputParams: inputParams, output: output, outputParams: outputParams, shape: shape,
      scales: Array(repeating: 1, count: channels), offsets: Array(repeating: 0, count: channels),
      low: low, high: high, name: name)
  }

  /// The real map is stored (scales, then offsets) and the integers derived from it on loading.
  override var fileLayer: ModelFile.Layer {
    ModelFile.Layer(
      type: "q.affine", name: name, integers: [Int64(inputs[0]), Int64(output), Int64(low), Int64(high)],
      floats: realScales + realOffsets)
  }

  override func run(_ chunk: IntegerChunk, images: Int, index: Int) {
    qk_qaffine_u8(
      chunk.activations[inputs[0]].pointer, Int64(images * rows), Int32(channels), inputZeroPoint,
      multipliers.pointer, offsets.pointer, shift, zeroPoint, low, high, chunk.activations[output].pointer)
  }
}

/// 2^n, exactly.
@inline(__always) func powerOfTwo(_ n: Int) -> Double { Double(sign: .plus, exponent: n, significand: 1) }
