import Foundation
import QatImages
import QatImagesLanguage
import QatModels
import QatOutput
import QatSupport
import QatsLanguage

/// How a session shows things.
public struct SessionOptions: Sendable {
  /// ANSI colour (only on a TTY, never with `NO_COLOR`/`--no-color`).
  public var color: Bool
  /// Terminal columns available to tables and charts.
  public var width: Int
  /// The random seed every random choice derives from.
  public var seed: UInt64
  /// Title of exported notebooks.
  public var title: String
  /// Progress bars redrawn in place (only when stdout is a terminal).
  public var progress: Bool
  /// The terminal's current width, asked before each output so that tables and charts follow a
  /// resized window; nil uses `width` throughout (pipes, tests).
  public var liveWidth: (@Sendable () -> Int)?

  public init(
    color: Bool = false, width: Int = 100, seed: UInt64 = 0, title: String = "qat-repl session", progress: Bool = false,
    liveWidth: (@Sendable () -> Int)? = nil
  ) {
    self.liveWidth = liveWidth
    self.color = color
    self.progress = progress
    self.width = width
    self.seed = seed
    self.title = title
  }
}

/// Where a session writes: standard output and standard error, or a capture in tests.
public struct Console {
  public var out: (String) -> Void
  public var err: (String) -> Void

  public init(out: @escaping (String) -> Void, err: @escaping (String) -> Void) {
    self.out = out
    self.err = err
  }

  /// The process's stdout and stderr, unbuffered per call so output interleaves correctly.
  public static var standard: Console {
    Console(
      out: { s in FileHandle.standardOutput.write(Data(s.utf8)) },
      err: { s in FileHandle.standardError.write(Data(s.utf8)) })
  }
}

/// One running session: the interpreter with its variables, the notebook of everything shown,
/// and the inputs that `:save` replays. Scripts, piped input and the interactive loop all drive it.
public final class Session {
  public let interpreter: Interpreter
  public let notebook: Notebook
  public let options: SessionOptions
  let console: Console
  /// Inputs of the cells that succeeded, in order: what `:save` writes.
  public private(set) var savedInputs: [String] = []
  /// The value each cell showed, by cell number: `_3` and `Out[3]`.
  private(set) var shownValues: [Int: Value] = [:]
  /// The last value a cell showed: `_`.
  private(set) var lastShown: Value?
  /// Set by `:quit`.
  public internal(set) var quitRequested = false
  /// Shows help taller than the terminal a screen at a time; nil (scripts, pipes, tests) prints it.
  /// The launcher sets it for the interactive loop only, so the decision stays out of the session.
  public var pager: Pager?
  /// Prints outputs and records them on the running cell.
  let sink: SessionSink

  public init(options: SessionOptions, console: Console = .standard, registry: BuiltinRegistry = BuiltinRegistry()) {
    self.options = options
    self.console = console
    self.notebook = Notebook(title: options.title)
    let sink = SessionSink(
      console: console, color: options.color, width: options.width, liveWidth: options.liveWidth,
      progress: options.progress)
    self.sink = sink
    self.interpreter = Interpreter(output: sink, seed: options.seed, registry: registry)
    interpreter.sessionNames = { [unowned self] name, location in try self.shownValue(name, at: location) }
    registry.register(ImageBuiltins.all())
    registry.register(ModelBuiltins.all())
    sink.notebook = notebook
  }

  /// The number the next cell will get.
  public var nextCellNumber: Int { notebook.cellCount + 1 }

  /// The interactive prompt: `[3] ptq> `.
  public var prompt: String { "[\(nextCellNumber)] \(interpreter.mode)> " }

  /// How many distinct models the session's variables hold (two names for one model count once).
  public var modelsInMemory: Int {
    var seen = Set<ObjectIdentifier>()
    for (_, value) in interpreter.globals.localBindings {
      if case .object(let object) = value, object.typeName == "model" { seen.insert(ObjectIdentifier(object)) }
    }
    return seen.count
  }

  /// Runs one cell of typed or piped input (one or more statements, or a `:meta` command).
  /// Returns the error if it failed; the session goes on either way.
  @discardableResult
  public func runInput(_ text: String, sourceName: String? = nil, firstLine: Int = 1) -> QatsError? {
    let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
    if trimmed.isEmpty { return nil }
    if trimmed.hasPrefix(":") { return runMeta(trimmed) }
    if let shortcut = shortcut(trimmed) {
      run(shortcut)
      return nil
    }
    let source = Source(name: sourceName ?? "<cell \(nextCellNumber)>", text: text, firstLine: firstLine)
    let statements: [Stmt]
    do {
      statements = try Parser.parse(source)
    } catch let e as QatsErrors {
      notebook.beginCell(input: trimmed, mode: interpreter.mode)
      report(e.errors)
      return e.errors.first
    } catch {
      return nil
    }
    // A cell made only of `##` lines is narrative, not a numbered cell.
    if statements.allSatisfy({ if case .narrative = $0.kind { return true } else { return false } }) {
      for case .narrative(let text) in statements.map(\.kind) { showNarrative(text) }
      savedInputs.append(trimmed)
      return nil
    }
    notebook.beginCell(input: trimmed, mode: interpreter.mode)
    if let e = run(statements) { return e }
    savedInputs.append(trimmed)
    return nil
  }

  /// Runs statements of the current cell, showing each one's result.
  func run(_ statements: [Stmt]) -> QatsError? {
    for s in statements {
      do {
        show(try interpreter.runTopLevel(s))
      } catch let e as QatsError {
        report([e])
        return e
      } catch let e as QatsErrors {
        report(e.errors)
        return e.errors.first
      } catch {
        let e = QatsError(.runtime, "\(error)", at: s.location)
        report([e])
        return e
      }
    }
    return nil
  }

  func show(_ result: Interpreter.CellResult) {
    switch result {
    case .nothing: break
    case .value(let v):
      shownValues[notebook.cellCount] = v
      lastShown = v
      sink.emit(ValueView(v))
    case .assigned(let name, let summary): sink.emit(PlainText("\(name): \(summary)"))
    case .narrative(let text): sink.emit(PlainText(text))
    }
  }

  /// Narrative is printed as it is written, with a blank line before each block of it so the
  /// story reads apart from the numbers.
  func showNarrative(_ text: String) {
    if case .cell? = notebook.entries.last { console.out("\n") }
    notebook.addNarrative(text)
    console.out(text + "\n")
  }

  /// Prints errors to stderr and records them on the current cell.
  func report(_ errors: [QatsError]) {
    printErrors(errors)
    notebook.failCurrentCell(error: errors.map(\.description).joined(separator: "\n"))
  }

  /// Prints errors to stderr, coloured only when the session may use colour.
  func printErrors(_ errors: [QatsError]) {
    console.err(errors.map { $0.formatted(color: options.color) }.joined(separator: "\n") + "\n")
  }

  /// Runs a whole script: parsed first (all syntax errors reported, nothing run), then cell by cell,
  /// stopping at the first error. Each top-level statement is a cell; `##` lines are narrative.
  public func runScript(text: String, name: String) -> ExitStatus {
    let source = Source(name: name, text: text)
    let statements: [Stmt]
    do {
      statements = try Parser.parse(source)
    } catch let e as QatsErrors {
      printErrors(e.errors)
      return .syntax
    } catch {
      return .syntax
    }
    for s in statements {
      if case .narrative(let text) = s.kind {
        showNarrative(text)
        savedInputs.append("## " + text)
        continue
      }
      notebook.beginCell(input: s.sourceText, mode: interpreter.mode)
      if let e = run([s]) { return ExitStatus(e.kind) }
      savedInputs.append(s.sourceText)
    }
    return .success
  }

  /// Reads and runs a script file; a missing or non-UTF-8 file is a usage error naming the path.
  public func runScript(path: String) -> ExitStatus {
    switch ScriptFile.read(path) {
    case .failure(let message):
      console.err("error: \(message)\n")
      return .usage
    case .success(let text):
      return inScriptFolder(of: path) { runScript(text: text, name: PrintableName.of(path)) }
    }
  }

  /// Runs `body` with the folder of the script at `path` as the interpreter's script folder, where
  /// relative input paths not in the working directory are also looked for (`Interpreter.inputPath`).
  func inScriptFolder<R>(of path: String, _ body: () -> R) -> R {
    let saved = interpreter.scriptFolder
    interpreter.scriptFolder = AtomicFile.split(path).directory
    defer { interpreter.scriptFolder = saved }
    return body()
  }

  /// Forgets every variable, the notebook and the saved inputs (`:reset`).
  public func reset() {
    interpreter.reset()
    notebook.reset()
    savedInputs = []
    shownValues = [:]
    lastShown = nil
  }

  /// `_` (the last value shown), `_N` and `Out` (the values cells showed), unless a variable has
  /// the name; nil for any other name.
  func shownValue(_ name: String, at location: SourceLocation) throws -> Value? {
    if name == "_" {
      guard let lastShown else {
        throw QatsError(
          .runtime, "`_` is the last value a cell showed, and no cell has shown one yet", at: location,
          hint: "run an expression such as `1 + 2`; then `_` is its value")
      }
      return lastShown
    }
    if name == "Out" { return .object(CellOutputs(session: self)) }
    guard name.hasPrefix("_"), name.count > 1, name.dropFirst().allSatisfy(\.isASCII),
      name.dropFirst().allSatisfy(\.isNumber), let cell = Int(name.dropFirst())
    else { return nil }
    return try cellValue(cell, name: name, at: location)
  }

  /// The value cell `cell` showed, or an error naming the cells that showed one.
  func cellValue(_ cell: Int, name: String, at location: SourceLocation?) throws -> Value {
    if let value = shownValues[cell] { return value }
    let cells = shownValues.keys.sorted()
    let hint =
      cells.isEmpty
      ? "no cell has shown a value yet"
      : "cells that showed a value: " + cells.suffix(10).map(String.init).joined(separator: ", ")
    let what =
      cell < 1
      ? "cells are numbered from 1"
      : cell < nextCellNumber ? "cell \(cell) showed no value" : "there is no cell \(cell) yet"
    throw QatsError(.runtime, "`\(name)`: \(what)", at: location, hint: hint)
  }
}

/// `Out`: the values cells showed, by cell number (`Out[3]` is `_3`).
final class CellOutputs: HostObject {
  unowned let session: Session
  init(session: Session) { self.session = session }

  var typeName: String { "outputs" }
  var summary: String {
    let count = session.shownValues.count
    return "the values of \(count) cell\(count == 1 ? "" : "s"); `Out[3]` is cell 3's"
  }

  func index(_ key: Value) throws -> Value? {
    guard case .int(let cell) = key else { return nil }
    return try session.cellValue(cell, name: "Out[\(cell)]", at: nil)
  }

  func render(_ format: RenderFormat) -> String { PlainText(summary).render(format) }
}

/// The session's OutputSink: prints each item as it comes and records it on the current cell.
final class SessionSink: OutputSink {
  let console: Console
  let color: Bool
  let width: Int
  let liveWidth: (@Sendable () -> Int)?
  weak var notebook: Notebook?

  /// Whether progress lines are drawn (stdout is a terminal).
  let drawsProgress: Bool

  init(console: Console, color: Bool, width: Int, liveWidth: (@Sendable () -> Int)?, progress: Bool) {
    self.console = console
    self.color = color
    self.width = width
    self.liveWidth = liveWidth
    drawsProgress = progress
  }

  /// The columns available now: the terminal's current width when it is followed (at least 20).
  var columns: Int { max(20, liveWidth?() ?? width) }

  /// How outputs are rendered now.
  var format: RenderFormat { .text(color: color, width: columns) }

  /// True while a progress line is on screen (it is erased before the next output).
  private var progressShown = false

  func emit(_ item: any Renderable) {
    progress(nil)
    console.out(item.render(format) + "\n")
    notebook?.appendOutput(item)
  }

  /// Progress lines are drawn only on a terminal: carriage return, erase the line, redraw.
  func progress(_ line: ProgressLine?) {
    guard drawsProgress else { return }
    if let line {
      // A line that wrapped could not be erased by "\r ESC[2K" (which clears one row), so a
      // progress line is fitted to the width (one column spare for the cursor).
      console.out("\r\u{1B}[2K" + line.fitted(to: columns - 1))
      progressShown = true
    } else if progressShown {
      console.out("\r\u{1B}[2K")
      progressShown = false
    }
  }
}
