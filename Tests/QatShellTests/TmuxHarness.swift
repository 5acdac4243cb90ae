import Foundation

/// `qat-repl` (the debug build) in a detached tmux session on a private server, driven by
/// `send-keys` and read by `capture-pane`: how the terminal tests see what a user sees.
///
/// `TmuxShell.start` returns nil when tmux or the binary is missing, and the tests that use it
/// are skipped (`.enabled(if: TmuxShell.isAvailable)`); CI installs tmux.
final class TmuxShell {
  /// The built `qat-repl` beside the test bundle.
  static let binary = repoRoot.appendingPathComponent(".build/debug/qat-repl").path

  /// The tmux executable, found on `PATH`, or nil.
  static let tmux: String? = {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    return path.split(separator: ":").map { "\($0)/tmux" }.first { FileManager.default.isExecutableFile(atPath: $0) }
  }()

  /// True when both tmux and the binary exist.
  static var isAvailable: Bool { tmux != nil && FileManager.default.isExecutableFile(atPath: binary) }

  private let tmux: String
  private let socket: String
  let directory: String

  /// Starts `qat-repl ARGUMENTS` in a `width`×30 terminal with a history file in a fresh
  /// directory (written beforehand with `history`, one entry per line) and waits for the prompt.
  static func start(
    _ arguments: [String] = [], history: [String] = [], environment: [String: String] = [:], width: Int = 100
  ) throws -> TmuxShell? {
    guard let tmux, isAvailable else { return nil }
    let shell = TmuxShell(tmux: tmux, directory: try temporaryDirectory())
    let historyFile = shell.directory + "/history"
    if !history.isEmpty {
      // libedit's file format: a header, then one entry per line with blanks escaped.
      let lines = history.map { $0.replacingOccurrences(of: " ", with: "\\040") }
      try (["_HiStOrY_V2_"] + lines).joined(separator: "\n").appending("\n")
        .write(toFile: historyFile, atomically: true, encoding: .utf8)
    }
    var variables = ["QAT_REPL_HISTORY": historyFile, "TERM": "xterm", "PAGER": "cat"]
    variables.merge(environment) { $1 }
    let env = variables.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
    let command = (["env", "-u", "NO_COLOR"] + env + [binary] + arguments).map(Self.quote).joined(separator: " ")
    try shell.run([
      "new-session", "-d", "-s", "qat", "-x", "\(width)", "-y", "30", "-c", shell.directory, command,
    ])
    _ = shell.waitFor("ptq>")  // capture-pane drops trailing blanks
    return shell
  }

  private init(tmux: String, directory: String) {
    self.tmux = tmux
    self.directory = directory
    socket = "qat-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
  }

  deinit {
    _ = try? run(["kill-server"])
    try? FileManager.default.removeItem(atPath: directory)
  }

  /// Types `keys` (tmux key names such as `Up`, `Tab`, `C-d`, or literal text with `literal`).
  func send(_ keys: String..., literal: Bool = false) {
    _ = try? run(["send-keys", "-t", "qat"] + (literal ? ["-l"] : []) + keys)
  }

  /// The visible screen, trailing blank lines dropped.
  func screen() -> String {
    let text = (try? run(["capture-pane", "-p", "-t", "qat"])) ?? ""
    return text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
      .reversed().drop { $0.trimmingCharacters(in: .whitespaces).isEmpty }.reversed().joined(separator: "\n")
  }

  /// The screen's last non-blank line.
  var lastLine: String { screen().split(separator: "\n").last.map(String.init) ?? "" }

  /// Waits (up to `seconds`) until the screen satisfies `condition`; returns the screen.
  @discardableResult
  func waitUntil(seconds: Double = 10, _ condition: (String) -> Bool) -> String {
    let deadline = Date().addingTimeInterval(seconds)
    var text = screen()
    while !condition(text), Date() < deadline {
      usleep(50_000)
      text = screen()
    }
    return text
  }

  /// Waits until the screen contains `text`.
  @discardableResult
  func waitFor(_ text: String, seconds: Double = 10) -> String { waitUntil(seconds: seconds) { $0.contains(text) } }

  /// Whether the program has ended (its pane is gone or dead).
  var hasExited: Bool {
    // With the program gone tmux closes the session, and list-panes answers nothing.
    guard let panes = try? run(["list-panes", "-t", "qat", "-F", "#{pane_dead}"]) else { return true }
    return panes.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty || panes.contains("1")
  }

  /// Runs a tmux command and returns what it printed. Spawned and awaited directly, output
  /// through a file: Foundation's `Process` could wait forever for the client that starts the
  /// server, which lives on as a daemon.
  @discardableResult
  private func run(_ arguments: [String]) throws -> String {
    let outputPath = directory + "/tmux-output"
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    let argv = [tmux, "-L", socket, "-f", "/dev/null"] + arguments
    let cArguments: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
    defer { cArguments.forEach { free($0) } }
    // The test runner's threads block most signals and a spawned process inherits the mask: the
    // tmux server would never see its child exit nor a request to stop. Start it with none blocked.
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var noSignals = sigset_t()
    sigemptyset(&noSignals)
    posix_spawnattr_setsigmask(&attributes, &noSignals)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))
    var pid: pid_t = 0
    let spawned = posix_spawn(&pid, tmux, &actions, &attributes, cArguments, environ)
    guard spawned == 0 else { throw POSIXError(POSIXErrorCode(rawValue: spawned) ?? .EIO) }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) == -1, errno == EINTR {}
    return (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
  }

  private static func quote(_ word: String) -> String { "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'" }
}
