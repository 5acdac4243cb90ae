import CKernels

/// 2-D convolution over NHWC activations: im2col, then one GEMM per group (groups == channels is
/// a depthwise convolution). Weights are kept per group as a [k·k·cin/g] × [cout/g] matrix; the
/// user-facing order ([out, in/groups, k, k]) is produced on demand by `userWeights`.
final class ConvOp: WeightedOperation {
  let outChannels, kernel, stride, pad, groups: Int
  /// Rows of one group's weight matrix: kernel·kernel·(c_in/groups).
  let groupDepth: Int
  let groupOut: Int
  /// Columns of the lowered input: groups · groupDepth.
  let columns: Int
  /// A 1×1, stride-1, unpadded, ungrouped convolution reads its input directly as the columns.
  let lowers: Bool
  /// One filter per channel (groups = input channels = output channels) runs as a direct depthwise
  /// kernel: lowered, it would be one single-column GEMM per channel.
  let depthwise: Bool
  /// In training, the Winograd weights of a layer shaped for it, transformed at every pass (nil: the
  /// layer lowers). See ConvOp+Winograd.swift.
  var winograd: WinogradWeights?

  init(input: ActivationShape, output: ActivationShape, out: Int, kernel: Int, stride: Int, pad: Int, groups: Int) {
    outChannels = out
    self.kernel = kernel
    self.stride = stride
    self.pad = pad
    self.groups = groups
    groupDepth = kernel * kernel * (input.channels / groups)
    groupOut = out / groups
    columns = groups * groupDepth
    depthwise = groups > 1 && groups == input.channels && out == groups
    lowers = !depthwise && !(kernel == 1 && stride == 1 && pad == 0 && groups == 1)
    super.init(
      input: input, output: output, weightShape: [out, input.channels / groups, kernel, kernel],
      layout: WeightLayout(blocks: groups, rows: groupDepth, columns: groupOut))
  }

  final class ConvScratch: Scratch {
    /// The lowered columns: the convolution's own when a whole chunk fits one pass (backward then
    /// reuses the forward's columns), else the slot's shared buffer (backward lowers again anyway).
    var col: FloatBuffer?
    /// True when `col` is the slot's shared buffer, which later convolutions overwrite.
    var sharesColumns = false
    /// The columns' gradient: used only inside one backward call, so every convolution of a chunk's
    /// slot shares one buffer (`Slot` sets it; the largest any of them needs).
    var dcol: FloatBuffer?
    /// The depthwise kernels' transposed weights and weight gradient.
    var work: FloatBuffer?
    /// True when `col` still holds the columns of the chunk's last forward pass (it fit in one pass).
    var columnsKept = false
    init(col: FloatBuffer?, dcol: FloatBuffer?, gradients: [FloatBuffer]) {
      self.col = col
      self.dcol = dcol
      super.init(gradients: gradients)
    }
  }

  /// Output positions per image.
  var positions: Int { output.height * output.width }

  /// Images lowered at a time, so that their columns (at most about 1 MB) stay in the L2 cache while the
  /// GEMM reads them. Backward recomputes the columns instead of keeping a whole chunk's.
  var imagesPerPass: Int { max(1, 262_144 / max(1, positions * columns)) }

  override func makeScratch(capacity: Int) -> Scratch {
    let rows = min(capacity, imagesPerPass) * positions
    let scratch = ConvScratch(
      col: keepsColumns(capacity: capacity) ? FloatBuffer(count: rows * columns) : nil,
      dcol: nil,
      gradients: [FloatBuffer(count: weight.count), FloatBuffer(count: bias.count)])
    if depthwise { scratch.work = FloatBuffer(count: 2 * input.channels * kernel * kernel) }
    return scratch
  }

  /// Whether a chunk of `capacity` images is lowered in one pass, so that backward can reuse the
  /// forward's columns: only then does the convolution keep a columns buffer of its own.
  func keepsColumns(capacity: Int) -> Bool { lowers && imagesPerPass >= capacity }

  /// The scratch's columns buffer (`\.col`) or columns-gradient buffer (`\.dcol`, also the Winograd
  /// work): the one it has (its own or the slot's shared one), or, for a scratch made outside a slot,
  /// one made on first use.
  func columnsBuffer(_ s: ConvScratch, _ which: ReferenceWritableKeyPath<ConvScratch, FloatBuffer?>) -> FloatBuffer {
    if let buffer = s[keyPath: which] { return buffer }
    let capacity = Network.chunkSize
    let own = FloatBuffer(
      count: max(1, which == \.dcol ? gradientScratch(capacity: capacity) : backwardColumns(capacity: capacity)))
    s[keyPath: which] = own
    return own
  }

  /// Floats of the lowered columns (or of their gradient) a chunk of `capacity` images needs at once (0
  /// when nothing is lowered).
  func backwardColumns(capacity: Int) -> Int { lowers ? min(capacity, imagesPerPass) * positions * columns : 0 }

  /// Floats of the columns-gradient buffer: the columns' gradient, or the Winograd work in training.
  func gradientScratch(capacity: Int) -> Int { max(backwardColumns(capacity: capacity), winogradWork) }

  func shape(images n: Int) -> qk_conv_shape {
    qk_conv_shape(
      n: Int32(n), h: Int32(input.height), w: Int32(input.width), c_in: Int32(input.channels),
      c_out: Int32(outChannels), kernel: Int32(kernel), stride: Int32(stride), pad: Int32(pad),
      groups: Int32(groups), out_h: Int32(output.height), out_w: Int32(output.width))
  }

  /// The columns of `n` images starting at `x`: lowered into the scratch, or the input itself for a
  /// plain 1×1 convolution.
  func lowered(_ x: UnsafeMutablePointer<Float>, images n: Int, scratch: ConvScratch) -> UnsafePointer<Float> {
    guard lowers else { return UnsafePointer(x) }
    let col = columnsBuffer(scratch, \.col)
    var sh = shape(images: n)
    qk_im2col_nhwc(&sh, x, col.pointer)
    return UnsafePointer(col.pointer)
  }

  override func forward(phase: Int, _ io: ChunkIO, training: Bool) {
    guard let s = io.scratch as? ConvScratch else { return }
    if depthwise, let work = s.work {
      var sh = shape(images: io.count)
      // With a QAT-folded batch norm the bias is added after the division by s.
      let folded = foldingQuantizer
      qk_depthwise_forward(&sh, io.x, weights, folded?.zeroBias.pointer ?? bias.value.pointer, io.y, work.pointer)
      folded?.finishOutput(io.y, rows: io.count * positions, bias: bias.value)
      return
    }
    if training, let u = winograd {
      // The columns-gradient buffer is free until the backward pass: it is the work.
      winogradForward(io, u, work: columnsBuffer(s, \.dcol))
      s.columnsKept = false
      return
    }
    s.columnsKept = !s.sharesColumns && io.count <= imagesPerPass
    var first = 0
    while first < io.count {
      let n = min(imagesPerPass, io.count - first)
      let columnsSource = lowered(io.x + first * input.elements, images: n, scratch: s)
      let y = io.y + first * positions * outChannels
      for g in 0..<groups {
        Kernels.gemm(
          m: n * positions, n: groupOut, k: groupDepth, a: columnsSource + g * groupDepth, lda: columns,
          b: weights + g * groupDepth * groupOut, ldb: groupOut, c: y + g * groupOut, ldc: outChannels)
      }
      first += n
    }
    if let q = foldingQuantizer {
      q.finishOutput(io.y, rows: io.count * positions, bias: bias.value)
    } else {
      qk_add_bias_rows(io.y, Int32(io.count * positions), Int32(outChannels), bias.value.pointer)
    }
  }

  override func beginForward(training: Bool) {
    super.beginForward(training: training)
    if training { prepareWinogradTraining() } else { winograd = nil }
  }

  override func backward(phase: Int, _ io: ChunkIO) {
    guard let dy = io.dy, let s = io.scratch as? ConvScratch else { return }
    let dWeight = s.gradients[0], dBias = s.gradients[1]
    qk_sum_rows(dy, Int32(io.count * positions), Int32(outChannels), dBias.pointer, 0)
    // With a QAT-folded batch norm the GEMM's output was divided by s: its gradient is dy/s. Only
    // this layer reads its output gradient, so it is rescaled in place.
    if let q = foldingQuantizer { q.unscaleGradient(dy, rows: io.count * positions) }
    if depthwise, let work = s.work {
      var sh = shape(images: io.count)
      qk_depthwise_backward(&sh, io.x, weights, dy, dWeight.pointer, io.dx, work.pointer)
      return
    }
    if let u = winograd {
      winogradBackward(io, dy: dy, u, dWeight: dWeight, work: columnsBuffer(s, \.dcol))
      return
    }
    var first = 0
    while first < io.count {
      let n = min(imagesPerPass, io.count - first), rows = n * positions
      let columnsSource =
        s.columnsKept && lowers
        ? UnsafePointer(s.col?.pointer ?? io.x)
        : lowered(io.x + first * input.elements, images: n, scratch: s)
      let dyPass = dy + first * positions * outChannels
      for g in 0..<groups {
        Kernels.gemm(
          transA: true, m: groupDepth, n: groupOut, k: rows, a: columnsSource + g * groupDepth, lda: columns,
          b: dyPass + g * groupOut, ldb: outChannels, beta: first == 0 ? 0 : 1,
          c: dWeight.pointer + g * groupDepth * groupOut, ldc: groupOut)
      }
      if let dx = io.dx {
        let dxPass = dx + first * input.elements
        let dcol = lowers ? columnsBuffer(s, \.dcol).pointer : dxPass
        for g in 0..<groups {
          Kernels.gemm(
            transB: true, m: rows, n: groupDepth, k: groupOut, a: dyPass + g * groupOut, lda: outChannels,
            b: weights + g * groupDepth * groupOut, ldb: groupOut, c: dcol + g * groupDepth, ldc: columns)
        }
        if lowers {
          var sh = shape(images: n)
          qk_col2im_nhwc(&sh, dcol, dxPass)
        }
      }
      first += n
    }
    s.columnsKept = false
  }

  /// Internal index of user weight [o][i][ky][kx].
  func internalIndex(o: Int, i: Int, ky: Int, kx: Int) -> Int {
    let g = o / groupOut, oo = o % groupOut
    let cin = input.channels / groups
    let row = (ky * kernel + kx) * cin + i
    return g * groupDepth * groupOut + row * groupOut + oo
  }

  /// The weights in PyTorch order [out, in/groups, k, k], flattened.
  func userWeights() -> [Float] {
    let cin = input.channels / groups
    var result = [Float](repeating: 0, count: weight.count)
    var at = 0
    for o in 0..<outChannels {
      for i in 0..<cin {
        for ky in 0..<kernel {
          for kx in 0..<kernel {
            result[at] = weight.value[internalIndex(o: o, i: i, ky: ky, kx: kx)]
            at += 1
          }
        }
      }
    }
    return result
  }

  /// Sets the weights from PyTorch order [out, in/groups, k, k].
  func setUserWeights(_ values: [Float]) {
    let cin = input.channels / groups
    var at = 0
    for o in 0..<outChannels {
      for i in 0..<cin {
        for ky in 0..<kernel {
          for kx in 0..<kernel {
            weight.value[internalIndex(o: o, i: i, ky: ky, kx: kx)] = values[at]
            at += 1
          }
        }
      }
    }
  }
}
