import CLineEdit

/// Ctrl-C as a flag: the signal handler only records it, and long computations poll
/// `isPending` at safe points (the interpreter gets `{ Interrupts.isPending }`).
public enum Interrupts {
  /// Installs the SIGINT handler. Idempotent; call it once at start-up, before any
  /// computation. Afterwards Ctrl-C no longer kills the process: it sets the flag, and a
  /// blocked terminal read returns early (the handler does not ask for SA_RESTART).
  public static func install() {
    _ = qle_install_sigint_handler()
  }

  /// Whether Ctrl-C arrived since the last `clear()`. Safe from any thread.
  public static var isPending: Bool {
    qle_interrupt_pending() != 0
  }

  /// Forgets a pending Ctrl-C, once it has been acted on.
  public static func clear() {
    qle_clear_interrupt()
  }
}
