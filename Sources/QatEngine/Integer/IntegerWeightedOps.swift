import CKernels
import QatModelFile

/// A conv or dense layer's weights as integers: what a model file stores and the program runs.
public struct QuantizedWeights: Sendable, Equatable {
  /// Groups (blocks) × rows (k·k·c_in/groups, or input features) × columns (output channels per group),
  /// as the float engine keeps them.
  let layout: WeightLayout
  /// The integer weights q (symmetric, zero point 0), in layout order.
  public let values: [Int8]
  /// One scale per output channel: w ≈ q·scale.
  public let scales: [Float]
  public let bits: Int
  /// The bias as an int32 at scale s_x·s_w (per output channel): round(b / (s_x·s_w)).
  public let bias: [Int32]

  /// The weights (packed to their bits), the per-channel scales and the int32 bias.
  var fileTensors: [ModelFile.Tensor] {
    [
      ModelFile.Tensor(name: "weight", shape: [values.count], data: .signedPacked(bits: bits, values: values)),
      ModelFile.Tensor(name: "scale", shape: [scales.count], data: .float32(scales)),
      ModelFile.Tensor(name: "bias", shape: [bias.count], data: .int32(bias)),
    ]
  }

  /// Σ_k q[k][c] per output channel (the zero-point correction's factor).
  var columnSums: [Int64] {
    var sums = [Int64](repeating: 0, count: layout.channels)
    layout.forEach { k, ch in sums[ch] += Int64(values[k]) }
    return sums
  }
}

/// How a layer's int32 accumulators become its output's integers (see qk_requant): per output channel,
/// the bias with the input zero point's correction folded in, and M = s_x·s_w/s_out as M0·2^−n.
final class Requantization {
  let bias: AlignedBuffer<Int32>
  let multipliers: AlignedBuffer<Int32>
  let shifts: AlignedBuffer<Int32>
  let zeroPoint, low, high: Int32

  /// For weights `w` reading input grid `x` and writing output grid `y`, clamped to [low, high].
  init(weights w: QuantizedWeights, input x: QuantParams, output y: QuantParams, low: Int32, high: Int32) {
    let sums = w.columnSums
    let channels = w.layout.channels
    bias = AlignedBuffer<Int32>(count: channels)
    multipliers = AlignedBuffer<Int32>(count: channels)
    shifts = AlignedBuffer<Int32>(count: channels)
    for c in 0..<channels {
      // Σ(q_x − z_x)·q_w = Σ q_x·q_w − z_x·Σ q_w: the correction is a constant per channel.
      let corrected = Int64(w.bias[c]) - Int64(x.zeroPoint) * sums[c]
      bias[c] = Int32(clamping: corrected)
      let m = FixedPointMultiplier(Double(x.scale) * Double(w.scales[c]) / Double(y.scale))
      multipliers[c] = m.multiplier
      shifts[c] = m.shift
    }
    zeroPoint = y.zeroPoint
    self.low = low
    self.high = high
  }

  /// The C description for output channels starting at `first`.
  func kernelParameters(from first: Int = 0) -> qk_requant {
    qk_requant(
      bias: UnsafePointer(bias.pointer + first), multiplier: UnsafePointer(multipliers.pointer + first),
      shift: UnsafePointer(shifts.pointer + first), zero_point: zeroPoint, low: low, high: high)
  }
}

/// A convolution (lowered to columns, or read directly when 1×1) or a dense layer as uint8 × int8
/// GEMMs with the requantization fused into the kernel's epilogue.
final class IntegerMatMulOp: IntegerOp {
  enum Form {
    /// conv: the shape for one image; `lowers` false for a plain 1×1 convolution.
    case conv(qk_conv_shape, lowers: Bool)
    case dense
  }

  let form: Form
  let weights: QuantizedWeights
  let requant: Requantization
  let inputZeroPoint: UInt8
  /// One packed B per group.
  let packed: [AlignedBuffer<Int8>]
  let inputElements, positions: Int
  /// The input activation's shape (a dense layer's input may be a feature map, flattened NHWC).
  let inputShape: ActivationShape
  /// Runs as `qk_qconv_direct` (the padded input read in place, no im2col): a stride-1 convolution
  /// on an AVX-512 VNNI CPU whose output rows are wide enough that the kernel − 1 extra positions it
  /// computes per row cost less than lowering would (≤ 25 %: lowering uint8 costs more, next to a
  /// GEMM 4× faster than fp32's, than those positions; taking the 16×16 and 8×8 layers too made Net C
  /// 6 % and Net D 3 % faster on Zen 5, alternating runs of `qat-bench profile-integer`).
  let direct: Bool

  init(
    form: Form, weights: QuantizedWeights, requant: Requantization, input: Int, inputActivation: IntegerActivation,
    output: Int, name: String
  ) {
    self.form = form
    self.weights = weights
    self.requant = requant
    inputZeroPoint = UInt8(clamping: inputActivation.params.zeroPoint)
    inputElements = inputActivation.shape.elements
    inputShape = inputActivation.shape
    if case .conv(let s, _) = form { positions = Int(s.out_h * s.out_w) } else { positions = 1 }
    if case .conv(var s, true) = form, Kernels.variant == QK_AVX512 {
      s.n = 1
      direct = qk_qconv_direct_supported(&s) != 0 && s.out_w >= 4 * (s.kernel - 1)
    } else {
      direct = false
    }
    let l = weights.layout
    packed = (0..<l.blocks).map { g in
      let buffer = AlignedBuffer<Int8>(count: Int(qk_qgemm_packed_size(Int32(l.rows), Int32(l.columns))))
      weights.values.withUnsafeBufferPointer { v in
        if let base = v.baseAddress {
          qk_qgemm_pack(
            Int32(l.rows), Int32(l.columns), base + g * l.rows * l.columns, Int32(l.columns), buffer.pointer)
        }
      }
      return buffer
    }
    super.init(inputs: [input], output: output, name: name)
  }

  var lowers: Bool { if case .conv(_, let lowers) = form { return lowers } else { return false } }

  override var fileLayer: ModelFile.Layer {
    var shape: [Int64] = []
    if case .conv(let s, _) = form { shape = IntegerStepDecoder.convAttributes(s) }
    return ModelFile.Layer(
      type: shape.isEmpty ? "q.dense" : "q.conv",
      integers: [Int64(inputs[0]), Int64(output), Int64(requant.low), Int64(requant.high)] + shape,
      tensors: weights.fileTensors)
  }
  /// Columns of the lowered input.
  var columns: Int { weights.layout.blocks * weights.layout.rows }

  override var scratchBytesPerImage: Int {
    guard lowers else { return 0 }
    guard direct, case .conv(var s, _) = form else { return positions * columns }
    s.n = 1
    return max(positions * columns, Int(qk_qconv_direct_scratch(&s)))
  }

  override func run(_ chunk: IntegerChunk, images: Int, index: Int) {
    let x = chunk.activations[inputs[0]].pointer, y = chunk.activations[output].pointer
    let l = weights.layout, channels = l.channels
    switch form {
    case .dense:
      var rq = requant.kernelParameters()
      qk_qgemm_u8(
        Kernels.variant, Int32(images), Int32(channels), Int32(l.rows), x, Int32(l.rows), packed[0].pointer,
        &rq, y, Int32(channels))
    case .conv(var shape, let lowers):
      shape.n = Int32(images)
      if direct, let scratch = chunk.scratch[index] {
        var rq = requant.kernelParameters()
        qk_qconv_direct(&shape, x, inputZeroPoint, packed[0].pointer, &rq, y, scratch.pointer)
        return
      }
      var a = UnsafePointer(x), lda = columns
      if lowers, let col = chunk.scratch[index] {
        qk_im2col_u8(&shape, x, inputZeroPoint, col.pointer, Int32(columns))
        a = UnsafePointer(col.pointer)
      } else {
        lda = Int(shape.c_in)
      }
      for g in 0..<l.blocks {
        var rq = requant.kernelParameters(from: g * l.columns)
        qk_qgemm_u8(
          Kernels.variant, Int32(images * positions), Int32(l.columns), Int32(l.rows), a + g * l.rows, Int32(lda),
          packed[g].pointer, &rq, y + g * l.columns, Int32(channels))
      }
    }
  }
}

/// A depthwise convolution (one filter per channel), computed directly.
final class IntegerDepthwiseOp: IntegerOp {
  let shape: qk_conv_shape
  let weights: QuantizedWeights
  let requant: Requantization
  let inputZeroPoint: Int32
  /// The weights in [kh][kw][c] order, as the kernel reads them.
  let kernelWeights: AlignedBuffer<Int8>

  init(
    shape: qk_conv_shape, weights: QuantizedWeights, requant: Requantization, input: Int, inputZeroPoint: Int32,
    output: Int, name: String
  ) {
    self.shape = shape
    self.weights = weights
    self.requant = requant
    self.inputZeroPoint = inputZeroPoint
    // The float engine keeps a depthwise conv's weights per channel, [c][kh][kw].
    let channels = Int(shape.c_out), taps = Int(shape.kernel * shape.kernel)
    kernelWeights = AlignedBuffer<Int8>(count: channels * taps)
    for c in 0..<channels {
      for t in 0..<taps { kernelWeights[t * channels + c] = weights.values[c * taps + t] }
    }
    super.init(inputs: [input], output: output, name: name)
  }

  override var fileLayer: ModelFile.Layer {
    ModelFile.Layer(
      type: "q.depthwise",
      integers: [Int64(inputs[0]), Int64(output), Int64(requant.low), Int64(requant.high)]
        + IntegerStepDecoder.convAttributes(shape),
      tensors: weights.fileTensors)
  }

  override func run(_ chunk: IntegerChunk, images: Int, index: Int) {
    var s = shape
    s.n = Int32(images)
    var rq = requant.kernelParameters()
    qk_qdepthwise(
      Kernels.variant, &s, chunk.activations[inputs[0]].pointer, inputZeroPoint, kernelWeights.pointer, &rq,
      chunk.activations[output].pointer)
  }
}
