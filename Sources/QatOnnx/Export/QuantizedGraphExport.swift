import OnnxProto
import QatEngine

/// An integer program as an ONNX QDQ graph (docs/onnx.md): every activation of the program is a
/// QuantizeLinear/DequantizeLinear pair on its grid (uint8, its zero point), conv and dense weights
/// are int8 constants dequantized per output channel (axis 0, zero point 0) and biases int32 at scale
/// s_x·s_w. ONNX Runtime fuses DQ → Conv/Gemm/Add/pool → Q into its integer kernels.
///
/// A clamp narrower than the uint8 container — activations below 8 bits, a ReLU whose zero is not
/// 0, a ReLU6 inside the range — is a second pair after the first, DQ → Clip → Q on the same grid:
/// the clip bounds are grid points, so it clamps the integers exactly, and the layer before it still
/// fuses into an integer kernel.
struct QuantizedGraphExport {
  let program: IntegerNetwork
  let info: OnnxExportInfo
  var writer = OnnxGraphWriter()

  init(program: IntegerNetwork, info: OnnxExportInfo) {
    self.program = program
    self.info = info
  }

  mutating func write() throws(OnnxExportError) -> OnnxGraphWriter {
    let activations = program.activations
    for (i, a) in activations.enumerated() {
      guard a.params.range.bits <= 8, !a.params.range.signed else {
        throw OnnxExportError("activation \(i) is not an unsigned grid of at most 8 bits")
      }
      writer.constant(OnnxTensor.float("a\(i)_scale", [a.params.scale], dims: []))
      writer.constant(OnnxTensor.uint8("a\(i)_zero", [UInt8(clamping: a.params.zeroPoint)], dims: []))
    }
    let first = activations[0]
    let normalized = writer.normalizedInput(channels: first.shape.channels, mean: info.mean, std: info.std)
    quantize(normalized, into: 0, clamp: first.params.range.qmin...first.params.range.qmax, doc: "input quantizer")
    for (k, step) in program.steps.enumerated() {
      let inputs = step.inputs.map { "a\($0)" }
      let out = "s\(k)"
      let target = activations[step.output]
      let doc = "step \(k): \(step.name)" + (target.name.map { $0 == step.name ? "" : " (\($0))" } ?? "")
      switch step.kind {
      case let .conv(kernel, stride, pad, groups):
        guard let weights = step.weights else { throw OnnxExportError("\(step.name) has no weights") }
        let (w, b) = weightedInputs(weights, step: k, inputScale: activations[step.inputs[0]].params.scale)
        writer.add(
          "Conv", [inputs[0], w, b], [out],
          attributes: OnnxGraphWriter.convAttributes(kernel: kernel, stride: stride, pad: pad, groups: groups), doc: doc
        )
      case .dense:
        guard let weights = step.weights else { throw OnnxExportError("\(step.name) has no weights") }
        var x = inputs[0]
        let source = step.inputs[0]
        if !activations[source].shape.isFlat {
          // Flattened as integers, then dequantized: ONNX Runtime fuses DQ → Gemm → Q only when the
          // DequantizeLinear feeds the Gemm directly.
          writer.add(
            "Flatten", ["a\(source)_q"], ["\(out)_flat_q"], attributes: [OnnxAttribute.int("axis", 1)], doc: doc)
          x = writer.add(
            "DequantizeLinear", ["\(out)_flat_q", "a\(source)_scale", "a\(source)_zero"], ["\(out)_flat"], doc: doc)
        }
        let (w, b) = weightedInputs(weights, step: k, inputScale: activations[step.inputs[0]].params.scale)
        writer.add("Gemm", [x, w, b], [out], attributes: [OnnxAttribute.int("transB", 1)], doc: doc)
      case let .maxPool(kernel, stride):
        writer.add(
          "MaxPool", inputs, [out], attributes: OnnxGraphWriter.poolAttributes(kernel: kernel, stride: stride), doc: doc
        )
      case let .avgPool(kernel, stride):
        writer.add(
          "AveragePool", inputs, [out], attributes: OnnxGraphWriter.poolAttributes(kernel: kernel, stride: stride),
          doc: doc)
      case .globalAvgPool:
        writer.add("GlobalAveragePool", inputs, [out], doc: doc)
      case .add:
        writer.add("Add", inputs, [out], doc: doc)
      case let .affine(scales, offsets):
        if scales.allSatisfy({ $0 == 1 }) && offsets.allSatisfy({ $0 == 0 }) {
          writer.add("Identity", inputs, [out], doc: doc)
        } else {
          let dims = OnnxGraphWriter.channelDims(activations[step.inputs[0]].shape)
          let s = writer.constant(OnnxTensor.float("affine_scale_\(k)", scales.map { Float($0) }, dims: dims))
          let o = writer.constant(OnnxTensor.float("affine_offset_\(k)", offsets.map { Float($0) }, dims: dims))
          writer.add("Mul", [inputs[0], s], ["\(out)_scaled"], doc: doc)
          writer.add("Add", ["\(out)_scaled", o], [out], doc: doc)
        }
      }
      quantize(out, into: step.output, clamp: step.clamp, doc: doc)
    }
    writer.outputs(from: "a\(program.outputIndex)", flat: program.outputShape.isFlat)
    return writer
  }

  /// `tensor` onto activation `index`'s grid: Q → (DQ → Clip → Q when `clamp` is narrower than
  /// uint8) → DQ, giving `a{index}_q` (uint8) and `a{index}` (float).
  mutating func quantize(_ tensor: String, into index: Int, clamp: ClosedRange<Int32>?, doc: String) {
    let scale = "a\(index)_scale", zero = "a\(index)_zero"
    let params = program.activations[index].params
    let narrowed = clamp.map { $0.lowerBound > 0 || $0.upperBound < 255 } ?? false
    if let clamp, narrowed {
      writer.add("QuantizeLinear", [tensor, scale, zero], ["a\(index)_q8"], doc: doc)
      writer.add("DequantizeLinear", ["a\(index)_q8", scale, zero], ["a\(index)_wide"], doc: doc)
      // Grid points (q − z)·s: clipping there and quantizing again clamps the integers exactly.
      let low = Float(clamp.lowerBound - params.zeroPoint) * params.scale
      let high = Float(clamp.upperBound - params.zeroPoint) * params.scale
      let l = writer.constant(OnnxTensor.float("a\(index)_low", [low], dims: []))
      let h = writer.constant(OnnxTensor.float("a\(index)_high", [high], dims: []))
      writer.add(
        "Clip", ["a\(index)_wide", l, h], ["a\(index)_clipped"],
        doc: "clamp to \(clamp.lowerBound)...\(clamp.upperBound) (\(params.range.bits) bits)")
      writer.add("QuantizeLinear", ["a\(index)_clipped", scale, zero], ["a\(index)_q"], doc: doc)
    } else {
      writer.add("QuantizeLinear", [tensor, scale, zero], ["a\(index)_q"], doc: doc)
    }
    writer.add("DequantizeLinear", ["a\(index)_q", scale, zero], ["a\(index)"], doc: doc)
  }

  /// The dequantized weight and bias tensors of step `k`: int8 weights (INT4 at opset 21 for ≤ 4
  /// bits) per output channel on axis 0, a scalar scale when every channel shares one; the int32
  /// bias at scale s_x·s_w[c].
  mutating func weightedInputs(_ w: IntegerStep.Weights, step k: Int, inputScale: Float) -> (String, String) {
    let channels = w.scales.count
    let perTensor = w.scales.allSatisfy { $0 == w.scales.first }
    let scaleDims = perTensor ? [] : [channels]
    let scales = perTensor ? [w.scales.first ?? 1] : w.scales
    let packed = info.opset >= 21 && w.bits <= 4
    let values =
      packed
      ? OnnxTensor.packed4("w\(k)", w.values, signed: true, dims: w.shape)
      : OnnxTensor.int8("w\(k)", w.values, dims: w.shape)
    let zeros =
      packed
      ? OnnxTensor.packed4("w\(k)_zero", [Int8](repeating: 0, count: scales.count), signed: true, dims: scaleDims)
      : OnnxTensor.int8("w\(k)_zero", [Int8](repeating: 0, count: scales.count), dims: scaleDims)
    writer.constant(values)
    writer.constant(OnnxTensor.float("w\(k)_scale", scales, dims: scaleDims))
    writer.constant(zeros)
    let axis = perTensor ? [] : [OnnxAttribute.int("axis", 0)]
    let doc = "\(w.bits)-bit weights, \(perTensor ? "one scale" : "a scale per output channel")"
    writer.add("DequantizeLinear", ["w\(k)", "w\(k)_scale", "w\(k)_zero"], ["w\(k)_dq"], attributes: axis, doc: doc)
    let biasScales = perTensor ? [inputScale * scales[0]] : w.scales.map { inputScale * $0 }
    writer.constant(OnnxTensor.int32("b\(k)", w.bias))
    writer.constant(OnnxTensor.float("b\(k)_scale", biasScales, dims: scaleDims))
    writer.constant(OnnxTensor.int32("b\(k)_zero", [Int32](repeating: 0, count: scales.count), dims: scaleDims))
    writer.add(
      "DequantizeLinear", ["b\(k)", "b\(k)_scale", "b\(k)_zero"], ["b\(k)_dq"], attributes: axis,
      doc: "int32 bias at scale s_x * s_w")
    return ("w\(k)_dq", "b\(k)_dq")
  }
}
