import OnnxProto
import QatEngine

/// An fp32 network as an ONNX inference graph: Conv (batch norm folded), Gemm, Relu, Clip (ReLU6),
/// pooling, Add for residual blocks, Mul/Add for a batch norm that could not be folded.
struct FloatGraphExport {
  let network: Network
  let steps: [FloatStep]
  let info: OnnxExportInfo
  var writer = OnnxGraphWriter()
  /// Engine activation index → its tensor's name (0 is the normalized input).
  var names: [Int: String] = [:]

  init(network: Network, steps: [FloatStep], info: OnnxExportInfo) {
    self.network = network
    self.steps = steps
    self.info = info
  }

  mutating func write() -> OnnxGraphWriter {
    names[0] = writer.normalizedInput(channels: network.inputShape.channels, mean: info.mean, std: info.std)
    var last = names[0] ?? "input"
    for (k, step) in steps.enumerated() {
      let inputs = step.inputs.map { names[$0] ?? "input" }
      let out = "t\(step.output)"
      let doc = "summary row \(step.layer): \(describe(step))"
      switch step.kind {
      case let .conv(kernel, stride, pad, groups):
        let w = writer.constant(OnnxTensor.float("w\(k)", step.weights, dims: step.weightShape))
        let b = writer.constant(OnnxTensor.float("b\(k)", step.bias))
        writer.add(
          "Conv", [inputs[0], w, b], [out],
          attributes: OnnxGraphWriter.convAttributes(kernel: kernel, stride: stride, pad: pad, groups: groups), doc: doc
        )
      case .dense:
        var x = inputs[0]
        if !step.inputShape.isFlat {
          x = writer.add("Flatten", [x], ["\(out)_flat"], attributes: [OnnxAttribute.int("axis", 1)], doc: doc)
        }
        let w = writer.constant(OnnxTensor.float("w\(k)", step.weights, dims: step.weightShape))
        let b = writer.constant(OnnxTensor.float("b\(k)", step.bias))
        writer.add("Gemm", [x, w, b], [out], attributes: [OnnxAttribute.int("transB", 1)], doc: doc)
      case .relu:
        writer.add("Relu", inputs, [out], doc: doc)
      case .relu6:
        let low = writer.constant(OnnxTensor.float("relu6_min_\(k)", [0], dims: []))
        let high = writer.constant(OnnxTensor.float("relu6_max_\(k)", [6], dims: []))
        writer.add("Clip", [inputs[0], low, high], [out], doc: doc)
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
      case let .affine(scales, offsets):
        let dims = OnnxGraphWriter.channelDims(step.inputShape)
        let s = writer.constant(OnnxTensor.float("bn_scale_\(k)", scales, dims: dims))
        let o = writer.constant(OnnxTensor.float("bn_offset_\(k)", offsets, dims: dims))
        writer.add("Mul", [inputs[0], s], ["\(out)_scaled"], doc: doc)
        writer.add("Add", ["\(out)_scaled", o], [out], doc: doc)
      case .add:
        writer.add("Add", inputs, [out], doc: doc)
      }
      names[step.output] = out
      last = out
    }
    writer.outputs(from: last, flat: network.outputShape.isFlat)
    return writer
  }

  func describe(_ step: FloatStep) -> String {
    switch step.kind {
    case let .conv(kernel, _, _, _): return "conv \(kernel)x\(kernel) -> \(step.bias.count)"
    case .dense: return "dense -> \(step.bias.count)"
    case .relu: return "relu"
    case .relu6: return "relu6"
    case let .maxPool(kernel, _): return "maxpool \(kernel)"
    case let .avgPool(kernel, _): return "avgpool \(kernel)"
    case .globalAvgPool: return "globalavgpool"
    case .affine: return "batchnorm"
    case .add: return "residual add"
    }
  }
}
