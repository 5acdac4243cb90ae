/// A qats value. Lists and records have value semantics (assigning copies); host objects
/// (datasets, models, tables) are shared references.
public enum Value {
  case int(Int)
  case float(Double)
  case bool(Bool)
  case string(String)
  case none
  case list([Value])
  case record(Record)
  case function(Function)
  case object(any HostObject)

  /// The type name used in messages and by `type(x)`.
  public var typeName: String {
    switch self {
    case .int: return "int"
    case .float: return "float"
    case .bool: return "bool"
    case .string: return "string"
    case .none: return "nil"
    case .list: return "list"
    case .record: return "record"
    case .function: return "function"
    case .object(let o): return o.typeName
    }
  }

  /// The numeric value of an int or float.
  public var number: Double? {
    switch self {
    case .int(let v): return Double(v)
    case .float(let v): return v
    default: return nil
    }
  }

  public var isNil: Bool { if case .none = self { return true } else { return false } }
}

/// A record: string keys in insertion order.
public struct Record {
  public private(set) var keys: [String] = []
  private var storage: [String: Value] = [:]

  public init() {}

  public init(_ pairs: [(String, Value)]) {
    for (k, v) in pairs { self[k] = v }
  }

  public subscript(key: String) -> Value? {
    get { storage[key] }
    set {
      if let newValue {
        if storage.updateValue(newValue, forKey: key) == nil { keys.append(key) }
      } else if storage.removeValue(forKey: key) != nil {
        keys.removeAll { $0 == key }
      }
    }
  }

  /// Every key of `records`, in first-seen order: the columns of a table, a CSV header.
  public static func keys(of records: [Record]) -> [String] {
    var keys: [String] = [], seen = Set<String>()
    for record in records { for k in record.keys where seen.insert(k).inserted { keys.append(k) } }
    return keys
  }

  /// Key/value pairs in insertion order.
  public var pairs: [(key: String, value: Value)] { keys.compactMap { k in storage[k].map { (k, $0) } } }
  public var count: Int { keys.count }
  /// The field values, in no particular order.
  var values: Dictionary<String, Value>.Values { storage.values }
}

extension Value {
  /// How deeply lists and records may nest inside each other. Every list and record is checked when
  /// it is made (literals, `append`, assignment into one), so every walk over a value — showing it,
  /// JSON, equality, freeing it — recurses at most this deep.
  public static let maxDepth = 1000

  /// How deeply lists and records nest in this value: 0 for a number, string or object, 1 for
  /// `[1, 2]` or `{a: 1}`, 2 for `[[1]]`. Bounded by `maxDepth`, as every value is.
  public var depth: Int {
    switch self {
    case .list(let items): return 1 + items.reduce(0) { Swift.max($0, $1.depth) }
    case .record(let r): return 1 + r.values.reduce(0) { Swift.max($0, $1.depth) }
    default: return 0
    }
  }

  /// The error for a list or record that would nest `depth` levels deep, more than `maxDepth`.
  public static func tooDeep(_ depth: Int, at location: SourceLocation?) -> QatsError {
    QatsError(
      .runtime,
      "lists and records may nest at most \(maxDepth) levels deep; this one would nest \(depth) levels",
      at: location,
      hint: "a loop like `x = [x]` wraps the value once more each time; collect items in one list: `xs += [item]`")
  }
}

extension Value {
  /// Structural equality; numbers compare by value across int and float; objects by identity.
  public func isEqual(to other: Value) -> Bool {
    switch (self, other) {
    case (.int(let a), .int(let b)): return a == b
    case (.int, .float), (.float, .int), (.float, .float): return number == other.number
    case (.bool(let a), .bool(let b)): return a == b
    case (.string(let a), .string(let b)): return a == b
    case (.none, .none): return true
    case (.list(let a), .list(let b)):
      return a.count == b.count && zip(a, b).allSatisfy { $0.isEqual(to: $1) }
    case (.record(let a), .record(let b)):
      return a.count == b.count
        && a.pairs.allSatisfy { pair in b[pair.key].map { pair.value.isEqual(to: $0) } ?? false }
    case (.function(let a), .function(let b)): return a === b
    case (.object(let a), .object(let b)): return a === b
    default: return false
    }
  }
}

extension Value {
  /// A float32 data value (a weight, a tensor's or an image's values, a fake-quantized number) as
  /// a language float: the double nearest the shortest decimal that round-trips through Float, so
  /// it prints as float32 shows it (`0.1`, not `0.10000000149011612`) and converts back to the
  /// same Float. Quantization scales stay exact doubles instead, so that arithmetic by hand on
  /// them agrees with the engine bit for bit.
  public static func float32(_ x: Float) -> Value {
    guard x.isFinite, let d = Double(x.description), Float(d) == x else { return .float(Double(x)) }
    return .float(d)
  }
}
