import CKernels

/// Max pooling (the gradient goes to the first maximum of each window).
final class MaxPoolOp: Operation {
  let kernel, stride: Int

  init(input: ActivationShape, output: ActivationShape, kernel: Int, stride: Int) {
    self.kernel = kernel
    self.stride = stride
    super.init(input: input, output: output)
  }

  final class IndexScratch: Scratch {
    let argmax: AlignedBuffer<Int32>
    init(argmax: AlignedBuffer<Int32>) {
      self.argmax = argmax
      super.init()
    }
  }

  override func makeScratch(capacity: Int) -> Scratch {
    IndexScratch(argmax: AlignedBuffer<Int32>(count: capacity * output.elements))
  }

  override func forward(phase: Int, _ io: ChunkIO, training: Bool) {
    guard let s = io.scratch as? IndexScratch else { return }
    qk_maxpool_forward(
      io.x, Int32(io.count), Int32(input.height), Int32(input.width), Int32(input.channels),
      Int32(kernel), Int32(stride), Int32(output.height), Int32(output.width), io.y,
      training ? s.argmax.pointer : nil)
  }

  override func backward(phase: Int, _ io: ChunkIO) {
    guard let dy = io.dy, let dx = io.dx, let s = io.scratch as? IndexScratch else { return }
    qk_maxpool_backward(dy, s.argmax.pointer, Int32(io.count * output.elements), Int32(io.count * input.elements), dx)
  }
}

/// Average pooling over k×k windows.
final class AvgPoolOp: Operation {
  let kernel, stride: Int

  init(input: ActivationShape, output: ActivationShape, kernel: Int, stride: Int) {
    self.kernel = kernel
    self.stride = stride
    super.init(input: input, output: output)
  }

  override func forward(phase: Int, _ io: ChunkIO, training: Bool) {
    qk_avgpool_forward(
      io.x, Int32(io.count), Int32(input.height), Int32(input.width), Int32(input.channels),
      Int32(kernel), Int32(stride), Int32(output.height), Int32(output.width), io.y)
  }

  override func backward(phase: Int, _ io: ChunkIO) {
    guard let dy = io.dy, let dx = io.dx else { return }
    qk_avgpool_backward(
      dy, Int32(io.count), Int32(input.height), Int32(input.width), Int32(input.channels),
      Int32(kernel), Int32(stride), Int32(output.height), Int32(output.width), dx)
  }
}

/// The mean of each channel over the whole feature map: [C, H, W] → [C, 1, 1].
final class GlobalAvgPoolOp: Operation {
  init(input: ActivationShape) {
    super.init(input: input, output: ActivationShape(channels: input.channels, height: 1, width: 1))
  }

  override func forward(phase: Int, _ io: ChunkIO, training: Bool) {
    Self.average(io.x, io.y, images: io.count, shape: input)
  }

  /// The mean of each channel of `images` NHWC feature maps of `shape`, summed position by position
  /// (the training engine and the inference path share it, so they agree bit for bit).
  static func average(
    _ x: UnsafeMutablePointer<Float>, _ y: UnsafeMutablePointer<Float>, images: Int, shape: ActivationShape
  ) {
    let c = shape.channels, positions = shape.height * shape.width
    let scale = 1 / Float(positions)
    for img in 0..<images {
      let source = x + img * positions * c, target = y + img * c
      for ch in 0..<c { target[ch] = 0 }
      for p in 0..<positions {
        for ch in 0..<c { target[ch] += source[p * c + ch] }
      }
      for ch in 0..<c { target[ch] *= scale }
    }
  }

  override func backward(phase: Int, _ io: ChunkIO) {
    guard let dy = io.dy, let dx = io.dx else { return }
    let c = input.channels, positions = input.height * input.width
    let scale = 1 / Float(positions)
    for img in 0..<io.count {
      let g = dy + img * c, d = dx + img * positions * c
      for p in 0..<positions {
        for ch in 0..<c { d[p * c + ch] = g[ch] * scale }
      }
    }
  }
}
