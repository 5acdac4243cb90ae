import Foundation

/// Runs work on a thread with a large stack and waits for it.
///
/// The evaluator recurses over the syntax tree and over values (printing, comparing and freeing a
/// list nested a hundred thousand levels deep all recurse), and the calling thread may have a
/// small stack (test runners, dispatch workers). Reserving 1 GiB of address space costs nothing
/// until pages are touched, and turns would-be stack overflows into "takes long"/"too deep" errors.
public enum LargeStack {
  /// Bytes of stack for the worker thread.
  public static let size = 1 << 30

  private final class Job: @unchecked Sendable {
    var body: () -> Void
    init(_ body: @escaping () -> Void) { self.body = body }
  }

  /// Runs `body` on a large-stack thread and returns its result (or rethrows its error).
  /// Falls back to the current thread if a thread cannot be created.
  public static func run<T>(_ body: () throws -> T) rethrows -> T {
    try withoutActuallyEscaping(body) { body in
      var attributes = pthread_attr_t()
      pthread_attr_init(&attributes)
      defer { pthread_attr_destroy(&attributes) }
      pthread_attr_setstacksize(&attributes, size)
      var result: Result<T, Error>?
      let job = Job { result = Result { try body() } }
      var thread = pthread_t()
      let unmanaged = Unmanaged.passRetained(job)
      let created = pthread_create(
        &thread, &attributes,
        { raw in
          guard let raw else { return nil }
          Unmanaged<Job>.fromOpaque(raw).takeRetainedValue().body()
          return nil
        }, unmanaged.toOpaque())
      guard created == 0 else {
        unmanaged.release()
        return try body()
      }
      pthread_join(thread, nil)
      // The joined thread always ran the job, so `result` is set; the fallback never re-runs work.
      guard let result else { throw NotRun() }
      return try result.get()
    }
  }

  /// Only thrown if a joined thread somehow did not run its job.
  struct NotRun: Error {}
}
