import QatEngine
import QatModelFile

/// Node by node: what each supported operator becomes, with its attributes checked.
extension OnnxGraphConverter {
  /// The layers `node` (reading `input`, of shape `shape`) becomes and the tensor it writes; `shape`
  /// becomes the output's.
  mutating func convertNode(_ node: OnnxNode, input: String, shape: inout WalkShape) throws(OnnxImportError)
    -> ([ConvertedLayer], String)
  {
    guard let out = node.namedOutputs.first else { throw node.error("has no output") }
    guard node.proto.domain.isEmpty || node.proto.domain == "ai.onnx" else {
      throw node.error(
        "is in the operator domain '\(node.proto.domain)'; qat-repl reads the standard ONNX operators: "
          + OnnxSupported.operators)
    }
    switch node.op {
    case "Conv": return ([try conv(node, shape: &shape)], out)
    case "BatchNormalization": return ([try batchNorm(node, shape: shape)], out)
    case "Relu": return ([ConvertedLayer(kind: .relu)], out)
    case "Clip": return ([try clip(node)], out)
    case "MaxPool", "AveragePool": return ([try pool(node, shape: &shape)], out)
    case "GlobalAveragePool":
      try requireFeatureMap(node, shape)
      shape = WalkShape(channels: shape.channels, height: 1, width: 1, isFlat: false)
      return ([ConvertedLayer(kind: .globalAvgPool)], out)
    case "Flatten":
      let axis = try node.int("axis", 1)
      guard axis == 1 else { throw node.error("flattens from axis \(axis); qat-repl flattens from axis 1") }
      return (flatten(&shape), out)
    case "Reshape":
      guard let target = node.input(1) else { throw node.error("has no shape input") }
      let dims = try constants.value(target, context: node.context).ints
      guard dims.count == 2, [0, -1].contains(dims[0]) || dims[1] == Int64(shape.elements),
        dims[1] == -1 || dims[1] == Int64(shape.elements)
      else {
        throw node.error(
          "reshapes to \(dims); qat-repl reads a Reshape only as a flatten to [N, C·H·W]",
          hint: "use torch.flatten(x, 1) or nn.Flatten()")
      }
      return (flatten(&shape), out)
    case "Gemm": return (try gemm(node, shape: &shape), out)
    case "MatMul": return try matMul(node, shape: &shape)
    case "Dropout", "Identity": return ([], out)
    default:
      throw node.error(
        "is not an operator qat-repl can express; it reads " + OnnxSupported.operators,
        hint: "export the network without it, or express it with qat-repl's layers (docs/onnx.md)")
    }
  }

  func requireFeatureMap(_ node: OnnxNode, _ shape: WalkShape) throws(OnnxImportError) {
    guard !shape.isFlat else { throw node.error("needs a feature map [N, C, H, W] but gets flat features") }
  }

  func flatten(_ shape: inout WalkShape) -> [ConvertedLayer] {
    guard !shape.isFlat else { return [] }
    shape = WalkShape(channels: shape.elements, height: 1, width: 1, isFlat: true)
    return [ConvertedLayer(kind: .flatten)]
  }

  /// Square kernels, equal strides, the same padding on every side, dilation 1.
  func window(_ node: OnnxNode, kernel fallback: [Int]) throws(OnnxImportError) -> (kernel: Int, stride: Int, pad: Int)
  {
    let k = try node.ints("kernel_shape", fallback)
    guard k.count == 2, k[0] == k[1], ModelFileLimits.kernel.contains(k[0]) else {
      throw node.error("has the kernel \(k); qat-repl's kernels are square, 2-D and at most 65,536 wide")
    }
    let s = try node.ints("strides", [1, 1])
    guard s.count == 2, s[0] == s[1], ModelFileLimits.stride.contains(s[0]) else {
      throw node.error("has the strides \(s); they must be equal and at most 1,024")
    }
    let d = try node.ints("dilations", [1, 1])
    guard d.allSatisfy({ $0 == 1 }) else {
      throw node.error("has the dilations \(d); qat-repl's layers have dilation 1")
    }
    let autoPad = try node.string("auto_pad", "NOTSET")
    guard autoPad == "NOTSET" || autoPad == "VALID" else {
      throw node.error("pads with auto_pad \(autoPad); give explicit pads", hint: "export with padding=k//2")
    }
    let p = autoPad == "VALID" ? [0, 0, 0, 0] : try node.ints("pads", [0, 0, 0, 0])
    guard p.count == 4, Set(p).count == 1, let pad = p.first, ModelFileLimits.pad.contains(pad) else {
      throw node.error("has the pads \(p); qat-repl pads every side equally, by at most 1,024")
    }
    return (k[0], s[0], pad)
  }

  mutating func conv(_ node: OnnxNode, shape: inout WalkShape) throws(OnnxImportError) -> ConvertedLayer {
    try requireFeatureMap(node, shape)
    guard let wName = node.input(1) else { throw node.error("has no weight") }
    let w = try constants.value(wName, context: node.context)
    guard w.dims.count == 4, w.isFloat else { throw node.error("has weights of shape \(w.dims), not [O, I/g, k, k]") }
    let (kernel, stride, pad) = try window(node, kernel: [w.dims[2], w.dims[3]])
    let groups = try node.int("group", 1)
    let out = w.dims[0]
    guard groups >= 1, shape.channels % groups == 0, out % groups == 0, w.dims[1] == shape.channels / groups,
      w.dims[2] == kernel, w.dims[3] == kernel
    else {
      throw node.error(
        "has weights \(w.dims) and \(groups) groups for an input of \(shape.channels) channels")
    }
    let bias = try vector(node, input: 2, count: out, default: 0)
    let (h, o1) = (shape.height + 2 * pad - kernel).dividedReportingOverflow(by: stride)
    let (wd, o2) = (shape.width + 2 * pad - kernel).dividedReportingOverflow(by: stride)
    guard !o1, !o2, shape.height + 2 * pad >= kernel, shape.width + 2 * pad >= kernel else {
      throw node.error("has a \(kernel)×\(kernel) kernel larger than its padded input")
    }
    shape = WalkShape(channels: out, height: h + 1, width: wd + 1, isFlat: false)
    return ConvertedLayer(
      kind: .conv(out: out, kernel: kernel, stride: stride, pad: pad, groups: groups),
      tensors: [
        ModelFile.Tensor(name: "weight", shape: w.dims, data: .float32(w.floats)),
        ModelFile.Tensor(name: "bias", shape: [out], data: .float32(bias)),
      ])
  }

  /// The constant input `input` as `count` floats (a [count] or [1, count] tensor), or `value`
  /// repeated when the input is absent.
  mutating func vector(_ node: OnnxNode, input: Int, count: Int, default value: Float) throws(OnnxImportError)
    -> [Float]
  {
    guard let name = node.input(input) else { return [Float](repeating: value, count: count) }
    let c = try constants.value(name, context: node.context)
    guard c.isFloat, c.floats.count == count, c.dims.filter({ $0 != 1 }).count <= 1 else {
      throw node.error("has an input '\(name)' of shape \(c.dims) where \(count) values per channel are expected")
    }
    return c.floats
  }

  mutating func batchNorm(_ node: OnnxNode, shape: WalkShape) throws(OnnxImportError) -> ConvertedLayer {
    guard try node.int("training_mode", 0) == 0, node.namedOutputs.count == 1 else {
      throw node.error("is in training mode; export the model with model.eval()")
    }
    let c = shape.channels
    let gamma = try vector(node, input: 1, count: c, default: 1)
    let beta = try vector(node, input: 2, count: c, default: 0)
    let mean = try vector(node, input: 3, count: c, default: 0)
    let variance = try vector(node, input: 4, count: c, default: 1)
    // qat-repl's batch norm has ε = 1e-5: v + ε is what the function uses, so it is kept.
    let epsilon = try node.float("epsilon", 1e-5)
    let adjusted = variance.map { max(0, $0 + epsilon - LayerSpec.batchNormEpsilon) }
    let t = [c]
    return ConvertedLayer(
      kind: .batchNorm,
      tensors: [
        ModelFile.Tensor(name: "gamma", shape: t, data: .float32(gamma)),
        ModelFile.Tensor(name: "beta", shape: t, data: .float32(beta)),
        ModelFile.Tensor(name: "running_mean", shape: t, data: .float32(mean)),
        ModelFile.Tensor(name: "running_var", shape: t, data: .float32(adjusted)),
      ])
  }

  mutating func clip(_ node: OnnxNode) throws(OnnxImportError) -> ConvertedLayer {
    func bound(_ input: Int, attribute: String) throws(OnnxImportError) -> Float? {
      if let name = node.input(input) {
        let c = try constants.value(name, context: node.context)
        guard c.floats.count == 1 else { throw node.error("has a bound '\(name)' that is not one number") }
        return c.floats[0]
      }
      return node.attribute(attribute) == nil ? nil : try node.float(attribute, 0)
    }
    let low = try bound(1, attribute: "min"), high = try bound(2, attribute: "max")
    if low == 0 && high == 6 { return ConvertedLayer(kind: .relu6) }
    if low == 0 && (high == nil || high == Float.greatestFiniteMagnitude || high == .infinity) {
      return ConvertedLayer(kind: .relu)
    }
    throw node.error(
      "clips to [\(low.map { "\($0)" } ?? "-inf"), \(high.map { "\($0)" } ?? "inf")]; qat-repl expresses Clip as "
        + "ReLU (min 0) or ReLU6 (min 0, max 6)")
  }

  mutating func pool(_ node: OnnxNode, shape: inout WalkShape) throws(OnnxImportError) -> ConvertedLayer {
    try requireFeatureMap(node, shape)
    guard try node.int("ceil_mode", 0) == 0 else { throw node.error("rounds its output size up (ceil_mode)") }
    guard try node.int("storage_order", 0) == 0, node.namedOutputs.count == 1 else {
      throw node.error("returns indices, which qat-repl's pooling does not")
    }
    let (kernel, stride, pad) = try window(node, kernel: [])
    guard pad == 0 else { throw node.error("pads its input by \(pad); qat-repl's pooling does not pad") }
    guard shape.height >= kernel, shape.width >= kernel else {
      throw node.error("has a \(kernel)×\(kernel) window larger than its input")
    }
    shape.height = (shape.height - kernel) / stride + 1
    shape.width = (shape.width - kernel) / stride + 1
    return ConvertedLayer(
      kind: node.op == "MaxPool" ? .maxpool(kernel: kernel, stride: stride) : .avgpool(kernel: kernel, stride: stride))
  }

  /// A dense layer from weights in [out, in] order; a feature map is flattened first.
  func dense(_ weights: [Float], bias: [Float], out: Int, shape: inout WalkShape) -> [ConvertedLayer] {
    let inFeatures = shape.elements
    var layers = flatten(&shape)
    layers.append(
      ConvertedLayer(
        kind: .dense(out: out),
        tensors: [
          ModelFile.Tensor(name: "weight", shape: [out, inFeatures], data: .float32(weights)),
          ModelFile.Tensor(name: "bias", shape: [out], data: .float32(bias)),
        ]))
    shape = WalkShape(channels: out, height: 1, width: 1, isFlat: true)
    return layers
  }

  /// [rows, columns] values transposed to [columns, rows].
  static func transposed(_ v: [Float], rows: Int, columns: Int) -> [Float] {
    var t = [Float](repeating: 0, count: v.count)
    for r in 0..<rows { for c in 0..<columns { t[c * rows + r] = v[r * columns + c] } }
    return t
  }

  mutating func gemm(_ node: OnnxNode, shape: inout WalkShape) throws(OnnxImportError) -> [ConvertedLayer] {
    guard try node.int("transA", 0) == 0 else { throw node.error("transposes its input (transA)") }
    guard let bName = node.input(1) else { throw node.error("has no weight") }
    let b = try constants.value(bName, context: node.context)
    let transB = try node.int("transB", 0) != 0
    guard b.dims.count == 2, b.isFloat else { throw node.error("has weights of shape \(b.dims), not 2-D") }
    let (out, inFeatures) = transB ? (b.dims[0], b.dims[1]) : (b.dims[1], b.dims[0])
    guard inFeatures == shape.elements else {
      throw node.error("takes \(inFeatures) features but its input has \(shape.elements)")
    }
    let alpha = try node.float("alpha", 1), beta = try node.float("beta", 1)
    var weights = transB ? b.floats : Self.transposed(b.floats, rows: inFeatures, columns: out)
    if alpha != 1 { weights = weights.map { $0 * alpha } }
    let bias = try vector(node, input: 2, count: out, default: 0).map { $0 * beta }
    return dense(weights, bias: bias, out: out, shape: &shape)
  }

  /// MatMul by a constant [in, out], and the Add of a constant bias that follows it (torch's Linear
  /// as some exporters write it).
  mutating func matMul(_ node: OnnxNode, shape: inout WalkShape) throws(OnnxImportError) -> ([ConvertedLayer], String) {
    guard let bName = node.input(1), constants.contains(bName), let out = node.namedOutputs.first else {
      throw node.error("multiplies two computed tensors; qat-repl reads MatMul by constant weights only")
    }
    let b = try constants.value(bName, context: node.context)
    guard b.dims.count == 2, b.isFloat, b.dims[0] == shape.elements else {
      throw node.error("has weights of shape \(b.dims) for \(shape.elements) input features")
    }
    let weights = Self.transposed(b.floats, rows: b.dims[0], columns: b.dims[1])
    var bias = [Float](repeating: 0, count: b.dims[1])
    var end = out
    if let readers = readers[out], readers.count == 1, nodes[readers[0]].op == "Add",
      let other = nodes[readers[0]].proto.input.first(where: { $0 != out }), constants.contains(other)
    {
      let add = nodes[readers[0]]
      let c = try constants.value(other, context: add.context)
      guard c.isFloat, c.floats.count == b.dims[1] else { throw add.error("adds a bias of shape \(c.dims)") }
      bias = c.floats
      visited.insert(readers[0])
      end = add.namedOutputs.first ?? out
    }
    return (dense(weights, bias: bias, out: b.dims[1], shape: &shape), end)
  }
}
