/// The session's one thread limit, set by `threads(n)` or `--threads` and read by every built-in
/// that computes (loading images, training, evaluation, quantization, `compare`, `sweep`, …).
public enum ThreadLimit {
  /// The most threads a session may ask for: far above the cores of the machines this runs on,
  /// low enough that a typo cannot ask for thousands of threads.
  public static let maximum = 64
}

/// The thread counts compute steps were given since the log was last taken.
final class ThreadLog {
  var used: Set<Int> = []
}

extension Interpreter {
  static let threadLogKey = SessionKey<ThreadLog>("thread-log")

  /// The threads a compute step may use: the session's limit (1…`ThreadLimit.maximum`). Every
  /// engine call asks here rather than reading `threads`, so there is one limit and one place it
  /// is enforced; the answer is logged so a test can see which limit each path honoured.
  public func computeThreads() -> Int {
    let n = max(1, min(threads, ThreadLimit.maximum))
    sessionObject(Self.threadLogKey) { ThreadLog() }.used.insert(n)
    return n
  }

  /// The thread counts compute steps were given since the last call (and forgets them).
  public func takeComputeThreadCounts() -> Set<Int> {
    let log = sessionObject(Self.threadLogKey) { ThreadLog() }
    defer { log.used = [] }
    return log.used
  }
}
