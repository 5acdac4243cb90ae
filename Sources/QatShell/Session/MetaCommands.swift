import Foundation
import QatOutput
import QatSupport
import QatsLanguage

/// The `:` commands of the shell.
extension Session {
  /// Every meta command with its one-line help, in the order `:help` lists them.
  public static let metaCommands: [(name: String, usage: String, help: String)] = [
    (":help", ":help [name|topic]", "this overview, or a built-in, concept or topic"),
    (":vars", ":vars [PATTERN]", "variables, their types and values (`net*` filters)"),
    (":load", ":load FILE.qats", "run a script in this session (its variables stay)"),
    (":save", ":save FILE.qats", "write the session's successful inputs as a script (`:save!` replaces a file)"),
    (
      ":export", ":export [--no-errors] FILE",
      "write the notebook so far as a .html or .md report (`:export!` replaces a file, `--no-errors` "
        + "leaves failed cells out)"
    ),
    (":reset", ":reset", "forget every variable, return to ptq mode and the start seed"),
    (":time", ":time EXPR", "run EXPR as a cell and show how long it took"),
    (":quit", ":quit", "leave (`quit`, `exit` and Ctrl-D at an empty prompt do the same)"),
  ]

  func runMeta(_ text: String) -> QatsError? {
    let parts = text.split(separator: " ", maxSplits: 1).map(String.init)
    var command = parts.first ?? text
    // `:save! f` and `:export! f` replace an existing file; without `!` they refuse to.
    let replace = (command == ":save!" || command == ":export!")
    if replace { command.removeLast() }
    let argument = parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : ""
    func fail(_ message: String, hint: String? = nil) -> QatsError {
      let e = QatsError(.runtime, message, at: nil, hint: hint)
      console.err(e.description + "\n")
      return e
    }
    func needArgument(_ what: String) -> QatsError? {
      argument.isEmpty
        ? fail(
          "\(command) needs \(what)",
          hint: "usage: " + (Session.metaCommands.first { $0.name == command }?.usage ?? command)) : nil
    }
    switch command {
    case ":help", ":h", ":?", ":doc":
      showHelp(argument)
    case ":vars":
      console.out(variablesTable(matching: argument) + "\n")
    case ":load":
      if let e = needArgument("a script path") { return e }
      let path = interpreter.inputPath(Session.unquote(argument))
      switch ScriptFile.read(path) {
      case .failure(let message): return fail(message)
      case .success(let script):
        let name = PrintableName.of(path)
        let status = inScriptFolder(of: path) { runScript(text: script, name: name) }
        if status != .success { return QatsError(status == .syntax ? .syntax : .runtime, "\(name) stopped", at: nil) }
      }
    case ":save":
      if let e = needArgument("a file name ending in .qats") { return e }
      let path = Session.unquote(argument)
      if let problem = Launcher.outputPathProblem(path, what: "script") { return fail(problem) }
      if !replace, Launcher.fileExists(path) { return refuseToReplace(path, command: ":save") }
      let script = "# Saved by \(Version.banner)\n" + savedInputs.joined(separator: "\n") + "\n"
      do throws(AtomicFile.Failure) {
        try AtomicFile.write(Data(script.utf8), to: path)
        console.out(
          "saved \(savedInputs.count) input\(savedInputs.count == 1 ? "" : "s") to \(PrintableName.of(path))\n")
      } catch {
        return fail(error.description)
      }
    case ":export":
      // `--no-errors` comes before the file name, like a shell option, so any file name still works.
      let (noErrors, file) = Session.exportOption(argument)
      guard !file.isEmpty else {
        return fail(
          ":export needs a file name ending in .html or .md",
          hint: "usage: " + (Session.metaCommands.first { $0.name == ":export" }?.usage ?? ":export"))
      }
      let path = Session.unquote(file)
      if let problem = Launcher.reportPathProblem(path) { return fail(problem) }
      if !replace, Launcher.fileExists(path) { return refuseToReplace(path, command: ":export") }
      let report = noErrors ? notebook.withoutFailedCells() : notebook
      do {
        try ReportWriter.write(report, to: path, generator: Version.banner)
        let count = report.entries.count(where: { if case .cell = $0 { true } else { false } })
        let left = notebook.cellCount - count
        let leftOut = noErrors && left > 0 ? " (\(left) failed left out)" : ""
        console.out("exported \(count) cell\(count == 1 ? "" : "s")\(leftOut) to \(PrintableName.of(path))\n")
      } catch {
        return fail("\(error)")
      }
    case ":reset":
      reset()
      console.out("session reset: no variables, mode ptq, seed \(interpreter.seed)\n")
    case ":time":
      if let e = needArgument("an expression") { return e }
      let start = Date()
      let error = runInput(argument)
      if error == nil { sink.emit(PlainText("time: " + Units.duration(Date().timeIntervalSince(start)))) }
      return error
    case ":quit", ":q", ":exit":
      quitRequested = true
    default:
      let guess = Suggest.nearest(to: command, in: Session.metaCommands.map(\.name))
      return fail(
        "unknown command \(command)",
        hint: guess.map { "did you mean \($0)? (:help lists the commands)" } ?? ":help lists the commands")
    }
    return nil
  }

  /// Splits `:export`'s argument into its `--no-errors` option and the file name.
  static func exportOption(_ argument: String) -> (noErrors: Bool, file: String) {
    let option = "--no-errors"
    guard argument.hasPrefix(option) else { return (false, argument) }
    let rest = argument.dropFirst(option.count)
    // `--no-errorsX.html` is a file name, not the option.
    guard rest.isEmpty || rest.first == " " || rest.first == "\t" else { return (false, argument) }
    return (true, rest.trimmingCharacters(in: .whitespaces))
  }

  /// The error for `:save`/`:export` onto an existing file: it is kept, and the hint names the
  /// `!` form that replaces it.
  func refuseToReplace(_ path: String, command: String) -> QatsError {
    let shown = PrintableName.of(path)
    let e = QatsError(
      .runtime, "\(command): '\(shown)' already exists and was left as it is", at: nil,
      hint: "`\(command)! \(shown)` replaces it, or choose another file name")
    console.err(e.description + "\n")
    return e
  }

  /// Prints `:help topic`, word-wrapped to the terminal's current width; through the pager when
  /// there is one and the text is taller than the terminal (printed anyway if the pager fails).
  func showHelp(_ topic: String) {
    let text = HelpText.render(topic, registry: interpreter.registry, width: sink.columns, variable: userVariable)
    if let pager, pager.needsPaging(text), pager.show(text) { return }
    console.out(text + "\n")
  }

  /// The variables the user defined, sorted by name (predefined constants are left out unless changed).
  var userVariables: [(name: String, value: Value)] {
    let predefined = Dictionary(uniqueKeysWithValues: Interpreter.predefined)
    return interpreter.globals.localBindings.filter { binding in
      guard let original = predefined[binding.name] else { return true }
      return !original.isEqual(to: binding.value)
    }
  }

  /// The value of a variable the user defined, if `name` is one.
  func userVariable(_ name: String) -> Value? {
    userVariables.first { $0.name == name }?.value
  }

  /// A value in one line of at most 70 characters: a host object's summary, or the source-like form.
  static func shortDisplay(_ value: Value) -> String {
    let shown: String
    if case .object(let o) = value { shown = o.summary } else { shown = value.repr }
    return shown.count > 70 ? String(shown.prefix(69)) + "…" : shown
  }

  /// `:vars`: one line per variable the user defined; with a pattern, only the names that contain it
  /// (`net`) or match it as a glob (`net*`, `q?`), ignoring case.
  func variablesTable(matching pattern: String = "") -> String {
    let all = userVariables
    if all.isEmpty { return "no variables yet (mode \(interpreter.mode), seed \(interpreter.seed))" }
    let matcher = NamePattern(pattern)
    let rows = all.filter { matcher.matches($0.name) }
    if rows.isEmpty {
      return "no variable matches `\(pattern)` (\(all.count) variable\(all.count == 1 ? "" : "s"); "
        + "`:vars` lists them all, `net*` matches names starting with net)"
    }
    let nameWidth = min(24, rows.map(\.name.count).max() ?? 4)
    let typeWidth = min(12, rows.map(\.value.typeName.count).max() ?? 4)
    return rows.map { row in
      row.name.padding(toLength: max(nameWidth, row.name.count), withPad: " ", startingAt: 0) + "  "
        + row.value.typeName.padding(toLength: typeWidth, withPad: " ", startingAt: 0) + "  "
        + Session.shortDisplay(row.value)
    }.joined(separator: "\n")
  }

  /// Accepts `:save "my file.qats"` as well as `:save my.qats`.
  static func unquote(_ s: String) -> String {
    if s.count >= 2, let f = s.first, f == "\"" || f == "'", s.last == f { return String(s.dropFirst().dropLast()) }
    return s
  }
}
