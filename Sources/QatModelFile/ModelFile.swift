import QatSupport
/// The contents of a saved model (`*.qnet`), independent of the engine: deployment metadata and a
/// table of layers, each with its attributes and tensors. The byte layout is in
/// `docs/model-format.md`; `encoded()` and `decode(_:path:)` are exact inverses, and a file that
/// decodes re-encodes to the same bytes (there is one encoding of each model).
public struct ModelFile: Equatable, Sendable {
  /// What the layers compute with: fp32 weights, or the integer-only deployment form.
  public enum Kind: UInt8, Sendable, Equatable, CaseIterable {
    case fp32 = 0
    case integer = 1
  }

  /// One free-form string property (method, bits, observer, …). A list rather than a dictionary so
  /// that the file keeps the writer's order and the same model always gives the same bytes.
  public struct Property: Equatable, Sendable {
    public var key: String
    public var value: String

    public init(_ key: String, _ value: String) {
      self.key = key
      self.value = value
    }
  }

  /// One layer: what it is, its scalar attributes and its tensors. The meaning of `integers`,
  /// `floats` and the tensors depends on `type` (see "Layer table contents" in the format document).
  public struct Layer: Equatable, Sendable {
    /// The layer's kind: "conv", "dense", "qconv", …
    public var type: String
    /// Free text shown to users.
    public var name: String
    /// Small integer attributes (kernel, stride, zero points, shifts, …).
    public var integers: [Int64]
    /// Scalar real attributes (scales, epsilon, …), stored as their exact bit patterns.
    public var floats: [Double]
    public var tensors: [Tensor]

    public init(type: String, name: String = "", integers: [Int64] = [], floats: [Double] = [], tensors: [Tensor] = [])
    {
      self.type = type
      self.name = name
      self.integers = integers
      self.floats = floats
      self.tensors = tensors
    }

    /// The first tensor called `name`, if any.
    public func tensor(named name: String) -> Tensor? { tensors.first { $0.name == name } }
  }

  /// A named array with a shape; the product of the shape is the number of values
  /// (an empty shape is a scalar: one value).
  public struct Tensor: Equatable, Sendable {
    public var name: String
    public var shape: [Int]
    public var data: TensorData

    public init(name: String, shape: [Int], data: TensorData) {
      self.name = name
      self.shape = shape
      self.data = data
    }
  }

  /// A tensor's values, in the width they are stored at.
  public enum TensorData: Equatable, Sendable {
    case float32([Float])
    case int32([Int32])
    case int64([Int64])
    /// Signed integers in `bits` bits each (2…8), two's complement, packed densely: a 4-bit
    /// tensor takes half a byte per value. Each value must lie in −2^(bits−1) … 2^(bits−1)−1.
    case signedPacked(bits: Int, values: [Int8])
    /// Unsigned integers in `bits` bits each (1…8), packed densely. Each value must be below 2^bits.
    case unsignedPacked(bits: Int, values: [UInt8])

    /// The number of values.
    public var count: Int {
      switch self {
      case .float32(let v): return v.count
      case .int32(let v): return v.count
      case .int64(let v): return v.count
      case .signedPacked(_, let v): return v.count
      case .unsignedPacked(_, let v): return v.count
      }
    }

    /// Bits per stored value: 32, 32, 64, or the packed width.
    public var bitsPerValue: Int {
      switch self {
      case .float32, .int32: return 32
      case .int64: return 64
      case .signedPacked(let bits, _), .unsignedPacked(let bits, _): return bits
      }
    }

    /// The bytes the values take in the file: ⌈count · bits / 8⌉.
    public var storedByteCount: Int { BitPacking.byteCount(values: count, bits: bitsPerValue) ?? Int.max }
  }

  public var kind: Kind
  /// The input the model expects: [C, H, W] for images, [F] for plain features.
  public var inputShape: [Int]
  /// "gray" or "rgb": how images are converted before normalization.
  public var colorMode: String
  /// Per-channel normalization, `(x − mean) / std`.
  public var mean: [Double]
  public var std: [Double]
  /// Label i is `classNames[i]`.
  public var classNames: [String]
  /// Free-form string properties, in the writer's order.
  public var properties: [Property]
  public var layers: [Layer]

  public init(
    kind: Kind, inputShape: [Int] = [], colorMode: String = "", mean: [Double] = [], std: [Double] = [],
    classNames: [String] = [], properties: [Property] = [], layers: [Layer] = []
  ) {
    self.kind = kind
    self.inputShape = inputShape
    self.colorMode = colorMode
    self.mean = mean
    self.std = std
    self.classNames = classNames
    self.properties = properties
    self.layers = layers
  }

  /// The value of the first property called `key`, if any.
  public func property(_ key: String) -> String? { properties.first { $0.key == key }?.value }
}

extension ModelFile {
  /// The format version this build writes, and the newest it reads.
  public static let formatVersion: UInt16 = 1

  /// The customary file name extension, without the dot.
  public static let fileExtension = "qnet"

  /// Encodes and writes the model atomically (temporary file, fsync, rename): a reader never sees
  /// half a file, and a failed write leaves any previous file at `path` as it was.
  /// Returns the number of bytes written: the model's size.
  @discardableResult
  public func write(to path: String) throws(ModelFileError) -> Int {
    let bytes: [UInt8]
    do {
      bytes = try encoded()
    } catch {
      throw error.at(path)
    }
    try ModelFileIO.write(bytes, to: path)
    return bytes.count
  }

  /// Reads and decodes the model file at `path`; a file longer than `budget` bytes is refused unread.
  public static func read(path: String, budget: Int = MemoryBudget.bytes) throws(ModelFileError) -> ModelFile {
    try decode(ModelFileIO.read(path: path, budget: budget), path: path)
  }
}
