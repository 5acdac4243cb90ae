import Foundation
import OnnxProto

/// A constant tensor, decoded: its dims and its values as floats (float, double) or integers
/// (int64, int32). The other array is empty.
struct OnnxConstant {
  var dims: [Int]
  var floats: [Float] = []
  var ints: [Int64] = []
  var count: Int { max(floats.count, ints.count) }
  var isFloat: Bool { !floats.isEmpty || ints.isEmpty }
}

/// The graph's constants — initializers, Constant nodes, Identity of a constant — by tensor name,
/// decoded on first use. Every decoded byte counts against the caller's budget, and every element
/// count from the file is checked against the bytes actually present before anything is allocated.
struct OnnxConstants {
  /// Where a constant's values are before they are decoded.
  enum Source {
    case tensor(Onnx_TensorProto)
    case floats([Float], dims: [Int])
    case ints([Int64], dims: [Int])
  }

  private var sources: [String: Source] = [:]
  private var decoded: [String: OnnxConstant] = [:]
  private(set) var bytesDecoded = 0
  let budget: Int

  init(budget: Int) { self.budget = budget }

  func contains(_ name: String) -> Bool { sources[name] != nil }

  mutating func add(_ name: String, _ source: Source) { sources[name] = source }

  /// Makes `alias` name the same constant as `name` (an Identity node on a constant).
  mutating func alias(_ alias: String, to name: String) {
    if let source = sources[name] { sources[alias] = source }
  }

  /// The constant `name`, decoded; `context` prefixes an error ("node 3 'Conv_0' (Conv): ").
  mutating func value(_ name: String, context: String) throws(OnnxImportError) -> OnnxConstant {
    if let done = decoded[name] { return done }
    guard let source = sources[name] else {
      throw OnnxImportError(
        "\(context)its input '\(name)' is not a constant (an initializer or a Constant node)",
        hint: "qat-repl imports weights, biases and shapes stored in the file; export with constant folding on")
    }
    let constant: OnnxConstant
    switch source {
    case .floats(let values, let dims): constant = OnnxConstant(dims: dims, floats: values)
    case .ints(let values, let dims): constant = OnnxConstant(dims: dims, ints: values)
    case .tensor(let tensor): constant = try decode(tensor, name: name, context: context)
    }
    decoded[name] = constant
    return constant
  }

  /// Decodes an initializer's values, refusing external data, unknown types and sizes that do not
  /// match the bytes present or do not fit the budget.
  private mutating func decode(_ t: Onnx_TensorProto, name: String, context: String) throws(OnnxImportError)
    -> OnnxConstant
  {
    let what = "\(context)the tensor '\(name)'"
    if t.dataLocation == .external || !t.externalData.isEmpty {
      throw OnnxImportError(
        "\(what) is stored in an external file; qat-repl reads self-contained files",
        hint: "re-export with the weights inline (torch.onnx.export(…, external_data=False))")
    }
    if t.hasSegment { throw OnnxImportError("\(what) is stored in segments, which qat-repl does not read") }
    var count = 1
    var dims: [Int] = []
    for d in t.dims {
      guard d >= 0, d <= Int64(Int32.max) else { throw OnnxImportError("\(what) has the dimension \(d)") }
      let (product, overflow) = count.multipliedReportingOverflow(by: Int(d))
      guard !overflow, product <= Int(Int32.max) else {
        throw OnnxImportError("\(what) has dims \(t.dims), more values than qat-repl handles")
      }
      count = product
      dims.append(Int(d))
    }
    let width: Int
    switch t.dataType {
    case 1, 6: width = 4  // float, int32
    case 7, 11: width = 8  // int64, double
    default:
      let type = Onnx_TensorProto.DataType(rawValue: Int(t.dataType)).map { "\($0)" } ?? "number \(t.dataType)"
      throw OnnxImportError(
        "\(what) has the element type \(type); qat-repl imports float32 weights (and int64 shapes)",
        hint: "export the model in float32")
    }
    // The bytes present bound the count before anything is allocated; the budget bounds the total.
    let bytes = count * width
    guard bytes <= budget - bytesDecoded else {
      throw OnnxImportError(
        "\(what) would take the decoded tensors past the memory budget of \(budget) bytes",
        hint: "the model is too large to import here")
    }
    if t.hasRawData {
      guard t.rawData.count == bytes else {
        throw OnnxImportError("\(what) has dims \(t.dims) but \(t.rawData.count) bytes of data (\(bytes) expected)")
      }
    } else {
      let stored: Int
      switch t.dataType {
      case 1: stored = t.floatData.count
      case 6: stored = t.int32Data.count
      case 7: stored = t.int64Data.count
      default: stored = t.doubleData.count
      }
      guard stored == count else {
        throw OnnxImportError("\(what) has dims \(t.dims) but \(stored) values (\(count) expected)")
      }
    }
    bytesDecoded += bytes
    var result = OnnxConstant(dims: dims)
    switch (t.dataType, t.hasRawData) {
    case (1, true): result.floats = Self.littleEndian(t.rawData, count: count) { Float(bitPattern: UInt32($0)) }
    case (11, true):
      result.floats = Self.littleEndian(t.rawData, count: count) { Float(Double(bitPattern: $0)) }
    case (6, true): result.ints = Self.littleEndian(t.rawData, count: count) { Int64(Int32(bitPattern: UInt32($0))) }
    case (7, true): result.ints = Self.littleEndian(t.rawData, count: count) { Int64(bitPattern: $0) }
    case (1, false): result.floats = t.floatData
    case (11, false): result.floats = t.doubleData.map { Float($0) }
    case (6, false): result.ints = t.int32Data.map(Int64.init)
    default: result.ints = t.int64Data
    }
    return result
  }

  /// Reads `count` little-endian values of `width` bytes (4 or 8) from `data`, already checked to
  /// hold exactly that many; `make` gets each value zero-extended to 64 bits.
  private static func littleEndian<T>(_ data: Data, count: Int, _ make: (UInt64) -> T) -> [T] {
    let width = count == 0 ? 4 : data.count / count
    var out: [T] = []
    out.reserveCapacity(count)
    data.withUnsafeBytes { raw in
      for i in 0..<count {
        if width == 8 {
          out.append(make(UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self))))
        } else {
          out.append(make(UInt64(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)))))
        }
      }
    }
    return out
  }
}
