import Foundation
import OnnxProto
import QatModelFile

/// The steps of a qat-repl QDQ graph as model-file entries (the formats IntegerStepDecoder reads).
extension ProgramReader {
  /// The index i of a tensor named `a{i}` (or `a{i}_…`).
  static func activationIndex(_ name: String) -> Int? {
    guard name.hasPrefix("a") else { return nil }
    return Int(name.dropFirst().prefix { $0.isNumber })
  }

  /// The activation a step reads through `tensor`: `a{i}` itself, or for a dense layer the
  /// DequantizeLinear of its flattened integers, which names a{i}'s scale.
  func source(_ tensor: String, step k: Int) throws(OnnxImportError) -> Int {
    if let j = Self.activationIndex(tensor), tensor == "a\(j)" { return j }
    if let dq = writer[tensor], dq.opType == "DequantizeLinear", dq.input.count > 1,
      let j = Self.activationIndex(dq.input[1]), dq.input[1] == "a\(j)_scale"
    {
      return j
    }
    throw OnnxImportError("step \(k) reads '\(tensor)', which is not an activation")
  }

  mutating func steps(activations: [Activation], weightBits: [Int]) throws(OnnxImportError) -> [ModelFile.Layer] {
    var entries: [ModelFile.Layer] = []
    for k in 0..<weightBits.count {
      let name = "s\(k)"
      guard let main = writer[name] else { throw OnnxImportError("the graph lacks step \(k) ('\(name)')") }
      // The step's output grid: the QuantizeLinear that reads it.
      guard let q = nodes.first(where: { $0.opType == "QuantizeLinear" && $0.input.first == name }),
        let out = q.output.first.flatMap(Self.activationIndex), activations.indices.contains(out)
      else { throw OnnxImportError("step \(k) is not quantized onto an activation") }
      let y = activations[out]
      var low = Int64(0), high = Int64(255)
      if initializers["a\(out)_low"] != nil {
        low = Int64((try scalar("a\(out)_low") / Double(y.scale)).rounded()) + Int64(y.zeroPoint)
        high = Int64((try scalar("a\(out)_high") / Double(y.scale)).rounded()) + Int64(y.zeroPoint)
      }
      // An affine step is Mul(a{i}, scale) → Add(offset): its activation is the Mul's input.
      let affine = main.opType == "Add" && main.input.count == 2 && main.input[1].hasPrefix("affine")
      let mul = affine ? main.input.first.flatMap { writer[$0] } : nil
      guard let first = affine ? mul?.input.first : main.input.first else {
        throw OnnxImportError("step \(k) has no input")
      }
      let x = try source(first, step: k)
      guard activations.indices.contains(x) else { throw OnnxImportError("step \(k) reads no activation") }
      let op = OnnxNode(index: k, proto: main)
      switch main.opType {
      case "Conv", "Gemm":
        entries.append(
          try weighted(
            op, step: k, bits: weightBits[k], input: activations[x], x: x, out: out, y: y, clamp: (low, high)))
      case "MaxPool", "AveragePool":
        let kernel = try op.ints("kernel_shape", [1, 1]).first ?? 1, stride = try op.ints("strides", [1, 1]).first ?? 1
        entries.append(
          ModelFile.Layer(
            type: main.opType == "MaxPool" ? "q.maxpool" : "q.avgpool",
            integers: [x, out, kernel, stride].map(Int64.init)))
      case "GlobalAveragePool":
        entries.append(ModelFile.Layer(type: "q.avgpool", integers: [Int64(x), Int64(out), 0, 1]))
      case "Add" where !affine:
        guard main.input.count == 2 else { throw OnnxImportError("step \(k) is an Add without two inputs") }
        let second = try source(main.input[1], step: k)
        entries.append(ModelFile.Layer(type: "q.add", integers: [Int64(x), Int64(second), Int64(out), low, high]))
      case "Identity", "Add":
        var scales = [Double](repeating: 1, count: y.channels), offsets = [Double](repeating: 0, count: y.channels)
        if let mul {
          guard mul.opType == "Mul", mul.input.count == 2 else {
            throw OnnxImportError("step \(k) is an Add that is neither a residual add nor an affine map")
          }
          scales = try constants.value(mul.input[1], context: "").floats.map(Double.init)
          offsets = try constants.value(main.input[1], context: "").floats.map(Double.init)
        }
        entries.append(
          ModelFile.Layer(
            type: "q.affine", name: "affine", integers: [Int64(x), Int64(out), low, high],
            floats: scales + offsets))
      default:
        throw OnnxImportError("step \(k) is a \(main.opType), which qat-repl's export does not write")
      }
    }
    return entries
  }

  /// A conv or dense step: its integer weights back in the engine's layout.
  mutating func weighted(
    _ op: OnnxNode, step k: Int, bits: Int, input: Activation, x: Int, out: Int, y: Activation,
    clamp: (Int64, Int64)
  ) throws(OnnxImportError) -> ModelFile.Layer {
    let w = try bytes("w\(k)")
    let count = w.dims.reduce(1) { $0 &* max(0, $1) }
    var user: [Int8]
    if w.type == 22 {  // INT4, two a byte, low nibble first
      guard w.raw.count == (count + 1) / 2 else { throw OnnxImportError("step \(k)'s INT4 weights are cut short") }
      let raw = [UInt8](w.raw)
      user = (0..<count).map { i in
        let nibble = i % 2 == 0 ? raw[i / 2] & 0x0F : raw[i / 2] >> 4
        return Int8(bitPattern: nibble << 4) >> 4
      }
    } else {
      guard w.type == 3, w.raw.count == count else { throw OnnxImportError("step \(k)'s weights are not int8") }
      user = w.raw.map { Int8(bitPattern: $0) }
    }
    let outChannels = w.dims.first ?? 0
    var scales = try constants.value("w\(k)_scale", context: "").floats
    if scales.count == 1 { scales = Array(repeating: scales[0], count: outChannels) }
    let bias = try constants.value("b\(k)", context: "").ints.map { Int32(clamping: $0) }
    guard scales.count == outChannels, bias.count == outChannels, outChannels > 0 else {
      throw OnnxImportError("step \(k)'s scales or bias do not match its \(outChannels) output channels")
    }
    var engineOrder = [Int8](repeating: 0, count: count)
    var integers = [Int64(x), Int64(out), clamp.0, clamp.1]
    var type = "q.dense"
    if op.op == "Conv", w.dims.count == 4 {
      let groups = try op.int("group", 1), kernel = w.dims[2], cin = w.dims[1]
      let stride = try op.ints("strides", [1, 1]).first ?? 1, pad = try op.ints("pads", [0, 0, 0, 0]).first ?? 0
      integers += [kernel, stride, pad, groups].map(Int64.init)
      let columns = outChannels / max(1, groups), rows = kernel * kernel * cin
      if groups > 1 && groups == input.channels && outChannels == groups {
        type = "q.depthwise"
        engineOrder = user
      } else {
        type = "q.conv"
        for o in 0..<outChannels {
          let g = o / max(1, columns), oo = o % max(1, columns)
          for i in 0..<cin {
            for t in 0..<(kernel * kernel) {
              let at = g * rows * columns + (t * cin + i) * columns + oo
              if at < count { engineOrder[at] = user[(o * cin + i) * kernel * kernel + t] }
            }
          }
        }
      }
    } else {
      let features = count / outChannels, plane = input.height * input.width
      for o in 0..<outChannels {
        for f in 0..<features {
          let row = input.flat || plane <= 1 ? f : (f % plane) * input.channels + f / plane
          if row * outChannels + o < count { engineOrder[row * outChannels + o] = user[o * features + f] }
        }
      }
    }
    return ModelFile.Layer(
      type: type, integers: integers,
      tensors: [
        ModelFile.Tensor(name: "weight", shape: [count], data: .signedPacked(bits: bits, values: engineOrder)),
        ModelFile.Tensor(name: "scale", shape: [outChannels], data: .float32(scales)),
        ModelFile.Tensor(name: "bias", shape: [outChannels], data: .int32(bias)),
      ])
  }
}
