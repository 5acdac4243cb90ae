import QatSupport
/// Every built-in the session knows, and the argument binding and checking they share.
public final class BuiltinRegistry {
  private var table: [String: Builtin] = [:]

  public init() {}

  /// Adds (or replaces) a built-in.
  public func register(_ builtin: Builtin) { table[builtin.name] = builtin }

  public func register(_ builtins: [Builtin]) { builtins.forEach(register) }

  public func lookup(_ name: String) -> Builtin? { table[name] }

  /// All built-ins sorted by name.
  public var all: [Builtin] { table.values.sorted { $0.name < $1.name } }

  /// Topics in a stable order: the language's own first, then the rest alphabetically.
  public var topics: [String] {
    let known = ["core", "math", "io"]
    let rest = Set(table.values.map(\.topic)).subtracting(known).sorted()
    return known.filter { t in table.values.contains { $0.topic == t } } + rest
  }

  public var names: [String] { table.keys.sorted() }

  /// A bound argument: the value and where it was written.
  public struct Bound {
    public let value: Value
    public let location: SourceLocation
    /// The variable name when the argument was written as a bare name (`compare(net, q8)` labels
    /// its rows by these), else nil.
    public let name: String?
    public init(_ value: Value, _ location: SourceLocation, name: String? = nil) {
      self.value = value
      self.location = location
      self.name = name
    }
  }

  /// Binds positional and keyword arguments to `builtin`'s parameters and checks every value.
  func bind(
    _ builtin: Builtin, positional: [Bound], keywords: [(String, Bound)], block: Block?,
    interpreter: Interpreter, environment: Environment, at location: SourceLocation
  ) throws -> BuiltinCall {
    let name = builtin.name
    func fail(_ message: String, _ where_: SourceLocation, hint: String? = nil) -> QatsError {
      QatsError(.runtime, "`\(name)`: \(message)", at: where_, hint: hint)
    }
    var values: [String: Value] = [:]
    var locations: [String: SourceLocation] = [:]
    var given = Set<String>()
    var rest: [Value] = [], restLocations: [SourceLocation] = []
    var names: [String: String] = [:], restNames: [String?] = []

    let byPosition = builtin.positionalParameters
    for (i, arg) in positional.enumerated() {
      if i < byPosition.count {
        let p = byPosition[i]
        values[p.name] = arg.value; locations[p.name] = arg.location; given.insert(p.name)
        names[p.name] = arg.name
      } else if builtin.variadic != nil {
        rest.append(arg.value); restLocations.append(arg.location); restNames.append(arg.name)
      } else {
        let n = byPosition.count
        throw fail(
          "takes at most \(n) positional argument\(n == 1 ? "" : "s"), got \(positional.count)", arg.location,
          hint: "usage: \(builtin.signature)")
      }
    }
    for (label, arg) in keywords {
      guard builtin.parameters.contains(where: { $0.name == label }) else {
        let guess = Suggest.nearest(to: label, in: builtin.parameters.map(\.name))
        throw fail(
          "no parameter named `\(label)`", arg.location,
          hint: guess.map { "did you mean `\($0)`?" } ?? "usage: \(builtin.signature)")
      }
      if given.contains(label) { throw fail("`\(label)` is given twice (by position and by name)", arg.location) }
      values[label] = arg.value; locations[label] = arg.location; given.insert(label)
      names[label] = arg.name
    }
    for p in builtin.parameters {
      if let v = values[p.name] {
        if p.isOptional, v.isNil { continue }
        if let problem = BuiltinRegistry.check(v, against: p.type) {
          let hint = BuiltinRegistry.choiceHint(v, for: p.type)
          throw fail(
            "`\(p.name)` must be \(p.type.description), got \(problem)", locations[p.name] ?? location, hint: hint)
        }
      } else if let d = p.defaultValue {
        values[p.name] = d
      } else {
        throw fail("missing argument `\(p.name)` (\(p.help))", location, hint: "usage: \(builtin.signature)")
      }
    }
    if let v = builtin.variadic {
      for (value, loc) in zip(rest, restLocations) {
        if let problem = BuiltinRegistry.check(value, against: v.type) {
          throw fail("`\(v.name)` must each be \(v.type.description), got \(problem)", loc)
        }
      }
    }
    switch (builtin.block, block) {
    case (.none, .some(let b)): throw fail("does not take a `{ … }` block", b.location)
    case (.required, .none):
      throw fail("needs a `{ … }` block after the call", location, hint: "usage: \(builtin.signature)")
    default: break
    }
    return BuiltinCall(
      builtin: builtin, interpreter: interpreter, location: location, environment: environment, block: block,
      rest: rest, restLocations: restLocations, restNames: restNames, values: values, locations: locations,
      names: names, given: given)
  }

  /// nil if `value` fits `type`; otherwise a short description of what was given instead.
  public static func check(_ value: Value, against type: ParameterType) -> String? {
    let ok: Bool
    switch type {
    case .any: ok = true
    case .int: if case .int = value { ok = true } else { ok = false }
    case .positiveInt: if case .int(let v) = value { ok = v > 0 } else { ok = false }
    case .nonNegativeInt: if case .int(let v) = value { ok = v >= 0 } else { ok = false }
    case .number: ok = value.number.map { $0.isFinite } ?? false
    case .positiveNumber: ok = value.number.map { $0 > 0 && $0.isFinite } ?? false
    case .nonNegativeNumber: ok = value.number.map { $0 >= 0 && $0.isFinite } ?? false
    case .string: if case .string = value { ok = true } else { ok = false }
    case .bool: if case .bool = value { ok = true } else { ok = false }
    case .list: if case .list = value { ok = true } else { ok = false }
    case .record: if case .record = value { ok = true } else { ok = false }
    case .function: if case .function = value { ok = true } else { ok = false }
    case .choice(let options): if case .string(let s) = value { ok = options.contains(s) } else { ok = false }
    case .listOf(let item):
      guard case .list(let items) = value else { ok = false; break }
      for (i, v) in items.enumerated() {
        if let problem = check(v, against: item) { return "\(problem) at position \(i)" }
      }
      ok = true
    case .object(let names): if case .object(let o) = value { ok = names.contains(o.typeName) } else { ok = false }
    case .oneOf(let types): ok = types.contains { check(value, against: $0) == nil }
    }
    return ok ? nil : describe(value)
  }

  /// "did you mean …?" for the first string of `value` (itself, or an item of a list) that is not
  /// one of the choices `type` declares (`observer: "minmx"`, `augment: ["flip", "crp"]`).
  static func choiceHint(_ value: Value, for type: ParameterType) -> String? {
    let options = type.choices(inList: false) + type.choices(inList: true)
    guard !options.isEmpty else { return nil }
    let strings: [String]
    switch value {
    case .string(let s): strings = [s]
    case .list(let items): strings = items.compactMap { if case .string(let s) = $0 { s } else { nil } }
    default: return nil
    }
    for given in strings where !options.contains(given) {
      if let near = Suggest.nearest(to: given, in: options) { return "did you mean \(Value.quote(near))?" }
    }
    return nil
  }

  /// "-3", "\"adam\"", "a list of 3 items", "a dataset".
  static func describe(_ value: Value) -> String {
    switch value {
    case .int, .float, .bool, .none: return value.repr
    case .string(let s): return s.count > 40 ? "a string of \(s.count) characters" : Value.quote(s)
    case .list(let items):
      return items.count <= 6 && value.repr.count <= 40 ? value.repr : "a list of \(items.count) items"
    case .record: return value.repr.count <= 40 ? value.repr : "a record"
    case .function(let f): return "the function `\(f.name)`"
    case .object(let o): return "a \(o.typeName)"
    }
  }
}
