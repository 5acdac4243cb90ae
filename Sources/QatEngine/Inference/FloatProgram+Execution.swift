import CKernels

extension FloatProgram: InferenceProgram {
  /// The program over `data`, `batch` images per parallel round (each round is cut into chunks of
  /// `chunkSize` images, one task each): the loss and accuracy counts, every prediction (ties to the
  /// lowest class) and, when asked, the logits. Same contract as `Network.evaluate`; the loss is
  /// summed in chunk order, so it never depends on the thread count.
  public func evaluate(
    _ data: LabeledImages, pool: WorkerPool, batch: Int, predictions: inout [Int32],
    logits: UnsafeMutablePointer<Float>?
  ) -> PassResult {
    var result = PassResult()
    predictions = [Int32](repeating: 0, count: data.count)
    let classes = outputShape.elements, chunk = Self.chunkSize
    let round = max(1, batch)
    var offset = 0
    while offset < data.count {
      let total = min(round, data.count - offset)
      let tasks = (total + chunk - 1) / chunk
      var losses = [Double](repeating: 0, count: tasks), correct = [Int](repeating: 0, count: tasks)
      let base = offset
      predictions.withUnsafeMutableBufferPointer { predicted in
        losses.withUnsafeMutableBufferPointer { losses in
          correct.withUnsafeMutableBufferPointer { correct in
            pool.run(tasks: tasks) { t in
              let first = base + t * chunk, count = min(chunk, total - t * chunk)
              let workspace = workspaces.take { FloatWorkspace(program: self) }
              defer { workspaces.give(workspace) }
              let input = workspace.buffers[0].pointer
              for k in 0..<count {
                data.copyImage(first + k, to: input + k * inputShape.elements)
                workspace.labels[k] = data.labels[first + k]
              }
              let output = run(workspace, images: count)
              let r = SoftmaxCrossEntropy.apply(
                logits: output, rows: count, classes: classes, labels: workspace.labels.pointer,
                predictions: workspace.predictions.pointer, gradient: nil, scale: 0)
              losses[t] = r.loss
              correct[t] = r.correct
              for k in 0..<count { predicted[first + k] = workspace.predictions[k] }
              logits.map { ($0 + first * classes).update(from: output, count: count * classes) }
            }
          }
        }
      }
      for t in 0..<tasks {
        result.lossSum += losses[t]
        result.correct += correct[t]
      }
      result.count += total
      offset += total
    }
    return result
  }

  /// Runs every step on the `images` images in the workspace's input buffer; returns the logits.
  func run(_ w: FloatWorkspace, images n: Int) -> UnsafeMutablePointer<Float> {
    for step in steps {
      let x = w.buffers[step.input].pointer, y = w.buffers[step.output].pointer
      let inShape = step.inputShape, outShape = step.outputShape
      switch step.kind {
      case .conv(let conv):
        runConv(conv, x: x, y: y, images: n, scratch: w.scratch.pointer, reluCap: step.reluCap)
      case let .winograd(conv, weights):
        qk_winograd_conv3x3(
          qk_best_variant(), Int32(n), Int32(inShape.height), Int32(inShape.width), Int32(inShape.channels),
          Int32(conv.outChannels), x, weights.transformed.pointer, conv.bias.value.pointer, step.reluCap, y,
          w.scratch.pointer)
      case .dense(let dense):
        let k = inShape.elements, outputs = outShape.channels
        Kernels.gemm(m: n, n: outputs, k: k, a: x, lda: k, b: dense.weights, ldb: outputs, c: y, ldc: outputs)
        qk_bias_activation_rows(y, Int64(n), Int32(outputs), dense.bias.value.pointer, step.reluCap)
      case let .affine(scales, offsets):
        qk_affine_activation_rows(
          x, Int64(n * inShape.height * inShape.width), Int32(inShape.channels), scales.pointer, offsets.pointer,
          step.reluCap, y)
      case .relu:
        qk_relu_forward(x, Int64(n * inShape.elements), step.reluCap, y)
      case .maxPool(let pool):
        qk_maxpool_forward(
          x, Int32(n), Int32(inShape.height), Int32(inShape.width), Int32(inShape.channels), Int32(pool.kernel),
          Int32(pool.stride), Int32(outShape.height), Int32(outShape.width), y, nil)
      case .avgPool(let pool):
        qk_avgpool_forward(
          x, Int32(n), Int32(inShape.height), Int32(inShape.width), Int32(inShape.channels), Int32(pool.kernel),
          Int32(pool.stride), Int32(outShape.height), Int32(outShape.width), y)
      case .globalAvgPool:
        GlobalAvgPoolOp.average(x, y, images: n, shape: inShape)
      case .add(let skip):
        qk_add_activation(x, w.buffers[skip].pointer, Int64(n * outShape.elements), step.reluCap, y)
      }
    }
    return w.buffers[outputBuffer].pointer
  }

  /// A convolution over `images` images: lowered a few images at a time (their columns stay in cache
  /// while the GEMM reads them), each block's bias and activation applied right after its GEMM.
  func runConv(
    _ conv: ConvOp, x: UnsafeMutablePointer<Float>, y: UnsafeMutablePointer<Float>, images n: Int,
    scratch: UnsafeMutablePointer<Float>, reluCap: Float
  ) {
    let positions = conv.positions, out = conv.outChannels
    if conv.depthwise {
      var shape = conv.shape(images: n)
      qk_depthwise_forward(&shape, x, conv.weights, conv.bias.value.pointer, y, scratch)
      if reluCap >= 0 { qk_relu_forward(y, Int64(n * positions * out), reluCap, y) }
      return
    }
    if FloatProgram.runsNarrow(conv) {
      var shape = conv.shape(images: n)
      qk_conv_narrow(qk_best_variant(), &shape, x, conv.weights, conv.bias.value.pointer, reluCap, y, scratch)
      return
    }
    if FloatProgram.readsInPlace(conv) {
      runConvInPlace(conv, x: x, y: y, images: n, scratch: scratch, reluCap: reluCap)
      return
    }
    let perPass = min(n, conv.imagesPerPass)
    var first = 0
    while first < n {
      let count = min(perPass, n - first)
      let source = x + first * conv.input.elements
      let columns: UnsafePointer<Float>
      if conv.lowers {
        var shape = conv.shape(images: count)
        qk_im2col_nhwc(&shape, source, scratch)
        columns = UnsafePointer(scratch)
      } else {
        columns = UnsafePointer(source)
      }
      let block = y + first * positions * out
      for g in 0..<conv.groups {
        Kernels.gemm(
          m: count * positions, n: conv.groupOut, k: conv.groupDepth, a: columns + g * conv.groupDepth,
          lda: conv.columns, b: conv.weights + g * conv.groupDepth * conv.groupOut, ldb: conv.groupOut,
          c: block + g * conv.groupOut, ldc: out)
      }
      qk_bias_activation_rows(block, Int64(count * positions), Int32(out), conv.bias.value.pointer, reluCap)
      first += count
    }
  }

  /// A stride-1 convolution without lowering, one image at a time: the image is padded once, after
  /// which kernel row ky of output position (oy, ox) is kernel·c_in consecutive floats of the padded
  /// image at ((oy + ky)·wp + ox)·c_in. Counting positions across the padded width, consecutive
  /// positions are c_in floats apart down the whole image, so each kernel row is one GEMM reading the
  /// image in place, accumulated into C; the kernel − 1 extra positions per output row are dropped
  /// when C is copied out. (The sums run kernel row by kernel row, so the last bits can differ from
  /// the lowered path's.)
  func runConvInPlace(
    _ conv: ConvOp, x: UnsafeMutablePointer<Float>, y: UnsafeMutablePointer<Float>, images n: Int,
    scratch: UnsafeMutablePointer<Float>, reluCap: Float
  ) {
    let input = conv.input, k = conv.kernel, pad = conv.pad, cin = input.channels, out = conv.outChannels
    let wp = input.width + 2 * pad, hp = input.height + 2 * pad, outH = conv.output.height, outW = conv.output.width
    let rows = (outH - 1) * wp + outW
    let padded = scratch, wide = scratch + hp * wp * cin
    // The border stays zero; only the interior changes from image to image.
    padded.update(repeating: 0, count: hp * wp * cin)
    for image in 0..<n {
      let source = x + image * input.elements
      for row in 0..<input.height {
        (padded + ((row + pad) * wp + pad) * cin).update(
          from: source + row * input.width * cin, count: input.width * cin)
      }
      for ky in 0..<k {
        Kernels.gemm(
          m: rows, n: out, k: k * cin, a: padded + ky * wp * cin, lda: cin, b: conv.weights + ky * k * cin * out,
          ldb: out, beta: ky == 0 ? 0 : 1, c: wide, ldc: out)
      }
      qk_bias_activation_rows(wide, Int64(rows), Int32(out), conv.bias.value.pointer, reluCap)
      let target = y + image * outH * outW * out
      for oy in 0..<outH { (target + oy * outW * out).update(from: wide + oy * wp * out, count: outW * out) }
    }
  }

  /// Whether `conv` runs as `qk_conv_narrow`, directly from the padded image: one group and at most 4
  /// input channels (a first layer on gray or RGB images), where lowering would copy a few floats per
  /// tap. On Zen 5, 16 images: 28×28 1→16 2.9× and 32×32 3→32 2.1× faster than im2col + GEMM, with
  /// the same results bit for bit.
  static func runsNarrow(_ conv: ConvOp) -> Bool {
    conv.lowers && conv.groups == 1 && !conv.depthwise && conv.input.channels <= 4
  }

  /// Whether `conv` runs as `runConvInPlace`: stride 1, one group, at least 8 input channels (each
  /// kernel row a GEMM of k ≥ 24), and output rows wide enough that the extra positions cost at most
  /// 10 % (32×32×32: 16 % faster than lowering on Zen 5; 16×16 layers: 2 % slower, so they lower).
  static func readsInPlace(_ conv: ConvOp) -> Bool {
    conv.lowers && conv.stride == 1 && conv.groups == 1 && conv.kernel > 1 && conv.input.channels >= 8
      && conv.output.width >= 10 * (conv.kernel - 1)
      && conv.output.height == conv.input.height + 2 * conv.pad - conv.kernel + 1
  }

  /// Floats of scratch `runConvInPlace` needs: the padded image and C over the padded width.
  static func inPlaceScratch(_ conv: ConvOp) -> Int {
    let wp = conv.input.width + 2 * conv.pad, hp = conv.input.height + 2 * conv.pad
    return hp * wp * conv.input.channels + ((conv.output.height - 1) * wp + conv.output.width) * conv.outChannels
  }
}
