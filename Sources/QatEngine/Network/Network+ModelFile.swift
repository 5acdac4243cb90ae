import QatModelFile
import QatSupport

/// How layer specs are written into a model file's layer table (the order and meaning of every
/// attribute is in docs/model-format.md, "Layer table contents"). Integer models store their specs
/// too, so that they show their layers as written.
public enum LayerSpecFile {
  /// The specs as layer-table entries, in order; a residual block's entry counts its children, which follow it.
  public static func layers(_ specs: [LayerSpec]) -> [ModelFile.Layer] { LayerSpec.fileLayers(specs) }

  /// The specs a table of spec entries describes (nil when it is not one).
  public static func specs(_ entries: [ModelFile.Layer]) -> [LayerSpec]? { try? read(entries).get() }

  /// The specs a table of spec entries describes, or why it does not describe them.
  public static func read(_ entries: [ModelFile.Layer]) -> Result<[LayerSpec], ModelFileReason> {
    do throws(ModelFileReason) {
      if entries.count > ModelFileLimits.layers {
        throw ModelFileLimits.tooMany("its layer table has \(Units.grouped(entries.count)) layers")
      }
      var index = 0
      let specs = try LayerSpec.fromFileLayers(entries, index: &index, count: Network.topLevelCount(entries))
      guard index == entries.count else { throw ModelFileReason("the layer table does not describe a network") }
      return .success(specs)
    } catch {
      return .failure(error)
    }
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

  /// Reads specs back from `layers` starting at `index`, `count` of them (nested blocks included), or
  /// why they are not specs: an entry that is not one, or a layer beyond `ModelFileLimits`.
  static func fromFileLayers(_ layers: [ModelFile.Layer], index: inout Int, count: Int, depth: Int = 0)
    throws(ModelFileReason) -> [LayerSpec]
  {
    let malformed = ModelFileReason("the layer table does not describe a network")
    var specs: [LayerSpec] = []
    for _ in 0..<count {
      guard index < layers.count else { throw malformed }
      let layer = layers[index]
      index += 1
      let n = layer.integers.map { Int(clamping: $0) }
      let kind: LayerSpec.Kind
      switch (layer.type, n.count) {
      case ("conv", 5): kind = .conv(out: n[0], kernel: n[1], stride: n[2], pad: n[3], groups: n[4])
      case ("dense", 1): kind = .dense(out: n[0])
      case ("maxpool", 2): kind = .maxpool(kernel: n[0], stride: n[1])
      case ("avgpool", 2): kind = .avgpool(kernel: n[0], stride: n[1])
      case ("dropout", 0) where layer.floats.count == 1 && (0..<1).contains(layer.floats[0]):
        kind = .dropout(p: layer.floats[0])
      case ("relu", 0): kind = .relu
      case ("relu6", 0): kind = .relu6
      case ("batchnorm", 0): kind = .batchNorm
      case ("flatten", 0): kind = .flatten
      case ("globalavgpool", 0): kind = .globalAvgPool
      case ("residual", 1):
        let spec = LayerSpec(.residual([]), tag: specs.count)
        if let problem = ModelFileLimits.problem(spec, children: n[0], depth: depth) {
          throw ModelFileLimits.beyond(spec, problem)
        }
        kind = .residual(try fromFileLayers(layers, index: &index, count: n[0], depth: depth + 1))
      default: throw malformed
      }
      let spec = LayerSpec(kind, tag: specs.count)
      if let problem = ModelFileLimits.problem(spec, depth: depth) { throw ModelFileLimits.beyond(spec, problem) }
      specs.append(spec)
    }
    return specs
  }
}

/// The one table of what a model file holds: `save` refuses a model beyond it (so that every saved
/// file loads) and `load` refuses a file beyond it, saying so.
public enum ModelFileLimits {
  /// Output channels and groups of a convolution.
  public static let channels = 1...65_536
  /// A convolution's kernel side.
  public static let kernel = 1...65_536
  /// A convolution's stride.
  public static let stride = 1...1_024
  /// A convolution's padding.
  public static let pad = 0...1_024
  /// A dense layer's outputs.
  public static let units = 1...(1 << 24)
  /// A pooling layer's kernel and stride.
  public static let pool = 1...1_024
  /// Layers directly inside one residual block.
  public static let blockLayers = 0...4_096
  /// Residual blocks nested inside each other.
  public static let nesting = 63
  /// Layers in a model, nested ones included, and steps in an integer program.
  public static let layers = 65_536

  /// The refusal of a file with too many layers or steps ("its integer program has 70,000 steps").
  static func tooMany(_ what: String) -> ModelFileReason {
    ModelFileReason(
      "\(what), more than the \(Units.grouped(layers)) a model file holds",
      hint: "this version of qat-repl does not load models beyond this limit (docs/model-format.md)")
  }

  /// Why `specs` (with `steps` integer steps) are beyond the count a model file holds, or nil.
  public static func countProblem(_ specs: [LayerSpec], steps: Int = 0) -> String? {
    func count(_ specs: [LayerSpec]) -> Int {
      specs.reduce(0) { total, spec in
        if case .residual(let inner) = spec.kind { return total + 1 + count(inner) }
        return total + 1
      }
    }
    let n = count(specs)
    if n > layers {
      return "it has \(Units.grouped(n)) layers, more than the \(Units.grouped(layers)) a model file holds"
    }
    if steps > layers {
      return
        "its integer program has \(Units.grouped(steps)) steps, more than the \(Units.grouped(layers)) a model file holds"
    }
    return nil
  }

  /// What is beyond the limits in `spec`, at `depth` residual blocks deep ("its kernel 2048 is more than
  /// 1,024"), or nil. `children` stands for a residual block's layer count when it is read from a file.
  public static func problem(_ spec: LayerSpec, children: Int? = nil, depth: Int) -> String? {
    func check(_ what: String, _ value: Int, _ range: ClosedRange<Int>) -> String? {
      if value < range.lowerBound { return "its \(what) \(value) is less than \(range.lowerBound)" }
      if value > range.upperBound {
        return "its \(what) \(value) is more than \(Units.grouped(range.upperBound))"
      }
      return nil
    }
    switch spec.kind {
    case let .conv(out, kernel, stride, pad, groups):
      return check("output channels", out, channels) ?? check("kernel", kernel, Self.kernel)
        ?? check("stride", stride, Self.stride) ?? check("padding", pad, Self.pad) ?? check("groups", groups, channels)
    case .dense(let out): return check("output size", out, units)
    case let .maxpool(kernel, stride), let .avgpool(kernel, stride):
      return check("kernel", kernel, pool) ?? check("stride", stride, pool)
    case .residual(let inner):
      if depth >= nesting { return "it is nested \(depth + 1) residual blocks deep, more than \(nesting)" }
      return check("layer count", children ?? inner.count, blockLayers)
    case .relu, .relu6, .batchNorm, .flatten, .globalAvgPool, .dropout: return nil
    }
  }

  /// The first layer of `specs` (nested blocks included) beyond the limits, and what is beyond them.
  public static func firstProblem(_ specs: [LayerSpec], depth: Int = 0) -> (spec: LayerSpec, problem: String)? {
    for spec in specs {
      if let problem = problem(spec, depth: depth) { return (spec, problem) }
      if case .residual(let inner) = spec.kind, let found = firstProblem(inner, depth: depth + 1) { return found }
    }
    return nil
  }

  static func beyond(_ spec: LayerSpec, _ problem: String) -> ModelFileReason {
    ModelFileReason(
      "its layer `\(spec.description)` is beyond what a model file holds: \(problem)",
      hint: """
        this version of qat-repl does not load layers beyond these limits (docs/model-format.md); rebuild the \
        model within them and save it again
        """)
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
  /// `budget` bounds the network's weights and the working memory of an evaluation pass, checked
  /// before anything is allocated for a layer.
  public static func fromFileLayers(
    _ entries: [ModelFile.Layer], input: ActivationShape, budget: Int = MemoryBudget.bytes
  ) -> Result<(Network, [LayerSpec]), ModelFileReason> {
    let specs: [LayerSpec]
    switch LayerSpecFile.read(entries) {
    case .success(let read): specs = read
    case .failure(let reason): return .failure(reason)
    }
    // Building allocates every weight before the tensors are compared with it: a crafted table must
    // not be able to ask for more than the file could hold.
    let stored = entries.reduce(0) { $0 + $1.tensors.reduce(0) { $0 + $1.data.count } }
    guard let bound = parameterBound(specs, input: input), bound <= 2 * stored + 1_000_000 else {
      return .failure(ModelFileReason("its layers would need far more parameters than it stores"))
    }
    let network: Network
    do {
      network = try compiled(specs, input: input, budget: budget)
    } catch {
      guard !error.overBudget else {
        return .failure(
          ModelFileReason(
            "its network does not fit the memory budget: \(error.message)",
            hint: "it is too large to run here; run it on a machine with more memory (the budget is half of it)"))
      }
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
  /// What to do, when it is not to save the model again (a file beyond `ModelFileLimits`).
  public let hint: String?
  public init(_ reason: String, hint: String? = nil) {
    self.reason = reason
    self.hint = hint
  }
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
