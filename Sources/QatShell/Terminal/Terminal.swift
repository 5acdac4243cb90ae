import CLineEdit
import Foundation

/// Facts about the terminal the shell talks to.
public enum Terminal {
  /// Both stdin and stdout are terminals: use the line editor, prompts and redraws.
  /// Otherwise (piped, CI) read lines plainly and print no prompt and no escape codes.
  public static var isInteractive: Bool {
    qle_isatty(STDIN_FILENO) != 0 && stdoutIsTTY
  }

  /// A terminal on stdin and stderr but not on stdout (`qat-repl | tee log`): the line editor
  /// still runs, with its prompts on stderr, while outputs go plainly to the pipe.
  public static var promptsOnStandardError: Bool {
    qle_isatty(STDIN_FILENO) != 0 && !stdoutIsTTY && qle_isatty(STDERR_FILENO) != 0
  }

  /// stdout is a terminal, so escape codes and progress redraws are understood there.
  public static var stdoutIsTTY: Bool {
    qle_isatty(STDOUT_FILENO) != 0
  }

  /// The terminal's width in columns, or 80 when there is no terminal.
  public static var columns: Int {
    Int(qle_terminal_columns())
  }

  /// `columns` as a function, asked again before each output so a resized window is followed.
  @Sendable public static func currentColumns() -> Int { columns }

  /// Runs `body` with the terminal's echo of control characters off, so a Ctrl-C that stops
  /// a running cell does not leave `^C` in front of the "interrupted" message. Typed-ahead
  /// input is still echoed and kept. Does nothing when stdin is not a terminal.
  public static func withoutControlEcho<T>(_ body: () throws -> T) rethrows -> T {
    _ = qle_control_echo_off()
    defer { _ = qle_control_echo_restore() }
    return try body()
  }

  /// Whether to print colours: only on a terminal, never with `--no-color`, never when the
  /// environment sets `NO_COLOR` to anything non-empty (https://no-color.org), and never on a
  /// `TERM=dumb` terminal (Emacs shells, some CI logs), which shows escape codes as text.
  public static func colorEnabled(noColorFlag: Bool) -> Bool {
    colorEnabled(noColorFlag: noColorFlag, isTTY: stdoutIsTTY, environment: ProcessInfo.processInfo.environment)
  }

  /// The decision of `colorEnabled(noColorFlag:)` from its inputs.
  public static func colorEnabled(noColorFlag: Bool, isTTY: Bool, environment: [String: String]) -> Bool {
    guard !noColorFlag, isTTY, !isDumb(environment) else { return false }
    return (environment["NO_COLOR"] ?? "").isEmpty
  }

  /// `TERM=dumb`: a terminal that understands no escape codes (no colour, no redrawn progress lines).
  public static func isDumb(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
    environment["TERM"] == "dumb"
  }

  /// Progress lines are redrawn in place (carriage return and an erase-line code) only on a
  /// terminal that understands the codes.
  public static var drawsProgress: Bool { stdoutIsTTY && !isDumb() }
}
