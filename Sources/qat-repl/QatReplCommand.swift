import QatSupport
import ArgumentParser
import Foundation
import QatShell

/// The command line: parse arguments, then hand over to QatShell.
@main
struct QatReplCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "qat-repl",
    abstract: "A notebook-style shell for learning and trying neural-network quantization.",
    discussion: """
      Without SCRIPT: an interactive session (or, with piped input, one cell per complete statement).
      Exit statuses: 0 success, 64 usage error, 65 syntax error, 70 runtime error, 130 interrupted.
      """,
    version: Version.banner)

  @Argument(help: "A .qats script to run.")
  var script: String?

  @Flag(name: .short, help: "Run the script, then stay interactive with its variables.")
  var interactive = false

  @Option(help: ArgumentHelp("Write the run as a notebook.", valueName: "PATH.html|PATH.md"))
  var report: String?

  @Option(help: "The random seed every random choice derives from.")
  var seed: UInt64 = 0

  @Option(help: "The session's thread limit, as threads(n) sets it (default: all cores, at most 64).")
  var threads: Int?

  @Flag(help: "Never use ANSI colour (NO_COLOR and TERM=dumb do the same).")
  var noColor = false

  func validate() throws {
    if let threads, threads < 1 || threads > Launcher.maxThreads {
      throw ValidationError("--threads must be between 1 and \(Launcher.maxThreads), got \(threads)")
    }
    // Checked before anything runs: a bad path is a usage error (64), not a failure after the script.
    if let report, let problem = Launcher.reportPathProblem(report) {
      throw ValidationError("--report: \(problem)")
    }
  }

  func run() throws {
    let status = Launcher.run(
      Launcher.Options(
        script: script, interactive: interactive, report: report, seed: seed, threads: threads, noColor: noColor))
    if status != .success { throw ExitCode(status.rawValue) }
  }
}
