import CKernels

/// A fully connected layer on a flat input: y = x·W + b with W stored [in] × [out]. The input's
/// features are in the engine's NHWC flatten order (h, w, c).
final class DenseOp: WeightedOperation {
  /// The feature map that was flattened into this layer's input, if any: users see input features
  /// in PyTorch's (c, h, w) order, the engine keeps them in (h, w, c) order.
  let flattenedFrom: ActivationShape?

  init(input: ActivationShape, out: Int, flattenedFrom: ActivationShape?) {
    self.flattenedFrom = flattenedFrom
    super.init(
      input: input, output: ActivationShape(features: out), weightShape: [out, input.elements],
      layout: WeightLayout(blocks: 1, rows: input.elements, columns: out))
  }

  /// Internal input-feature index of user feature `f` (c·H·W + h·W + w → (h·W + w)·C + c).
  func internalFeature(_ f: Int) -> Int {
    guard let s = flattenedFrom, !s.isFlat else { return f }
    let c = f / (s.height * s.width), rest = f % (s.height * s.width)
    return rest * s.channels + c
  }

  /// The weights in PyTorch order [out, in], flattened.
  func userWeights() -> [Float] {
    let inF = input.elements, outF = output.channels
    var result = [Float](repeating: 0, count: weight.count)
    for o in 0..<outF {
      for f in 0..<inF { result[o * inF + f] = weight.value[internalFeature(f) * outF + o] }
    }
    return result
  }

  /// Sets the weights from PyTorch order [out, in].
  func setUserWeights(_ values: [Float]) {
    let inF = input.elements, outF = output.channels
    for o in 0..<outF {
      for f in 0..<inF { weight.value[internalFeature(f) * outF + o] = values[o * inF + f] }
    }
  }

  override func makeScratch(capacity: Int) -> Scratch {
    Scratch(gradients: [FloatBuffer(count: weight.count), FloatBuffer(count: bias.count)])
  }

  override func forward(phase: Int, _ io: ChunkIO, training: Bool) {
    let inF = input.elements, outF = output.channels
    Kernels.gemm(m: io.count, n: outF, k: inF, a: io.x, lda: inF, b: weights, ldb: outF, c: io.y, ldc: outF)
    if let q = foldingQuantizer {
      q.finishOutput(io.y, rows: io.count, bias: bias.value)
    } else {
      qk_add_bias_rows(io.y, Int32(io.count), Int32(outF), bias.value.pointer)
    }
  }

  override func backward(phase: Int, _ io: ChunkIO) {
    guard let dy = io.dy else { return }
    let inF = input.elements, outF = output.channels
    qk_sum_rows(dy, Int32(io.count), Int32(outF), io.scratch.gradients[1].pointer, 0)
    // With a QAT-folded batch norm the GEMM's output was divided by s (see ConvOp.backward).
    if let q = foldingQuantizer { q.unscaleGradient(dy, rows: io.count) }
    Kernels.gemm(
      transA: true, m: inF, n: outF, k: io.count, a: io.x, lda: inF, b: dy, ldb: outF,
      c: io.scratch.gradients[0].pointer, ldc: outF)
    if let dx = io.dx {
      Kernels.gemm(
        transB: true, m: io.count, n: inF, k: outF, a: dy, lda: outF, b: weights, ldb: outF,
        c: dx, ldc: inF)
    }
  }
}
