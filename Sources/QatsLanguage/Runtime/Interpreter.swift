import Foundation
import QatOutput
import QatSupport

/// Runs qats statements: a tree-walking evaluator over the AST, holding the session's state
/// (globals, quantization mode, random seed) and the built-in registry.
public final class Interpreter {
  /// The session's global scope.
  public private(set) var globals: Environment
  public let registry: BuiltinRegistry
  /// Where `print` and cell values go.
  public var output: OutputSink
  /// The session's quantization method, set by `mode ptq` / `mode qat`; later built-ins follow it.
  public var mode: String = "ptq"
  /// The session's thread limit (`--threads`, `threads(n)`): all cores up to `ThreadLimit.maximum`
  /// by default. Engine calls read it through `computeThreads()`; results must not depend on it.
  public var threads: Int = max(1, min(ProcessInfo.processInfo.activeProcessorCount, ThreadLimit.maximum))
  /// The seed set by `--seed` or `seed(n)`; every random choice derives from it.
  public private(set) var seed: UInt64
  /// The session's random generator (re-seeded by `seed(n)`).
  public var random: SeededRandom
  /// Asked at loop iterations, calls and inside long built-ins: true means the user pressed Ctrl-C.
  public var interruptCheck: () -> Bool = { false }

  /// Names the host answers when no variable has them (the shell's `_`, `_3` and `Out`): the
  /// value, nil if the name is not the host's, or an error located at `location`.
  public var sessionNames: ((_ name: String, _ location: SourceLocation) throws -> Value?)?

  /// Objects that modules keep for the session (the image loader's dataset cache, say), by typed
  /// key; read through `sessionObject(_:orMake:)`. `:reset` clears them.
  private var sessionObjects: [SessionKeyIdentity: AnyObject] = [:]

  /// Bytes one allocation a user sizes may take (images, a model's memory, a batch):
  /// `MemoryBudget.bytes`, or less when a test sets it.
  public var memoryBudget = MemoryBudget.bytes

  /// The folder of the script being run (set by the shell while it runs one), where relative input
  /// paths that are not in the working directory are also looked for; see `inputPath(_:)`.
  public var scriptFolder: String?
  /// Script folders whose use `inputPath(_:)` has already noted, so the note is shown once.
  var notedScriptFolders: Set<String> = []

  /// Deepest allowed nesting of user function calls before "recursion too deep".
  public var maxCallDepth = 1000
  var callDepth = 0

  /// Names defined when a session starts (`ptq`, `qat`, `pi`); `:reset` restores them.
  public static var predefined: [(String, Value)] {
    [("ptq", .string("ptq")), ("qat", .string("qat")), ("pi", .float(Double.pi))]
  }

  public init(output: OutputSink, seed: UInt64 = 0, registry: BuiltinRegistry = BuiltinRegistry()) {
    self.output = output
    self.seed = seed
    self.random = SeededRandom(seed: seed)
    self.registry = registry
    self.globals = Environment()
    registry.register(CoreBuiltins.all())
    definePredefined()
  }

  func definePredefined() {
    for (name, value) in Interpreter.predefined { globals.define(name, value) }
  }

  /// Forgets every variable and returns to `ptq` mode and the start seed (`:reset`).
  public func reset(seed newSeed: UInt64? = nil) {
    // Old values are released on a large stack: freeing a deeply nested list recurses.
    LargeStack.run { globals = Environment() }
    sessionObjects = [:]
    definePredefined()
    mode = "ptq"
    reseed(newSeed ?? seed)
  }

  /// The object kept for the session under `key`, made by `make` (and kept) on first use or after
  /// `:reset`.
  public func sessionObject<T>(_ key: SessionKey<T>, orMake make: () -> T) -> T {
    if let object = sessionObjects[key.identity] as? T { return object }
    let object = make()
    sessionObjects[key.identity] = object
    return object
  }

  /// Sets the seed and restarts the random generator from it.
  public func reseed(_ newSeed: UInt64) {
    seed = newSeed
    random = SeededRandom(seed: newSeed)
  }

  /// Throws `interrupted` if the user pressed Ctrl-C.
  public func checkInterrupt(at location: SourceLocation?) throws {
    if interruptCheck() { throw QatsError(.interrupted, "stopped by Ctrl-C", at: location) }
  }

  /// What running one top-level statement produced, for the shell to show.
  public enum CellResult {
    /// Nothing to show (an assignment, a definition, a statement whose value is nil).
    case nothing
    /// An expression's value.
    case value(Value)
    /// A host object was assigned: show its one-line summary.
    case assigned(name: String, summary: String)
    /// A `##` narrative line.
    case narrative(String)
  }

  /// Runs one top-level statement of a script or cell, on a thread with a large stack (see
  /// `LargeStack`), so deep recursion ends in an error rather than a crash.
  public func runTopLevel(_ statement: Stmt) throws -> CellResult {
    try LargeStack.run { try runTopLevelHere(statement) }
  }

  func runTopLevelHere(_ statement: Stmt) throws -> CellResult {
    switch statement.kind {
    case .narrative(let text): return .narrative(text)
    case .expression(let e):
      let v = try evaluate(e, in: globals)
      return v.isNil ? .nothing : .value(v)
    case .assign(let target, _, _):
      _ = try execute(statement, in: globals, inFunction: false)
      if case .identifier(let name) = target.kind, case .object(let o)? = globals.lookup(name) {
        return .assigned(name: name, summary: o.summary)
      }
      return .nothing
    case .mode(nil):
      return .value(.string("mode: \(mode)"))
    default:
      let flow = try execute(statement, in: globals, inFunction: false)
      switch flow {
      case .normal: return .nothing
      case .returned: throw QatsError(.runtime, "`return` outside a function", at: statement.location)
      case .broke, .continued: throw QatsError(.runtime, "`break`/`continue` outside a loop", at: statement.location)
      }
    }
  }

  /// Runs a trailing block for a built-in in `environment`; returns the last expression statement's
  /// value (nil if there was none).
  public func runBlock(_ block: Block, in environment: Environment) throws -> Value {
    var last: Value = .none
    for s in block.statements {
      if case .expression(let e) = s.kind {
        last = try evaluate(e, in: environment)
        continue
      }
      last = .none
      switch try execute(s, in: environment, inFunction: false) {
      case .normal: break
      case .returned(let v): return v
      case .broke, .continued: throw QatsError(.runtime, "`break`/`continue` outside a loop", at: s.location)
      }
    }
    return last
  }

  /// Every name a user could mean at this point: variables, built-ins, keywords.
  public func knownNames(in environment: Environment? = nil) -> [String] {
    (environment ?? globals).allNames + registry.names + Keyword.allCases.map(\.rawValue)
  }
}
