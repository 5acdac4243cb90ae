import QatModelFile

/// How layer specs are written into a model file's layer table (the order and meaning of every
/// attribute is in docs/model-format.md, "Layer table contents"). Integer models store their specs
/// too, so that they show their layers as written.
public enum LayerSpecFile {
  /// The specs as layer-table entries, in order; a residual block's entry counts its children, which follow it.
  public static func layers(_ specs: [LayerSpec]) -> [ModelFile.Layer] { LayerSpec.fileLayers(specs) }

  /// The specs a table of spec entries describes (nil when it is not one).
  public static func specs(_ entries: [ModelFile.Layer]) -> [LayerSpec]? {
    var index = 0
    guard let specs = LayerSpec.fromFileLayers(entries, index: &index, count: Network.topLevelCount(entries)),
      index == entries.count
    else {
      return nil
    }
    return specs
  }
}

extension LayerSpec {
  static func fileLayers(_ specs: [LayerSpec]) -> [ModelFile.Layer] {
    specs.flatMap { spec -> [ModelFile.Layer] in
      var layer = ModelFile.Layer(type: spec.name)
      switch spec.kind {
      case let .conv(out, kernel, stride, pad, groups):
        layer.integers = [out, kernel, stride, pad, groups].map(Int64.init)
      case .dense(let out): layer.integers = [Int64(out)]
      case let .maxpool(kernel, stride), let .avgpool(kernel, stride): layer.integers = [Int64(kernel), Int64(stride)]
      case .dropout(let p): layer.floats = [p]
      case .residual(let inner):
        layer.integers = [Int64(inner.count)]
        return [layer] + fileLayers(inner)
      case .relu, .relu6, .batchNorm, .flatten, .globalAvgPool: break
      }
      return [layer]
    }
  }

  /// Reads specs back from `layers` starting at `index`, `count` of them (nested blocks included):
  /// nil when an entry is not a spec or its attributes do not fit.
  static func fromFileLayers(_ layers: [ModelFile.Layer], index: inout Int, count: Int, depth: Int = 0) -> [LayerSpec]?
  {
    guard depth < 64 else { return nil }
    var specs: [LayerSpec] = []
    for _ in 0..<count {
      guard index < layers.count else { return nil }
      let layer = layers[index]
      index += 1
      let n = layer.integers.map { Int(clamping: $0) }
      func small(_ values: ArraySlice<Int>, _ range: ClosedRange<Int>) -> Bool { values.allSatisfy(range.contains) }
      let kind: LayerSpec.Kind
      switch (layer.type, n.count) {
      case ("conv", 5)
      where small(n[0...1], 1...65_536) && small(n[2...2], 1...1_024) && small(n[3...3], 0...1_024)
        && small(n[4...4], 1...65_536):
        kind = .conv(out: n[0], kernel: n[1], stride: n[2], pad: n[3], groups: n[4])
      case ("dense", 1) where small(n[0...0], 1...1 << 24): kind = .dense(out: n[0])
      case ("maxpool", 2) where small(n[0...1], 1...1_024): kind = .maxpool(kernel: n[0], stride: n[1])
      case ("avgpool", 2) where small(n[0...1], 1...1_024): kind = .avgpool(kernel: n[0], stride: n[1])
      case ("dropout", 0) where layer.floats.count == 1 && (0..<1).contains(layer.floats[0]):
        kind = .dropout(p: layer.floats[0])
      case ("relu", 0): kind = .relu
      case ("relu6", 0): kind = .relu6
      case ("batchnorm", 0): kind = .batchNorm
      case ("flatten", 0): kind = .flatten
      case ("globalavgpool", 0): kind = .globalAvgPool
      case ("residual", 1) where small(n[0...0], 0...4_096):
        guard let inner = fromFileLayers(layers, index: &index, count: n[0], depth: depth + 1) else { return nil }
        kind = .residual(inner)
      default: return nil
      }
      specs.append(LayerSpec(kind, tag: specs.count))
    }
    return specs
  }
}

extension Network {
  /// The layer table of an fp32 model: every spec, a conv or dense with its weight (PyTorch order)
  /// and bias, a batch norm with γ, β and its running statistics.
  public func fileLayers() -> [ModelFile.Layer] {
    var entries = LayerSpec.fileLayers(layers.map(\.spec))
    var index = 0
    func attach(_ layers: [NetworkLayer]) {
      for layer in layers {
        let at = index
        index += 1
        for tensor in Self.tensors(of: layer) { entries[at].tensors.append(tensor) }
        attach(layer.children)
      }
    }
    attach(self.layers)
    return entries
  }

  static func tensors(of layer: NetworkLayer) -> [ModelFile.Tensor] {
    guard let i = layer.operationIndex else { return [] }
    switch layer.network.ops[i] {
    case let w as WeightedOperation:
      return [
        ModelFile.Tensor(name: "weight", shape: w.weight.shape, data: .float32(layer.userWeights ?? [])),
        ModelFile.Tensor(name: "bias", shape: w.bias.shape, data: .float32(w.bias.value.array)),
      ]
    case let bn as BatchNormOp:
      let c = [bn.channels]
      return [
        ModelFile.Tensor(name: "gamma", shape: c, data: .float32(bn.gamma.value.array)),
        ModelFile.Tensor(name: "beta", shape: c, data: .float32(bn.beta.value.array)),
        ModelFile.Tensor(name: "running_mean", shape: c, data: .float32(bn.runningMean.array)),
        ModelFile.Tensor(name: "running_var", shape: c, data: .float32(bn.runningVar.array)),
      ]
    default:
      return []
    }
  }

  /// The fp32 network a layer table describes for `input`, or a reason it cannot be built.
  public static func fromFileLayers(_ entries: [ModelFile.Layer], input: ActivationShape) -> Result<
    (Network, [LayerSpec]), ModelFileReason
  > {
    var index = 0
    guard let specs = LayerSpec.fromFileLayers(entries, index: &index, count: Self.topLevelCount(entries)),
      index == entries.count
    else {
      return .failure(ModelFileReason("the layer table does not describe a network"))
    }
    // Building allocates every weight before the tensors are compared with it: a crafted table must
    // not be able to ask for more than the file could hold.
    let stored = entries.reduce(0) { $0 + $1.tensors.reduce(0) { $0 + $1.data.count } }
    guard let bound = parameterBound(specs, input: input), bound <= 2 * stored + 1_000_000 else {
      return .failure(ModelFileReason("its layers would need far more parameters than it stores"))
    }
    let network: Network
    do {
      network = try compiled(specs, input: input)
    } catch {
      return .failure(ModelFileReason("its layers do not fit its input shape: \(error.message)"))
    }
    var at = 0
    var failure: ModelFileReason?
    func fill(_ layers: [NetworkLayer]) {
      for layer in layers where failure == nil {
        let entry = entries[at]
        at += 1
        failure = load(entry, into: layer)
        fill(layer.children)
      }
    }
    fill(network.layers)
    if let failure { return .failure(failure) }
    return .success((network, specs))
  }

  /// An upper bound on the parameters `specs` need for `input` (channels tracked exactly, the
  /// feature map bounded by a square of its longer side), or nil when it overflows.
  static func parameterBound(_ specs: [LayerSpec], input: ActivationShape) -> Int? {
    var channels = input.channels, side = max(input.height, input.width), total = 0
    func walk(_ specs: [LayerSpec]) -> Bool {
      for spec in specs {
        switch spec.kind {
        case let .conv(out, kernel, stride, pad, _):
          let (w, o1) = out.multipliedReportingOverflow(by: channels)
          let (w2, o2) = w.multipliedReportingOverflow(by: kernel * kernel)
          guard !o1, !o2, pad <= 1_024 else { return false }
          total += w2 + out
          side = max(1, (side + 2 * pad - kernel) / max(1, stride) + 1)
          channels = out
        case let .maxpool(kernel, stride), let .avgpool(kernel, stride):
          side = max(1, (side - kernel) / max(1, stride) + 1)
        case .dense(let out):
          let (w, o1) = out.multipliedReportingOverflow(by: channels)
          let (w2, o2) = w.multipliedReportingOverflow(by: side * side)
          guard !o1, !o2 else { return false }
          total += w2 + out
          channels = out
          side = 1
        case .batchNorm: total += 2 * channels
        case .globalAvgPool: side = 1
        case .residual(let inner): if !walk(inner) { return false }
        default: break
        }
        if total > 1 << 40 { return false }
      }
      return true
    }
    return walk(specs) ? total : nil
  }

  /// How many top-level specs the table holds (each residual entry skips its children).
  static func topLevelCount(_ entries: [ModelFile.Layer]) -> Int {
    var count = 0, index = 0
    func skip() {
      guard index < entries.count else { return }
      let entry = entries[index]
      index += 1
      if entry.type == "residual", let n = entry.integers.first, n >= 0, n <= 4_096 { for _ in 0..<n { skip() } }
    }
    while index < entries.count && entries[index].type.first != "q" {
      skip()
      count += 1
    }
    return count
  }

  static func load(_ entry: ModelFile.Layer, into layer: NetworkLayer) -> ModelFileReason? {
    func values(_ name: String, _ count: Int) -> [Float]? {
      guard case .float32(let v)? = entry.tensor(named: name)?.data, v.count == count else { return nil }
      return v
    }
    guard let i = layer.operationIndex else { return nil }
    switch layer.network.ops[i] {
    case let w as WeightedOperation:
      guard let weight = values("weight", w.weight.count), let bias = values("bias", w.bias.count) else {
        return ModelFileReason("\(layer.spec.description) lacks its weight or bias")
      }
      (w as? ConvOp)?.setUserWeights(weight)
      (w as? DenseOp)?.setUserWeights(weight)
      fill(w.bias.value, bias)
    case let bn as BatchNormOp:
      let c = bn.channels
      guard let g = values("gamma", c), let b = values("beta", c), let m = values("running_mean", c),
        let v = values("running_var", c)
      else {
        return ModelFileReason("\(layer.spec.description) lacks its parameters or statistics")
      }
      fill(bn.gamma.value, g)
      fill(bn.beta.value, b)
      fill(bn.runningMean, m)
      fill(bn.runningVar, v)
    default:
      break
    }
    return nil
  }
}

/// Why a model file's contents do not make a model (the file itself read fine).
public struct ModelFileReason: Error, Sendable {
  public let reason: String
  public init(_ reason: String) { self.reason = reason }
}

extension ModelFile {
  /// The file of an fp32 network, with the normalization and class names deployment needs, and the
  /// accuracy it was measured at if known.
  public static func fp32(
    _ network: Network, mean: [Double], std: [Double], classNames: [String], accuracy: Double? = nil
  ) -> ModelFile {
    var file = ModelFile(kind: .fp32, layers: network.fileLayers())
    ModelFileMetadata(input: network.inputShape, mean: mean, std: std, classNames: classNames, accuracy: accuracy)
      .write(into: &file)
    return file
  }
}
