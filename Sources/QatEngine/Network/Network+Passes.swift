import QatSupport

/// What one pass over a set of images measured.
public struct PassResult: Sendable {
  public var lossSum = 0.0
  public var correct = 0
  public var count = 0
  /// False when a fake-quantization step saw NaN or infinity in a training pass (its grid would
  /// otherwise hide it from the loss).
  public var activationsFinite = true
}

extension Network {
  /// Forward and backward over the images at `indices` of `data` (one batch): leaves the batch's
  /// gradient (mean over the batch) in every parameter's `gradient`. Parameters are not changed.
  /// With `augmentation`, each image is cropped and flipped as it is copied into its chunk (no copy
  /// of the data set); its choice derives from `stepSeed` and its position in the batch.
  func trainBatch(
    _ indices: ArraySlice<Int>, of data: LabeledImages, pool: WorkerPool, stepSeed: UInt64,
    augmentation: TrainingAugmentation? = nil
  ) -> PassResult {
    let total = indices.count
    let chunks = (total + Self.chunkSize - 1) / Self.chunkSize
    ensureSlots(chunks)
    for op in ops { op.beginForward(training: true) }
    let classes = outputShape.elements
    let scale = 1 / Float(total)
    let start = indices.startIndex
    run(
      trainingSteps(), chunks: chunks, total: total, training: true, stepSeed: stepSeed, pool: pool,
      perChunk: { c, slot in
        let first = start + c * Self.chunkSize
        slot.count = min(Self.chunkSize, total - c * Self.chunkSize)
        let input = slot.activations[0].pointer
        for k in 0..<slot.count {
          let image = indices[first + k]
          if let augmentation, augmentation.augmentation.isActive {
            let choice = augmentation.augmentation.choice(seed: stepSeed, position: c * Self.chunkSize + k)
            data.copyImage(image, to: input + k * inputShape.elements, choice: choice, fill: augmentation.fill)
          } else {
            data.copyImage(image, to: input + k * inputShape.elements)
          }
          slot.labels[k] = data.labels[image]
        }
      },
      loss: { c, slot in
        let last = slot.activations.count - 1
        let result: (loss: Double, correct: Int)
        if let d = distillation, d.logits.count >= data.count * classes {
          // The teacher's logits of this chunk's images, in the chunk's order.
          var teacher = [Float](repeating: 0, count: slot.count * classes)
          for k in 0..<slot.count {
            let image = indices[start + c * Self.chunkSize + k]
            for j in 0..<classes { teacher[k * classes + j] = d.logits[image * classes + j] }
          }
          result = DistillationLoss.apply(
            logits: slot.activations[last].pointer, teacher: teacher, rows: slot.count, classes: classes,
            labels: slot.labels.pointer, predictions: slot.predictions.pointer,
            gradient: slot.gradients[last].pointer, scale: scale, temperature: d.temperature, weight: d.weight)
        } else {
          result = SoftmaxCrossEntropy.apply(
            logits: slot.activations[last].pointer, rows: slot.count, classes: classes, labels: slot.labels.pointer,
            predictions: slot.predictions.pointer, gradient: slot.gradients[last].pointer, scale: scale)
        }
        slot.lossSum = result.loss
        slot.correct = result.correct
      })
    reduceGradients(chunks: chunks)
    for op in ops { op.finishBackward() }
    var result = collect(chunks: chunks)
    for (i, op) in ops.enumerated() where op is FakeQuantOp {
      for c in 0..<chunks where (slots[c].scratches[i] as? FakeQuantOp.QuantScratch)?.nonFinite == true {
        result.activationsFinite = false
      }
    }
    return result
  }

  /// Runs the network in evaluation mode over `data`, at most `batch` images at a time (and never more
  /// than `NetworkMemory.evaluationImages`), and returns the loss, the accuracy counts and every
  /// prediction. Results do not depend on `batch`: every image is computed on its own and the loss
  /// is summed in chunk order. fp32 networks infer faster through their `FloatProgram`.
  public func evaluate(
    _ data: LabeledImages, pool: WorkerPool, batch: Int = 256,
    predictions: inout [Int32], logits: UnsafeMutablePointer<Float>? = nil
  ) -> PassResult {
    var result = PassResult()
    predictions = [Int32](repeating: 0, count: data.count)
    let classes = outputShape.elements
    let steps = forwardSteps(training: false)
    for op in ops { op.beginForward(training: false) }
    var offset = 0
    // At most `evaluationImages` per parallel round whatever `batch` asks: the per-chunk slots keep
    // every layer's activations, so a wide round would hold gigabytes on a CIFAR-sized network.
    let round = max(1, min(batch, NetworkMemory.evaluationImages))
    while offset < data.count {
      let total = min(round, data.count - offset)
      let chunks = (total + Self.chunkSize - 1) / Self.chunkSize
      ensureSlots(chunks)
      let base = offset
      run(
        steps, chunks: chunks, total: total, training: false, stepSeed: 0, pool: pool,
        perChunk: { c, slot in
          let first = base + c * Self.chunkSize
          slot.count = min(Self.chunkSize, total - c * Self.chunkSize)
          for k in 0..<slot.count {
            data.copyImage(first + k, to: slot.activations[0].pointer + k * inputShape.elements)
            slot.labels[k] = data.labels[first + k]
          }
        },
        loss: { c, slot in
          let last = slot.activations.count - 1
          let r = SoftmaxCrossEntropy.apply(
            logits: slot.activations[last].pointer, rows: slot.count, classes: classes, labels: slot.labels.pointer,
            predictions: slot.predictions.pointer, gradient: nil, scale: 0)
          slot.lossSum = r.loss
          slot.correct = r.correct
          if let logits {
            (logits + (base + c * Self.chunkSize) * classes).update(
              from: slot.activations[last].pointer, count: slot.count * classes)
          }
        })
      for c in 0..<chunks {
        for k in 0..<slots[c].count { predictions[base + c * Self.chunkSize + k] = slots[c].predictions[k] }
      }
      let part = collect(chunks: chunks)
      result.lossSum += part.lossSum
      result.correct += part.correct
      result.count += part.count
      offset += total
    }
    return result
  }

  /// The images of a `count`-image set cut into evaluation rounds (`NetworkMemory.evaluationImages`
  /// each), for callers that read the slots after a pass: the slots hold only the last round's.
  static func evaluationRounds(count: Int) -> [Range<Int>] {
    stride(from: 0, to: count, by: NetworkMemory.evaluationImages).map {
      $0..<min(count, $0 + NetworkMemory.evaluationImages)
    }
  }

  /// Evaluates `part` (at most one round, see `evaluationRounds`) and returns the slots that now hold
  /// its chunks' activations, in image order.
  func evaluatedSlots(_ part: LabeledImages, pool: WorkerPool) -> ArraySlice<Slot> {
    var predictions: [Int32] = []
    _ = evaluate(part, pool: pool, batch: part.count, predictions: &predictions)
    return slots.prefix((part.count + Self.chunkSize - 1) / Self.chunkSize)
  }

  func collect(chunks: Int) -> PassResult {
    var result = PassResult()
    for c in 0..<chunks {
      result.lossSum += slots[c].lossSum
      result.correct += slots[c].correct
      result.count += slots[c].count
    }
    return result
  }
}
