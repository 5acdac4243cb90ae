import Foundation
import QatSupport
import QatsLanguage

/// What the command line asked for, and the code that carries it out (kept out of the executable
/// so tests can drive it).
public enum Launcher {
  /// The most `--threads` accepts: the same limit `threads(n)` enforces.
  public static let maxThreads = ThreadLimit.maximum

  public struct Options: Sendable {
    public var script: String?
    public var interactive: Bool
    public var report: String?
    public var seed: UInt64
    public var threads: Int?
    public var noColor: Bool

    public init(script: String?, interactive: Bool, report: String?, seed: UInt64, threads: Int?, noColor: Bool) {
      self.script = script
      self.interactive = interactive
      self.report = report
      self.seed = seed
      self.threads = threads
      self.noColor = noColor
    }
  }

  /// Runs a script, piped input or the interactive shell; writes the report; returns the exit status.
  public static func run(_ options: Options) -> ExitStatus {
    // A report that cannot be written is found before anything runs, not after a long script.
    if let report = options.report, let problem = reportPathProblem(report) {
      FileHandle.standardError.write(Data("error: \(problem)\n".utf8))
      return .usage
    }
    Interrupts.install()
    let title = options.script.map { ($0 as NSString).lastPathComponent } ?? "qat-repl session"
    let session = Session(
      options: SessionOptions(
        color: Terminal.colorEnabled(noColorFlag: options.noColor), width: Terminal.columns, seed: options.seed,
        title: title, progress: Terminal.drawsProgress, liveWidth: Terminal.stdoutIsTTY ? Terminal.currentColumns : nil)
    )
    if let threads = options.threads { session.interpreter.threads = max(1, min(threads, maxThreads)) }
    session.interpreter.interruptCheck = { Interrupts.isPending }

    var status = ExitStatus.success
    if let script = options.script {
      status = session.runScript(path: script)
      if status == .usage { return status }
    }
    if options.script == nil || options.interactive {
      let promptOnStandardError = Terminal.promptsOnStandardError
      if Terminal.isInteractive || promptOnStandardError {
        let history = usableHistoryFile(historyFile())
        if let warning = history.warning { FileHandle.standardError.write(Data("warning: \(warning)\n".utf8)) }
        // Typed help only: a script run before (`-i`) printed its help plainly.
        session.pager = Pager.forTerminal()
        ReadLoop.interactive(session, historyFile: history.path, promptOnStandardError: promptOnStandardError)
        status = .success
      } else {
        let piped = ReadLoop.piped(session)
        if status == .success { status = piped }
      }
    }
    if let report = options.report {
      do {
        try ReportWriter.write(session.notebook, to: report, generator: Version.banner)
        let cells = session.notebook.cellCount
        FileHandle.standardError.write(
          Data("wrote the report to \(PrintableName.of(report)) (\(cells) cell\(cells == 1 ? "" : "s"))\n".utf8))
      } catch {
        FileHandle.standardError.write(Data("error: \(error)\n".utf8))
        if status == .success { status = .runtime }
      }
    }
    return status
  }

  /// Why a notebook report cannot be written to `path` (`--report`, `:export`), or nil: checked
  /// before anything runs. An unsupported extension, a directory, a missing parent directory.
  public static func reportPathProblem(_ path: String) -> String? {
    guard ReportWriter.Format(path: path) != nil else {
      return "cannot write report '\(PrintableName.of(path))': unknown file type; use a .html or .md file name"
    }
    return outputPathProblem(path, what: "report")
  }

  /// Why no file can be written at `path` (it is a directory or another non-regular file, or its
  /// directory is missing), or nil; `what` names the file in the message ("report", "script").
  static func outputPathProblem(_ path: String, what: String) -> String? {
    let shown = PrintableName.of(path)
    var info = stat()
    if stat(path, &info) == 0 {
      switch info.st_mode & S_IFMT {
      case S_IFREG: break
      case S_IFDIR:
        return "cannot write \(what) '\(shown)': it is a directory; give a file name inside it"
      default:
        return "cannot write \(what) '\(shown)': \(AtomicFile.Failure.Reason.notARegularFile.message)"
      }
    }
    if let problem = AtomicFile.directoryProblem(AtomicFile.split(path).directory) {
      return "cannot write \(what) '\(shown)': \(problem.message)"
    }
    return nil
  }

  /// Whether a regular file (or a link to one) is already at `path`: `:save` and `:export` do not
  /// replace it without `!`.
  static func fileExists(_ path: String) -> Bool {
    var info = stat()
    return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
  }

  /// `path` if history can be read from and written to it: nothing is there yet, or a regular
  /// file. Anything else (a named pipe would block the start-up) is not used, with a warning
  /// saying so; history then lasts for the session only.
  static func usableHistoryFile(_ path: String?) -> (path: String?, warning: String?) {
    guard let path else { return (nil, nil) }
    var info = stat()
    guard stat(path, &info) == 0 else { return (path, nil) }
    guard (info.st_mode & S_IFMT) == S_IFREG else {
      return (
        nil,
        """
        the history file '\(PrintableName.of(path))' is not a regular file, so history is kept for this \
        session only; set QAT_REPL_HISTORY to another path
        """
      )
    }
    return (path, nil)
  }

  /// `$QAT_REPL_HISTORY`, or `~/.qat_repl_history`.
  static func historyFile() -> String? {
    let env = ProcessInfo.processInfo.environment
    if let path = env["QAT_REPL_HISTORY"], !path.isEmpty { return path }
    guard let home = env["HOME"], !home.isEmpty else { return nil }
    return home + "/.qat_repl_history"
  }
}
