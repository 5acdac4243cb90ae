import OnnxProto
import QatEngine
import QatModelFile

/// One layer the graph converts to, with its tensors in a model file's form; a residual block has
/// the block's layers as children.
struct ConvertedLayer {
  var kind: LayerSpec.Kind
  var tensors: [ModelFile.Tensor] = []
  var children: [ConvertedLayer] = []
}

/// The shape the walk is at: a feature map [C, H, W] or flat features.
struct WalkShape: Equatable {
  var channels: Int
  var height: Int
  var width: Int
  var isFlat: Bool

  var elements: Int { channels * height * width }
}

/// Walks an fp32 graph from its (normalized) input to its output, turning each node into the layer
/// qat-repl has for it: a chain of nodes, with a fork whose one branch rejoins the other at an Add
/// becoming a residual block.
struct OnnxGraphConverter {
  let nodes: [OnnxNode]
  var constants: OnnxConstants
  /// Tensor name → the positions in `nodes` of the nodes that read it.
  let readers: [String: [Int]]
  /// The tensor holding the model's output (the graph output named `logits`, else the first).
  let output: String
  /// Positions of the nodes the walk has converted (each exactly once).
  var visited = Set<Int>()
  static let maxDepth = 63

  init(nodes: [OnnxNode], constants: OnnxConstants, output: String) {
    self.nodes = nodes
    self.constants = constants
    self.output = output
    var readers: [String: [Int]] = [:]
    // Positions in `nodes` (Constant nodes are not among them, so these differ from graph indices).
    for (position, node) in nodes.enumerated() {
      for name in Set(node.proto.input) where !name.isEmpty && !constants.contains(name) {
        readers[name, default: []].append(position)
      }
    }
    self.readers = readers
  }

  /// The layers from `start` (shape `shape`) to the output.
  mutating func convert(from start: String, shape: WalkShape) throws(OnnxImportError) -> [ConvertedLayer] {
    var shape = shape
    let (layers, end) = try chain(from: start, shape: &shape, until: nil, depth: 0)
    guard end == output else {
      throw OnnxImportError("the graph's output '\(output)' is not reached from its input")
    }
    return layers
  }

  /// Converts nodes from `tensor` on until the output, or until the next node would be `stop` (the
  /// Add that closes the residual block being converted). Returns the layers and the tensor reached.
  mutating func chain(from tensor: String, shape: inout WalkShape, until stop: Int?, depth: Int)
    throws(OnnxImportError) -> ([ConvertedLayer], String)
  {
    guard depth <= Self.maxDepth else {
      throw OnnxImportError("the graph nests residual blocks more than \(Self.maxDepth) deep")
    }
    var layers: [ConvertedLayer] = []
    var current = tensor
    while current != output {
      let next = (readers[current] ?? []).filter { !visited.contains($0) && $0 != stop }
      if next.isEmpty {
        if let stop, readers[current]?.contains(stop) == true { return (layers, current) }
        throw OnnxImportError("the tensor '\(current)' leads nowhere: nothing reads it and it is not the output")
      }
      if next.count == 1 {
        let node = nodes[next[0]]
        if node.op == "Add", try isResidualAdd(node) {
          throw node.error(
            "adds two branches that do not start at the same tensor; qat-repl's residual blocks add a block's "
              + "output to its input",
            hint: "a skip connection with its own layers (a downsampling conv) is not supported")
        }
        visited.insert(next[0])
        let (converted, out) = try convertNode(node, input: current, shape: &shape)
        layers += converted
        current = out
        continue
      }
      // A fork: one reader is the Add that closes the block, the other the block's first node.
      guard next.count == 2 else {
        throw OnnxImportError(
          "the tensor '\(current)' is read by \(next.count) nodes; qat-repl expresses chains and residual blocks only")
      }
      var adds: [Int] = []
      for i in next where nodes[i].op == "Add" {
        if try isResidualAdd(nodes[i]) { adds.append(i) }
      }
      guard adds.count == 1, let add = adds.first, let first = next.first(where: { $0 != add }) else {
        throw OnnxImportError(
          "the tensor '\(current)' forks without an Add that rejoins it; qat-repl expresses residual blocks only")
      }
      var inner = shape
      visited.insert(first)
      let (head, headOut) = try convertNode(nodes[first], input: current, shape: &inner)
      let (rest, end) = try chain(from: headOut, shape: &inner, until: add, depth: depth + 1)
      let addNode = nodes[add]
      guard Set(addNode.proto.input) == Set([current, end]) else {
        throw addNode.error("does not add the block's output to its input")
      }
      guard inner == shape else {
        throw addNode.error(
          "adds tensors of different shapes ([\(inner.channels), \(inner.height), \(inner.width)] and "
            + "[\(shape.channels), \(shape.height), \(shape.width)])")
      }
      visited.insert(add)
      layers.append(ConvertedLayer(kind: .residual([]), children: head + rest))
      current = addNode.namedOutputs.first ?? ""
    }
    return (layers, current)
  }

  /// An Add of two computed tensors (not of a constant bias).
  func isResidualAdd(_ node: OnnxNode) throws(OnnxImportError) -> Bool {
    guard node.proto.input.count == 2 else { throw node.error("has \(node.proto.input.count) inputs, not 2") }
    return node.proto.input.allSatisfy { !constants.contains($0) }
  }
}
