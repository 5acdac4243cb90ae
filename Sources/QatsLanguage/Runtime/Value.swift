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
///
/// Its fields live in a shared box copied on write (as an array's buffer is), so that walks over a
/// value can tell two copies of the same record apart from two records that merely look alike:
/// `r = {a: r, b: r}` repeated forty times holds 2^40 paths but only forty records.
public struct Record {
  private final class Fields {
    var keys: [String]
    var storage: [String: Value]
    init(keys: [String] = [], storage: [String: Value] = [:]) {
      self.keys = keys
      self.storage = storage
    }
  }

  private var fields = Fields()

  public init() {}

  public init(_ pairs: [(String, Value)]) {
    for (k, v) in pairs { self[k] = v }
  }

  public var keys: [String] { fields.keys }

  public subscript(key: String) -> Value? {
    get { fields.storage[key] }
    set {
      if !isKnownUniquelyReferenced(&fields) { fields = Fields(keys: fields.keys, storage: fields.storage) }
      if let newValue {
        if fields.storage.updateValue(newValue, forKey: key) == nil { fields.keys.append(key) }
      } else if fields.storage.removeValue(forKey: key) != nil {
        fields.keys.removeAll { $0 == key }
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
  public var pairs: [(key: String, value: Value)] { fields.keys.compactMap { k in fields.storage[k].map { (k, $0) } } }
  public var count: Int { fields.keys.count }
  /// The field values, in no particular order.
  var values: Dictionary<String, Value>.Values { fields.storage.values }
  /// The same for two copies of one record (until either changes).
  var identity: UInt { UInt(bitPattern: ObjectIdentifier(fields)) }
}

extension Value {
  /// How deeply lists and records may nest inside each other. Every list and record is checked when
  /// it is made (literals, `append`, assignment into one), so every walk over a value — showing it,
  /// JSON, equality, freeing it — recurses at most this deep.
  public static let maxDepth = 1000

  /// How deeply lists and records nest in this value: 0 for a number, string or object, 1 for
  /// `[1, 2]` or `{a: 1}`, 2 for `[[1]]`. Bounded by `maxDepth`, as every value is.
  /// Each list buffer and record box is measured once, so a value that holds one list many times
  /// over (`s = [s, s]` in a loop) is measured in time linear in its distinct parts.
  public var depth: Int {
    var known: [ValueIdentity: Int] = [:]
    return depth(known: &known)
  }

  private func depth(known: inout [ValueIdentity: Int]) -> Int {
    guard let identity = ValueIdentity(self) else { return 0 }
    if let d = known[identity] { return d }
    var deepest = 0
    switch self {
    case .list(let items): for item in items { deepest = Swift.max(deepest, item.depth(known: &known)) }
    case .record(let r): for item in r.values { deepest = Swift.max(deepest, item.depth(known: &known)) }
    default: break
    }
    known[identity] = 1 + deepest
    return 1 + deepest
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
  /// Pairs of lists or records already found equal are not compared again (shared parts).
  public func isEqual(to other: Value) -> Bool {
    var equal: Set<ValuePair> = []
    return isEqual(to: other, equal: &equal)
  }

  private func isEqual(to other: Value, equal: inout Set<ValuePair>) -> Bool {
    let pair = ValueIdentity(self).flatMap { a in ValueIdentity(other).map { ValuePair(a: a, b: $0) } }
    if let pair, pair.a == pair.b || equal.contains(pair) { return true }
    let result = shallowEqual(to: other, equal: &equal)
    if result, let pair { equal.insert(pair) }
    return result
  }

  private func shallowEqual(to other: Value, equal: inout Set<ValuePair>) -> Bool {
    switch (self, other) {
    case (.int(let a), .int(let b)): return a == b
    case (.int, .float), (.float, .int), (.float, .float): return number == other.number
    case (.bool(let a), .bool(let b)): return a == b
    case (.string(let a), .string(let b)): return a == b
    case (.none, .none): return true
    case (.list(let a), .list(let b)):
      guard a.count == b.count else { return false }
      for (x, y) in zip(a, b) where !x.isEqual(to: y, equal: &equal) { return false }
      return true
    case (.record(let a), .record(let b)):
      guard a.count == b.count else { return false }
      for pair in a.pairs {
        guard let y = b[pair.key], pair.value.isEqual(to: y, equal: &equal) else { return false }
      }
      return true
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

/// Which list buffer or record box a value is (nil for every other value): equal identities hold
/// the same items, because both are copied before they change.
struct ValueIdentity: Hashable {
  let address: UInt
  let count: Int

  init?(_ value: Value) {
    switch value {
    case .list(let items):
      guard let base = items.withUnsafeBufferPointer({ $0.baseAddress }) else { return nil }
      address = UInt(bitPattern: base)
      count = items.count
    case .record(let r):
      address = r.identity
      count = -1 - r.count
    default: return nil
    }
  }
}

/// Two values compared with each other (`isEqual`).
struct ValuePair: Hashable {
  let a: ValueIdentity
  let b: ValueIdentity
}
