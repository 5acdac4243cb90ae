import CKernels
import QatModelFile

/// Reads an integer program's steps back from a model file, checking every index, shape and range
/// against the activation table before anything reaches a kernel: a file that passes its checksum
/// can still have been crafted.
struct IntegerStepDecoder {
  let activations: [IntegerActivation]
  /// Activations written so far (the input, then every step's output): a step may only read these.
  var produced: Set<Int> = [0]

  init(activations: [IntegerActivation]) { self.activations = activations }

  /// A conv's attributes as stored: kernel, stride, pad, groups (the rest follows from its activations).
  static func convAttributes(_ s: qk_conv_shape) -> [Int64] { [s.kernel, s.stride, s.pad, s.groups].map(Int64.init) }

  func fail(_ entry: ModelFile.Layer, _ what: String) -> ModelFileReason {
    ModelFileReason("its integer step \(entry.type) \(what)")
  }

  /// Checks that `index` may be read (input) or written (output) and returns its activation.
  mutating func activation(_ value: Int64, output: Bool, _ entry: ModelFile.Layer) throws(ModelFileReason)
    -> IntegerActivation
  {
    guard let index = Int(exactly: value), activations.indices.contains(index), produced.contains(index) != output
    else {
      throw fail(entry, "refers to an activation it cannot \(output ? "write" : "read")")
    }
    if output { produced.insert(index) }
    return activations[index]
  }

  mutating func step(_ entry: ModelFile.Layer) throws(ModelFileReason) -> IntegerOp {
    let n = entry.integers
    switch entry.type {
    case "q.conv", "q.depthwise", "q.dense": return try weighted(entry)
    case "q.maxpool", "q.avgpool":
      guard n.count == 4 else { throw fail(entry, "is malformed") }
      let x = try activation(n[0], output: false, entry), y = try activation(n[1], output: true, entry)
      let kernel = Int(clamping: n[2]), stride = Int(clamping: n[3])
      let global = entry.type == "q.avgpool" && kernel == 0
      // Bounds first: the output shape below subtracts the kernel from the input's sides.
      guard !x.shape.isFlat,
        global || (1...x.shape.height).contains(kernel) && kernel <= x.shape.width && (1...1_024).contains(stride)
      else {
        throw fail(entry, "does not fit its activations")
      }
      let expected =
        global
        ? ActivationShape(channels: x.shape.channels, height: 1, width: 1)
        : ActivationShape(
          channels: x.shape.channels, height: (x.shape.height - kernel) / max(1, stride) + 1,
          width: (x.shape.width - kernel) / max(1, stride) + 1)
      guard !x.shape.isFlat,
        (global || (1...x.shape.height).contains(kernel) && kernel <= x.shape.width && (1...1_024).contains(stride)),
        y.shape == expected, y.params == x.params || entry.type == "q.avgpool" && y.params.range == x.params.range
      else {
        throw fail(entry, "does not fit its activations")
      }
      if entry.type == "q.maxpool" {
        return IntegerMaxPoolOp(
          input: Int(n[0]), inputShape: x.shape, output: Int(n[1]), outputShape: y.shape, kernel: kernel, stride: stride
        )
      }
      return IntegerAvgPoolOp(
        input: Int(n[0]), inputShape: x.shape, output: Int(n[1]), outputShape: y.shape,
        kernel: global ? nil : kernel, stride: stride, zeroPoint: x.params.zeroPoint)
    case "q.add":
      guard n.count == 5 else { throw fail(entry, "is malformed") }
      let a = try activation(n[0], output: false, entry), b = try activation(n[1], output: false, entry)
      let y = try activation(n[2], output: true, entry)
      let (low, high) = try clamp(n[3], n[4], y, entry)
      guard a.shape.elements == y.shape.elements, b.shape.elements == y.shape.elements else {
        throw fail(entry, "does not fit its activations")
      }
      return IntegerAddOp(
        inputs: Int(n[0]), Int(n[1]), grids: (a.params, b.params), output: Int(n[2]), params: y.params,
        elements: y.shape.elements, low: low, high: high)
    case "q.affine":
      guard n.count == 4 else { throw fail(entry, "is malformed") }
      let x = try activation(n[0], output: false, entry), y = try activation(n[1], output: true, entry)
      let (low, high) = try clamp(n[2], n[3], y, entry)
      let channels = y.shape.channels
      guard x.shape.elements == y.shape.elements, entry.floats.count == 2 * channels,
        entry.floats.allSatisfy(\.isFinite)
      else {
        throw fail(entry, "does not fit its activations")
      }
      return IntegerAffineOp(
        input: Int(n[0]), inputParams: x.params, output: Int(n[1]), outputParams: y.params, shape: y.shape,
        scales: Array(entry.floats[0..<channels]), offsets: Array(entry.floats[channels...]),
        low: low, high: high, name: entry.name)
    default:
      throw ModelFileReason(
        "it contains an integer step of unknown type '\(entry.type)' (written by a newer qat-repl?)")
    }
  }

  func clamp(_ low: Int64, _ high: Int64, _ y: IntegerActivation, _ entry: ModelFile.Layer) throws(ModelFileReason) -> (
    Int32, Int32
  ) {
    guard Int64(y.params.range.qmin) <= low, low <= high, high <= Int64(y.params.range.qmax) else {
      throw fail(entry, "clamps outside its output's range")
    }
    return (Int32(low), Int32(high))
  }

  mutating func weighted(_ entry: ModelFile.Layer) throws(ModelFileReason) -> IntegerOp {
    let n = entry.integers
    let isDense = entry.type == "q.dense"
    guard n.count == (isDense ? 4 : 8) else { throw fail(entry, "is malformed") }
    let x = try activation(n[0], output: false, entry), y = try activation(n[1], output: true, entry)
    let (low, high) = try clamp(n[2], n[3], y, entry)
    var shape = qk_conv_shape()
    let layout: WeightLayout
    if isDense {
      guard y.shape.isFlat else { throw fail(entry, "does not fit its activations") }
      layout = WeightLayout(blocks: 1, rows: x.shape.elements, columns: y.shape.channels)
    } else {
      let c = n[4...].map { Int(clamping: $0) }
      let (k, stride, pad, groups) = (c[0], c[1], c[2], c[3])
      let (h, w, cin, cout, oh, ow) = (
        x.shape.height, x.shape.width, x.shape.channels, y.shape.channels, y.shape.height, y.shape.width
      )
      guard !x.shape.isFlat, !y.shape.isFlat,
        (1...64).contains(k), (1...64).contains(stride), (0...64).contains(pad), groups >= 1, cin % groups == 0,
        cout % groups == 0,
        h + 2 * pad >= k, w + 2 * pad >= k, oh == (h + 2 * pad - k) / stride + 1, ow == (w + 2 * pad - k) / stride + 1,
        entry.type == "q.conv" || (groups == cin && cout == cin)
      else {
        throw fail(entry, "does not fit its activations")
      }
      shape = qk_conv_shape(
        n: 1, h: Int32(h), w: Int32(w), c_in: Int32(cin), c_out: Int32(cout), kernel: Int32(k),
        stride: Int32(stride), pad: Int32(pad), groups: Int32(groups), out_h: Int32(oh), out_w: Int32(ow))
      layout = WeightLayout(blocks: groups, rows: k * k * cin / groups, columns: cout / groups)
    }
    guard case .signedPacked(let bits, let values)? = entry.tensor(named: "weight")?.data, values.count == layout.count,
      case .float32(let scales)? = entry.tensor(named: "scale")?.data, scales.count == layout.channels,
      scales.allSatisfy({ $0.isFinite && $0 > 0 }),
      case .int32(let bias)? = entry.tensor(named: "bias")?.data, bias.count == layout.channels
    else {
      throw fail(entry, "lacks its weights, scales or bias")
    }
    let weights = QuantizedWeights(layout: layout, values: values, scales: scales, bits: bits, bias: bias)
    let requant = Requantization(weights: weights, input: x.params, output: y.params, low: low, high: high)
    let input = Int(n[0]), output = Int(n[1])
    let name = y.name ?? entry.type
    switch entry.type {
    case "q.dense":
      return IntegerMatMulOp(
        form: .dense, weights: weights, requant: requant, input: input, inputActivation: x, output: output, name: name)
    case "q.depthwise":
      return IntegerDepthwiseOp(
        shape: shape, weights: weights, requant: requant, input: input, inputZeroPoint: x.params.zeroPoint,
        output: output, name: name)
    default:
      let lowers = !(shape.kernel == 1 && shape.stride == 1 && shape.pad == 0 && shape.groups == 1)
      return IntegerMatMulOp(
        form: .conv(shape, lowers: lowers), weights: weights, requant: requant, input: input, inputActivation: x,
        output: output, name: name)
    }
  }
}
