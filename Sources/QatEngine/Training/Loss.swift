import Foundation

/// Softmax cross-entropy over logits, one row per image.
enum SoftmaxCrossEntropy {
  /// Loss summed over the rows, the number whose arg-max equals the label, and each row's arg-max
  /// (ties go to the lowest class). When `gradient` is given it receives (softmax − one-hot)·scale.
  static func apply(
    logits: UnsafePointer<Float>, rows: Int, classes: Int, labels: UnsafePointer<Int32>,
    predictions: UnsafeMutablePointer<Int32>, gradient: UnsafeMutablePointer<Float>?, scale: Float
  )
    -> (loss: Double, correct: Int)
  {
    var loss = 0.0
    var correct = 0
    for r in 0..<rows {
      let z = logits + r * classes
      var best = 0
      for k in 1..<max(1, classes) where z[k] > z[best] { best = k }
      predictions[r] = Int32(best)
      let label = Int(labels[r])
      if best == label { correct += 1 }
      let top = z[best]
      var sum = 0.0
      for k in 0..<classes { sum += Double(Foundation.exp(z[k] - top)) }
      // log-sum-exp, shifted by the maximum so that large logits do not overflow.
      let logSum = Double(top) + Foundation.log(sum)
      loss += logSum - Double(z[label])
      if let g = gradient?.advanced(by: r * classes) {
        for k in 0..<classes {
          let p = Float(Foundation.exp(Double(z[k]) - logSum))
          g[k] = (p - (k == label ? 1 : 0)) * scale
        }
      }
    }
    return (loss, correct)
  }
}

/// Images and labels ready for the engine: pixels normalized and stored NHWC, one image after another.
public final class LabeledImages: @unchecked Sendable {
  public let shape: ActivationShape
  public let count: Int
  public let labels: [Int32]
  let pixels: FloatBuffer

  /// From NCHW pixels (what datasets hold) and labels.
  public init(nchw: [Float], labels: [Int], shape: ActivationShape) {
    self.shape = shape
    count = labels.count
    self.labels = labels.map { Int32(truncatingIfNeeded: $0) }
    let e = shape.elements, plane = shape.height * shape.width, c = shape.channels
    pixels = FloatBuffer(count: count * e)
    nchw.withUnsafeBufferPointer { source in
      for i in 0..<min(count, source.count / max(1, e)) {
        for ch in 0..<c {
          for p in 0..<plane { pixels[i * e + p * c + ch] = source[i * e + ch * plane + p] }
        }
      }
    }
  }

  /// The images at `indices`, in that order.
  public func subset(_ indices: [Int]) -> LabeledImages {
    LabeledImages(shape: shape, labels: indices.map { labels[$0] }, gathering: indices, from: pixels)
  }

  private init(shape: ActivationShape, labels: [Int32], gathering indices: [Int], from source: FloatBuffer) {
    self.shape = shape
    count = labels.count
    self.labels = labels
    let e = shape.elements
    pixels = FloatBuffer(count: count * e)
    for (k, i) in indices.enumerated() { (pixels.pointer + k * e).update(from: source.pointer + i * e, count: e) }
  }

  /// Copies image `index` into `destination` (NHWC).
  @inline(__always) func copyImage(_ index: Int, to destination: UnsafeMutablePointer<Float>) {
    destination.update(from: pixels.pointer + index * shape.elements, count: shape.elements)
  }
}

/// A teacher's logits for every training image (image after image) and how to learn from them
/// (Hinton et al. 2015, "Distilling the Knowledge in a Neural Network").
public struct DistillationTargets: Sendable {
  public let logits: [Float]
  /// Softens both distributions: softmax(z / T).
  public let temperature: Float
  /// α, the share of the loss that is distillation; 1 − α stays cross-entropy with the labels.
  public let weight: Float

  public init(logits: [Float], temperature: Float, weight: Float) {
    self.logits = logits
    self.temperature = temperature
    self.weight = weight
  }
}

/// The loss of QAT with a teacher: (1 − α)·CE(softmax(s), y) + α·T²·KL(softmax(t/T) ‖ softmax(s/T)),
/// s the student's logits, t the teacher's. T² keeps the soft term's gradient the size of the hard
/// one's as T grows: ∂/∂s_k = (1 − α)(p_k − y_k) + α·T·(q_k − r_k), p = softmax(s), q = softmax(s/T),
/// r = softmax(t/T).
enum DistillationLoss {
  static func apply(
    logits: UnsafePointer<Float>, teacher: UnsafePointer<Float>, rows: Int, classes: Int,
    labels: UnsafePointer<Int32>, predictions: UnsafeMutablePointer<Int32>, gradient: UnsafeMutablePointer<Float>?,
    scale: Float, temperature: Float, weight: Float
  ) -> (loss: Double, correct: Int) {
    let hard = SoftmaxCrossEntropy.apply(
      logits: logits, rows: rows, classes: classes, labels: labels, predictions: predictions, gradient: gradient,
      scale: scale * (1 - weight))
    let t = Double(max(temperature, 1e-3)), a = Double(weight)
    var soft = 0.0
    for r in 0..<rows {
      let s = logits + r * classes, z = teacher + r * classes
      let q = Self.softmax(s, classes, t), target = Self.softmax(z, classes, t)
      for k in 0..<classes where target[k] > 0 {
        soft += target[k] * (log(target[k]) - log(max(q[k], 1e-300)))
      }
      if let g = gradient?.advanced(by: r * classes) {
        for k in 0..<classes { g[k] += Float(a * t * (q[k] - target[k])) * scale }
      }
    }
    return ((1 - a) * hard.loss + a * t * t * soft, hard.correct)
  }

  /// softmax(z / t) in Double, shifted by the maximum.
  static func softmax(_ z: UnsafePointer<Float>, _ classes: Int, _ t: Double) -> [Double] {
    var top = -Double.infinity
    for k in 0..<classes { top = max(top, Double(z[k]) / t) }
    var e = (0..<classes).map { exp(Double(z[$0]) / t - top) }
    let sum = e.reduce(0, +)
    for k in 0..<classes { e[k] /= sum }
    return e
  }
}
