/// Which buffer holds each layer boundary's gradient in a training pass. The backward pass runs the
/// operations from last to first, and gradient b (the gradient at activation b, op b − 1's output) is
/// alive only from the step that writes it (op b's backward, or the loss for the last one) until the
/// last step that reads it: op b − 1's backward, or, at the end of a residual block, the backward of
/// the operation whose input entered the block (the skip gradient is added there). Boundaries that are
/// never alive at once share a buffer, so a slot keeps a few gradients instead of one per boundary:
/// Net D's training peak falls by about a third.
struct GradientBufferPlan {
  /// bufferOf[b]: the buffer of boundary b's gradient (boundary 0, the input, gets none: -1).
  let bufferOf: [Int]
  /// Floats per image of each buffer.
  let bufferElements: [Int]
  /// The backward-pass steps (-1 the loss, then op i at n − 1 − i) from the write of boundary b's
  /// gradient to its last read; boundaries that share a buffer have disjoint ranges.
  let liveRanges: [ClosedRange<Int>?]

  init(network: Network) {
    let n = network.ops.count
    let elements = [network.inputShape.elements] + network.ops.map(\.output.elements)
    // Time runs through the backward pass: the loss at -1, then op i at n - 1 - i.
    func time(ofOp i: Int) -> Int { n - 1 - i }
    var lastRead = [Int](repeating: -1, count: n + 1)
    for b in stride(from: 1, through: n, by: 1) {
      lastRead[b] = time(ofOp: b - 1)
      if let add = network.ops[b - 1] as? ResidualAddOp, add.source > 0 {
        lastRead[b] = max(lastRead[b], time(ofOp: add.source))
      }
    }
    var bufferOf = [Int](repeating: -1, count: n + 1)
    var sizes: [Int] = []
    var free: [Int] = []
    func take(_ b: Int) {
      let need = elements[b]
      // The smallest free buffer that is large enough, else the largest free one (grown), else a new one.
      let fitting = free.filter { sizes[$0] >= need }.min { sizes[$0] < sizes[$1] }
      let chosen = fitting ?? free.max { sizes[$0] < sizes[$1] }
      if let chosen {
        free.removeAll { $0 == chosen }
        sizes[chosen] = max(sizes[chosen], need)
        bufferOf[b] = chosen
      } else {
        bufferOf[b] = sizes.count
        sizes.append(need)
      }
    }
    if n > 0 { take(n) }  // the loss writes the logits' gradient
    for t in 0..<n {
      let op = n - 1 - t
      if op >= 1 { take(op) }  // op's input gradient, written while its output gradient is still read
      for b in stride(from: 1, through: n, by: 1) where lastRead[b] == t { free.append(bufferOf[b]) }
    }
    self.bufferOf = bufferOf
    bufferElements = sizes
    liveRanges = (0...n).map { b in b == 0 ? nil : (b == n ? -1 : time(ofOp: b))...lastRead[b] }
  }
}
