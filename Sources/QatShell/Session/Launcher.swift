import Foundation
import QatsLanguage

/// What the command line asked for, and the code that carries it out (kept out of the executable
/// so tests can drive it).
public enum Launcher {
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
    Interrupts.install()
    let title = options.script.map { ($0 as NSString).lastPathComponent } ?? "qat-repl session"
    let session = Session(
      options: SessionOptions(
        color: Terminal.colorEnabled(noColorFlag: options.noColor), width: Terminal.columns, seed: options.seed,
        title: title, progress: Terminal.drawsProgress, liveWidth: Terminal.stdoutIsTTY ? Terminal.currentColumns : nil)
    )
    if let threads = options.threads { session.interpreter.threads = threads }
    session.interpreter.interruptCheck = { Interrupts.isPending }

    var status = ExitStatus.success
    if let script = options.script {
      status = session.runScript(path: script)
      if status == .usage { return status }
    }
    if options.script == nil || options.interactive {
      if Terminal.isInteractive {
        ReadLoop.interactive(session, historyFile: historyFile())
        status = .success
      } else {
        let piped = ReadLoop.piped(session)
        if status == .success { status = piped }
      }
    }
    if let report = options.report {
      do {
        try ReportWriter.write(session.notebook, to: report, generator: Version.banner)
      } catch {
        FileHandle.standardError.write(Data("error: \(error)\n".utf8))
        if status == .success { status = .runtime }
      }
    }
    return status
  }

  /// `$QAT_REPL_HISTORY`, or `~/.qat_repl_history`.
  static func historyFile() -> String? {
    let env = ProcessInfo.processInfo.environment
    if let path = env["QAT_REPL_HISTORY"], !path.isEmpty { return path }
    guard let home = env["HOME"], !home.isEmpty else { return nil }
    return home + "/.qat_repl_history"
  }
}
