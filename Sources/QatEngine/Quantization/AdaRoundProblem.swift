import Foundation

/// One block of a layer's weights — the whole dense layer, or one group of a conv (a depthwise conv
/// has one per channel) — and what AdaRound needs to know of its inputs. The layer's output error
/// on N rows (images × output positions) of inputs is, for the block's K × C weight matrix,
///   E(W̃) = ‖X̂·W̃ − X·W‖²/N = Σ W̃ ⊙ (Ĝ·W̃ − 2P) + c,  Ĝ = X̂ᵀX̂/N,  P = X̂ᵀX·W/N,  c = ‖X·W‖²/N,
/// X the fp32 network's inputs of the layer and X̂ the quantized network's (everything before the
/// layer quantized and already rounded): the paper's asymmetric reconstruction, which also makes up
/// for the error arriving from the layers before. Keeping the K × K Gram matrices instead of the
/// rows makes every step one K × K × C product, whatever the number of calibration images.
struct AdaRoundProblem {
  /// K (inputs per output) and C (outputs) of the block.
  let rows, columns: Int
  /// W, K × C, row-major as the engine keeps a block.
  let weights: [Float]
  /// Each output channel's weight scale s and the 1/s the quantizer multiplies by.
  let scales, inverseScales: [Float]
  let qmin, qmax: Float
  /// Ĝ (K × K) and P (K × C), both divided by N.
  let gram: FloatBuffer
  let target: FloatBuffer
  /// c = ‖X·W‖²/N: the output error of W̃ = 0, so that E is the error itself.
  let constant: Double

  /// Level q_k of every weight rounded to nearest, as the fake quantizer does (half to even).
  func nearestLevels() -> [Float] {
    weights.indices.map { k in clamp((weights[k] * inverseScales[k % columns]).rounded(.toNearestOrEven)) }
  }

  func clamp(_ q: Float) -> Float { min(qmax, max(qmin, q)) }

  /// E(s·q): the block's output error per row with the weights at `levels`.
  func reconstructionError(levels: [Float]) -> Double {
    let values = FloatBuffer(count: weights.count), product = FloatBuffer(count: weights.count)
    for k in 0..<weights.count { values[k] = scales[k % columns] * levels[k] }
    return error(values, product: product)
  }

  /// E at the weights in `values`; leaves Ĝ·values in `product`.
  private func error(_ values: FloatBuffer, product: FloatBuffer) -> Double {
    Kernels.gemm(
      m: rows, n: columns, k: rows, a: gram.pointer, lda: rows, b: values.pointer, ldb: columns, c: product.pointer,
      ldc: columns)
    var sum = constant
    for k in 0..<values.count { sum += Double(values[k]) * (Double(product[k]) - 2 * Double(target[k])) }
    return max(0, sum)
  }

  /// AdaRound's levels for the block: ⌊W/s⌋ + 1 where h(V) ends at ½ or above, else ⌊W/s⌋, clamped
  /// to the grid. `progress(iteration, error)` runs every 50 iterations and at the end; returning
  /// true stops the optimization (nil then).
  func solve(settings: AdaRound.Settings, progress: (Int, Double) -> Bool) -> [Float]? {
    let n = weights.count
    var floors = [Float](repeating: 0, count: n), v = [Float](repeating: 0, count: n)
    for k in 0..<n {
      let x = weights[k] * inverseScales[k % columns]
      floors[k] = x.rounded(.down)
      v[k] = AdaRound.initialV(fraction: min(max(x - floors[k], 0), 0.999_999))
    }
    var moment = [Float](repeating: 0, count: n), second = [Float](repeating: 0, count: n)
    let values = FloatBuffer(count: n), product = FloatBuffer(count: n)
    let lambda = settings.regularization, rate = settings.learningRate
    var decay1: Float = 1, decay2: Float = 1
    for iteration in 0..<settings.iterations {
      for k in 0..<n { values[k] = scales[k % columns] * clamp(floors[k] + AdaRound.rectified(v[k])) }
      let current = error(values, product: product)
      if iteration % 50 == 0, progress(iteration, current) { return nil }
      let beta = settings.beta(at: iteration)
      decay1 *= 0.9
      decay2 *= 0.999
      for k in 0..<n {
        // Where h is clamped to 0 or 1 its gradient is zero (as autograd gives the paper's), but Adam's
        // momentum still moves V.
        let slope = AdaRound.rectifiedDerivative(v[k]), h = AdaRound.rectified(v[k]), level = floors[k] + h
        var g: Double = 0
        if slope > 0 {
          if level >= qmin && level <= qmax {
            g = 2 * (Double(product[k]) - Double(target[k])) * Double(scales[k % columns])
          }
          if let beta { g += lambda * AdaRound.regularizer(h, beta: beta).derivative }
        }
        let gradient = Float(g) * slope
        moment[k] = 0.9 * moment[k] + 0.1 * gradient
        second[k] = 0.999 * second[k] + 0.001 * gradient * gradient
        let corrected = moment[k] / (1 - decay1), spread = (second[k] / (1 - decay2)).squareRoot()
        v[k] -= rate * corrected / (spread + 1e-8)
      }
    }
    let levels = (0..<n).map { k in clamp(floors[k] + (AdaRound.rectified(v[k]) >= 0.5 ? 1 : 0)) }
    if progress(settings.iterations, reconstructionError(levels: levels)) { return nil }
    return levels
  }
}
