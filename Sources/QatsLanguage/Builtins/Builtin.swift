/// What a built-in parameter accepts; the registry checks arguments against it before the body runs.
public indirect enum ParameterType {
  case any
  case int, positiveInt, nonNegativeInt
  /// An int or a float (ints are converted).
  case number, positiveNumber, nonNegativeNumber
  case string, bool, list, record, function
  /// One of the given strings.
  case choice([String])
  /// A list whose every item has the given type.
  case listOf(ParameterType)
  /// A host object whose `typeName` is one of these.
  case object([String])
  /// Any of several types (e.g. a dataset or a split).
  case oneOf([ParameterType])

  /// How the type reads in an error message: "`epochs` must be *a positive integer*".
  public var description: String {
    switch self {
    case .any: return "a value"
    case .int: return "an integer"
    case .positiveInt: return "a positive integer"
    case .nonNegativeInt: return "a non-negative integer"
    case .number: return "a number"
    case .positiveNumber: return "a positive number"
    case .nonNegativeNumber: return "a non-negative number"
    case .string: return "a string"
    case .bool: return "true or false"
    case .list: return "a list"
    case .record: return "a record"
    case .function: return "a function"
    case .choice(let options): return "one of " + options.map { "\"\($0)\"" }.joined(separator: ", ")
    case .listOf(let item): return "a list of " + item.pluralDescription
    case .object(let names):
      return names.map { ("aeiou".contains($0.prefix(1)) ? "an " : "a ") + $0 }.joined(separator: " or ")
    case .oneOf(let types): return types.map(\.description).joined(separator: " or ")
    }
  }

  /// The strings this type accepts as a choice, for Tab inside a string argument; through
  /// `.oneOf`, and with `inList` the items of a `.listOf(.choice)`. Empty when it has none.
  public func choices(inList: Bool) -> [String] {
    switch self {
    case .choice(let options): return inList ? [] : options
    case .listOf(let item): return inList ? item.choices(inList: false) : []
    case .oneOf(let types): return types.flatMap { $0.choices(inList: inList) }
    default: return []
    }
  }

  var pluralDescription: String {
    switch self {
    case .int: return "integers"
    case .positiveInt: return "positive integers"
    case .number: return "numbers"
    case .string: return "strings"
    default: return "items that are each \(description)"
    }
  }

  /// The short name used in signatures (`:help`, docs).
  public var signatureName: String {
    switch self {
    case .any: return "any"
    case .int, .positiveInt, .nonNegativeInt: return "int"
    case .number, .positiveNumber, .nonNegativeNumber: return "number"
    case .string: return "string"
    case .bool: return "bool"
    case .list: return "list"
    case .record: return "record"
    case .function: return "fn"
    case .choice: return "string"
    case .listOf(let item): return "[\(item.signatureName)]"
    case .object(let names): return names.joined(separator: "|")
    case .oneOf(let types): return types.map(\.signatureName).joined(separator: "|")
    }
  }
}

/// One declared parameter of a built-in.
public struct Parameter {
  public let name: String
  public let type: ParameterType
  /// nil: the argument is required.
  public let defaultValue: Value?
  /// True when the default is "not given" (`nil`), so optional parameters can be told apart.
  public let isOptional: Bool
  public let help: String

  /// A required parameter.
  public static func required(_ name: String, _ type: ParameterType, _ help: String) -> Parameter {
    Parameter(name: name, type: type, defaultValue: nil, isOptional: false, help: help)
  }

  /// A parameter with a default value.
  public static func optional(_ name: String, _ type: ParameterType, default value: Value, _ help: String) -> Parameter
  {
    Parameter(name: name, type: type, defaultValue: value, isOptional: false, help: help)
  }

  /// A parameter that may be left out entirely (the body sees `nil`).
  public static func optional(_ name: String, _ type: ParameterType, _ help: String) -> Parameter {
    Parameter(name: name, type: type, defaultValue: Value.none, isOptional: true, help: help)
  }
}

/// Whether a built-in takes a trailing `{ … }` block.
public enum BlockUse: Sendable { case none, optional, required }

/// A built-in function, declared once: the registry uses the declaration to bind and check
/// arguments, `:help` to explain it, Tab to complete it, and the docs generator to document it.
public struct Builtin {
  public let name: String
  /// The `:help` topic it belongs to (e.g. "core", "math", "data", "models").
  public let topic: String
  public let summary: String
  public let parameters: [Parameter]
  /// Extra positional arguments beyond `parameters` (e.g. `print(a, b, c)`), checked against this type.
  public let variadic: (name: String, type: ParameterType)?
  public let block: BlockUse
  /// What it returns, for the docs.
  public let returns: String
  public let body: (BuiltinCall) throws -> Value

  public init(
    _ name: String, topic: String, summary: String, parameters: [Parameter] = [],
    variadic: (name: String, type: ParameterType)? = nil, block: BlockUse = .none, returns: String = "nil",
    body: @escaping (BuiltinCall) throws -> Value
  ) {
    self.name = name
    self.topic = topic
    self.summary = summary
    self.parameters = parameters
    self.variadic = variadic
    self.block = block
    self.returns = returns
    self.body = body
  }

  /// The parameters that positional arguments fill, in order. With a variadic
  /// (`print(a, b, sep: " ")`), parameters that have defaults are keyword-only, so extra
  /// positional arguments go to the variadic instead of filling them.
  public var positionalParameters: [Parameter] {
    variadic == nil ? parameters : parameters.filter { $0.defaultValue == nil }
  }

  /// `name(a, b: 2, …) { block }`.
  public var signature: String {
    var parts = parameters.map { p -> String in
      if p.isOptional { return "\(p.name): \(p.type.signatureName)?" }
      if let d = p.defaultValue { return "\(p.name): \(d.repr)" }
      return p.name
    }
    if let v = variadic { parts.append("\(v.name)…") }
    let blockText = block == .none ? "" : (block == .required ? " { … }" : " [{ … }]")
    return "\(name)(\(parts.joined(separator: ", ")))" + blockText
  }
}
