extension Network {
  /// Every activation of an evaluation pass over `data` (at most one chunk of images), by activation
  /// index (0: the input, i + 1: the output of operation i): what the integer program is compared with
  /// layer by layer. The output of a batch norm fused with its ReLU is not kept (it reads as zeros).
  public func activationValues(_ data: LabeledImages) -> [[Float]] {
    let images = data.subset(Array(0..<min(data.count, Self.chunkSize)))
    var predictions: [Int32] = []
    _ = evaluate(images, pool: WorkerPool.shared(threads: 1), batch: Self.chunkSize, predictions: &predictions)
    let shapes = [inputShape] + ops.map(\.output)
    return shapes.enumerated().map { i, shape in
      Array(UnsafeBufferPointer(start: slots[0].activations[i].pointer, count: images.count * shape.elements))
    }
  }
}
