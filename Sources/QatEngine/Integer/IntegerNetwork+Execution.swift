import CKernels

extension IntegerNetwork {
  /// Runs the program on the first `images` images of `chunk.input`: quantizes the input, runs
  /// every step in integers, and dequantizes the logits into `chunk.logits`.
  func run(_ chunk: IntegerChunk, images: Int) {
    let input = activations[0]
    qk_quantize_u8(
      chunk.input.pointer, Int64(images * input.shape.elements), input.params.inverseScale,
      input.params.zeroPoint, input.params.range.qmin, input.params.range.qmax, chunk.activations[0].pointer)
    for (index, op) in ops.enumerated() { op.run(chunk, images: images, index: index) }
    let out = outputParams, q = chunk.activations[outputIndex].pointer
    for i in 0..<(images * outputShape.elements) { chunk.logits[i] = Float(Int32(q[i]) - out.zeroPoint) * out.scale }
  }

  /// The integer program over `data` (at most `batch` images per parallel round): the loss and the
  /// accuracy counts from the dequantized logits, every prediction (ties to the lowest class, as in
  /// the simulation) and, when asked, the logits. Same contract as `Network.evaluate`.
  public func evaluate(
    _ data: LabeledImages, pool: WorkerPool, batch: Int = 256, predictions: inout [Int32],
    logits: UnsafeMutablePointer<Float>? = nil
  ) -> PassResult {
    var result = PassResult()
    predictions = [Int32](repeating: 0, count: data.count)
    let classes = outputShape.elements, capacity = chunkCapacity
    var offset = 0
    while offset < data.count {
      let total = min(max(1, batch), data.count - offset)
      let count = (total + capacity - 1) / capacity
      ensureChunks(count)
      let base = offset
      pool.run(tasks: count) { c in
        let chunk = chunks[c]
        let first = base + c * capacity
        chunk.count = min(capacity, total - c * capacity)
        for k in 0..<chunk.count {
          data.copyImage(first + k, to: chunk.input.pointer + k * inputShape.elements)
          chunk.labels[k] = data.labels[first + k]
        }
        run(chunk, images: chunk.count)
        let r = SoftmaxCrossEntropy.apply(
          logits: chunk.logits.pointer, rows: chunk.count, classes: classes,
          labels: chunk.labels.pointer, predictions: chunk.predictions.pointer,
          gradient: nil, scale: 0)
        chunk.lossSum = r.loss
        chunk.correct = r.correct
        logits.map { ($0 + first * classes).update(from: chunk.logits.pointer, count: chunk.count * classes) }
      }
      for c in 0..<count {
        let chunk = chunks[c]
        for k in 0..<chunk.count { predictions[base + c * capacity + k] = chunk.predictions[k] }
        result.lossSum += chunk.lossSum
        result.correct += chunk.correct
        result.count += chunk.count
      }
      offset += total
    }
    return result
  }

  /// Runs only step `step` on `images` images whose input activations hold the given integers, and
  /// returns its output's integers: how tests compare one integer layer with the simulation.
  public func runStep(_ step: Int, inputs: [[UInt8]], images: Int) -> [UInt8] {
    let op = ops[step], chunk = IntegerChunk(network: self, capacity: max(images, 1))
    for (index, values) in zip(op.inputs, inputs) {
      chunk.activations[index].pointer.update(from: values, count: min(values.count, chunk.activations[index].count))
    }
    op.run(chunk, images: images, index: step)
    return Array(
      UnsafeBufferPointer(
        start: chunk.activations[op.output].pointer, count: images * activations[op.output].shape.elements))
  }

  /// Step `step`'s input and output activation indices.
  public func stepActivations(_ step: Int) -> (inputs: [Int], output: Int) { (ops[step].inputs, ops[step].output) }
}
