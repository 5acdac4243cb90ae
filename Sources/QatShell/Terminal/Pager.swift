import CLineEdit
import Foundation

/// Shows text taller than the terminal through a pager (`$PAGER`, else `less -R`), as `git` and
/// `man` do, so long help does not scroll its first lines away. Only an interactive session gets
/// one (`Pager.forTerminal`); scripts, pipes, tests and `TERM=dumb` print as before.
public struct Pager: Sendable {
  /// The shell command that reads the text on its standard input.
  public let command: String
  /// The terminal's current height in rows.
  let rows: @Sendable () -> Int

  public init(command: String, rows: @escaping @Sendable () -> Int) {
    self.command = command
    self.rows = rows
  }

  /// The pager for this process's terminal, or nil when output must not be paged.
  public static func forTerminal() -> Pager? {
    let interactive = qle_isatty(STDIN_FILENO) != 0 && qle_isatty(STDOUT_FILENO) != 0
    guard let command = command(environment: ProcessInfo.processInfo.environment, interactive: interactive) else {
      return nil
    }
    return Pager(command: command, rows: { Int(qle_terminal_rows()) })
  }

  /// The pager command, or nil: none unless stdin and stdout are a terminal that understands
  /// escape codes (`less` on `TERM=dumb` cannot draw its screen); `$PAGER` when set and not
  /// blank, else `less -R` (`-R` keeps colour codes as colour).
  public static func command(environment: [String: String], interactive: Bool) -> String? {
    guard interactive, environment["TERM"] != "dumb" else { return nil }
    if let pager = environment["PAGER"], !pager.trimmingCharacters(in: .whitespaces).isEmpty { return pager }
    return "less -R"
  }

  /// Whether `text` needs paging: more lines than the terminal has rows below the prompt line.
  public func needsPaging(_ text: String) -> Bool {
    var lines = 1
    for byte in text.utf8 where byte == UInt8(ascii: "\n") { lines += 1 }
    return lines >= max(2, rows())
  }

  /// Runs the pager with `text` on its standard input and waits for it to end. Returns false
  /// when it could not start (no `/bin/sh`, or the shell found no such command: status 126 or
  /// 127), so the caller prints the text instead.
  public func show(_ text: String) -> Bool {
    var ends: [Int32] = [0, 0]
    guard pipe(&ends) == 0 else { return false }
    let (readEnd, writeEnd) = (ends[0], ends[1])
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, readEnd, 0)
    posix_spawn_file_actions_addclose(&actions, readEnd)
    posix_spawn_file_actions_addclose(&actions, writeEnd)
    // The pager starts with no blocked signals and default handling of SIGPIPE and SIGINT,
    // whatever this process does with them.
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var noSignals = sigset_t()
    sigemptyset(&noSignals)
    posix_spawnattr_setsigmask(&attributes, &noSignals)
    var defaults = sigset_t()
    sigemptyset(&defaults)
    sigaddset(&defaults, SIGPIPE)
    sigaddset(&defaults, SIGINT)
    posix_spawnattr_setsigdefault(&attributes, &defaults)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
    let words: [String] = ["/bin/sh", "-c", command]
    let argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    var pid: pid_t = 0
    let spawned = posix_spawn(&pid, "/bin/sh", &actions, &attributes, argv, environ)
    close(readEnd)
    guard spawned == 0 else {
      close(writeEnd)
      return false
    }
    // A pager quit before reading everything closes the pipe: the write fails with EPIPE
    // instead of the signal ending this process.
    let previous = signal(SIGPIPE, SIG_IGN)
    writeAll(Array(text.utf8) + [UInt8(ascii: "\n")], to: writeEnd)
    close(writeEnd)
    signal(SIGPIPE, previous)
    var status: Int32 = 0
    while waitpid(pid, &status, 0) == -1, errno == EINTR {}
    // Ctrl-C inside the pager reached this process too; it must not stop the next cell.
    Interrupts.clear()
    let exited = (status & 0x7f) == 0
    let code = (status >> 8) & 0xff
    return !(exited && (code == 126 || code == 127))
  }

  /// Writes every byte unless the reader goes away.
  private func writeAll(_ bytes: [UInt8], to descriptor: Int32) {
    bytes.withUnsafeBytes { buffer in
      guard let base = buffer.baseAddress else { return }
      var offset = 0
      while offset < buffer.count {
        let written = write(descriptor, base + offset, buffer.count - offset)
        if written < 0 {
          if errno == EINTR { continue }
          return
        }
        offset += written
      }
    }
  }
}
