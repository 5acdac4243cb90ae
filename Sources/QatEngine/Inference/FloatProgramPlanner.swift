import CKernels

/// Turns a folded fp32 network's operations into `FloatProgram` steps: flatten and dropout vanish
/// (they only rename their input), a ReLU joins the step that produced its input when nothing else
/// reads that value, and every value gets a buffer that is reused once its last reader has run.
struct FloatProgramPlanner {
  private(set) var steps: [FloatStepPlan] = []
  private(set) var bufferCount = 0
  private(set) var outputBuffer = 0
  /// True when an operation has no inference form here (none today): the program is not made.
  private(set) var unsupported = false

  init(network: Network) {
    // Pass 1: steps over value ids (value 0 is the input; each step makes one new value).
    var valueOf = [Int](repeating: 0, count: network.ops.count + 1)
    var values = 1
    for (i, op) in network.ops.enumerated() {
      let x = valueOf[i]
      func step(_ kind: FloatStepPlan.Kind) {
        steps.append(FloatStepPlan(kind: kind, input: x, output: values, inputShape: op.input, outputShape: op.output))
        valueOf[i + 1] = values
        values += 1
      }
      switch op {
      case is FlattenOp, is DropoutOp:
        valueOf[i + 1] = x
      case let relu as ReLUOp:
        // Fused when the value came from the last step, which has no activation yet, and only this
        // ReLU reads it (no residual add takes it as its skip input).
        if let last = steps.indices.last, steps[last].output == x, steps[last].reluCap < 0,
          network.skipReaders[i] == nil, Self.fusable(steps[last].kind)
        {
          steps[last].reluCap = max(0, relu.cap)
          valueOf[i + 1] = x
        } else {
          step(.relu)
          steps[steps.count - 1].reluCap = max(0, relu.cap)
        }
      case let conv as ConvOp:
        step(conv.winogradShaped ? .winograd(conv, WinogradWeights(conv)) : .conv(conv))
      case let dense as DenseOp: step(.dense(dense))
      case let bn as BatchNormOp: step(Self.affine(bn))
      case let pool as MaxPoolOp: step(.maxPool(pool))
      case let pool as AvgPoolOp: step(.avgPool(pool))
      case is GlobalAvgPoolOp: step(.globalAvgPool)
      case let add as ResidualAddOp: step(.add(skip: valueOf[add.source]))
      default:
        unsupported = true
        valueOf[i + 1] = x
      }
    }
    allocateBuffers(values: values, output: valueOf[network.ops.count])
  }

  /// Steps that take a fused activation in their epilogue.
  static func fusable(_ kind: FloatStepPlan.Kind) -> Bool {
    switch kind {
    case .conv, .winograd, .dense, .affine, .add: return true
    default: return false
    }
  }

  /// A batch norm in evaluation as its per-channel affine map: s = γ/√(v + ε), y = x·s + (β − μ·s).
  static func affine(_ bn: BatchNormOp) -> FloatStepPlan.Kind {
    let channels = bn.channels
    let scales = FloatBuffer(count: channels), offsets = FloatBuffer(count: channels)
    for c in 0..<channels {
      let s = bn.gamma.value[c] / BatchNormFolding.deviation(bn, c)
      scales[c] = s
      offsets[c] = bn.beta.value[c] - bn.runningMean[c] * s
    }
    return .affine(scales: scales, offsets: offsets)
  }

  /// Pass 2: value ids → buffers, by liveness. A step's output never shares its inputs' buffers (they
  /// are released after the step), and the program's output lives to the end.
  private mutating func allocateBuffers(values: Int, output: Int) {
    var lastRead = [Int](repeating: -1, count: values)
    for (s, step) in steps.enumerated() {
      lastRead[step.input] = s
      if case .add(let skip) = step.kind { lastRead[skip] = s }
    }
    lastRead[output] = steps.count
    var bufferOf = [Int](repeating: -1, count: values)
    var free: [Int] = []
    bufferOf[0] = 0
    bufferCount = 1
    for s in steps.indices {
      let buffer: Int
      if let reused = free.popLast() {
        buffer = reused
      } else {
        buffer = bufferCount
        bufferCount += 1
      }
      bufferOf[steps[s].output] = buffer
      var reads = [steps[s].input]
      if case .add(let skip) = steps[s].kind { reads.append(skip) }
      for value in Set(reads) where lastRead[value] == s { free.append(bufferOf[value]) }
    }
    for s in steps.indices {
      steps[s].input = bufferOf[steps[s].input]
      steps[s].output = bufferOf[steps[s].output]
      if case .add(let skip) = steps[s].kind { steps[s].kind = .add(skip: bufferOf[skip]) }
    }
    outputBuffer = bufferOf[output]
  }

  /// Floats of scratch a workspace of `chunk` images needs: the most any convolution lowers at once,
  /// an in-place convolution's padded image and wide output, a narrow one's padded image, a Winograd
  /// convolution's transformed tiles, or a depthwise convolution's transposed weights.
  func scratchElements(chunk: Int) -> Int {
    var most = 0
    for step in steps {
      let conv: ConvOp
      switch step.kind {
      case .winograd(let c, _):
        most = max(most, Int(qk_winograd_work_floats(Int32(c.input.channels), Int32(c.outChannels))))
        continue
      case .conv(let c): conv = c
      default: continue
      }
      if conv.depthwise {
        most = max(most, 2 * conv.input.channels * conv.kernel * conv.kernel)
      } else if FloatProgram.runsNarrow(conv) {
        var shape = conv.shape(images: 1)
        most = max(most, Int(qk_conv_narrow_work_floats(&shape)))
      } else if FloatProgram.readsInPlace(conv) {
        most = max(most, FloatProgram.inPlaceScratch(conv))
      } else if conv.lowers {
        most = max(most, min(chunk, conv.imagesPerPass) * conv.positions * conv.columns)
      }
    }
    return most
  }
}
