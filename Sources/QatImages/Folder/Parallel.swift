import Dispatch
import Synchronization

/// A pointer that several workers write through at distinct indices.
struct SharedBuffer<Element>: @unchecked Sendable {
  let base: UnsafeMutablePointer<Element>
}

/// Set once to tell the workers to take no more chunks.
final class StopFlag: Sendable {
  private let value = Atomic<Bool>(false)
  var isSet: Bool { value.load(ordering: .relaxed) }
  func set() { value.store(true, ordering: .relaxed) }
}

/// Runs work on up to `threads` cores. Work is split into fixed chunks assigned round-robin,
/// so which worker computes what never changes a result.
enum Parallel {
  /// How often the caller asks `isInterrupted` while the workers run.
  static let pollInterval = DispatchTimeInterval.milliseconds(20)

  /// Calls `body` for every index range of `0..<count` (chunks of `chunk`), on `threads` workers.
  /// `isInterrupted` is asked before the first chunk and then between chunks (every
  /// `pollInterval` while workers run): once it says so, no further chunk starts, and
  /// `LoadInterrupted` is thrown when the running ones have finished.
  static func forEachChunk(
    count: Int, chunk: Int = 64, threads: Int,
    isInterrupted: () -> Bool = { false },
    _ body: @Sendable (Range<Int>) -> Void
  ) throws(LoadInterrupted) {
    try forEachChunk(count: count, chunk: chunk, threads: threads, isInterrupted: isInterrupted) { range, _ in
      body(range)
    }
  }

  /// The same, for work long enough to stop inside a chunk: `body` also gets a `shouldStop` to ask
  /// (the workers' stop flag, or `isInterrupted` itself when the calling thread does the work).
  static func forEachChunk(
    count: Int, chunk: Int = 64, threads: Int,
    isInterrupted: () -> Bool = { false },
    _ body: @Sendable (Range<Int>, _ shouldStop: () -> Bool) -> Void
  ) throws(LoadInterrupted) {
    guard count > 0 else { return }
    if isInterrupted() { throw LoadInterrupted() }
    let chunk = max(1, chunk)
    let chunks = (count - 1) / chunk + 1
    let workers = max(1, min(threads, chunks))
    func range(_ c: Int) -> Range<Int> { (c * chunk)..<min(count, (c + 1) * chunk) }
    if workers == 1 {
      for c in 0..<chunks {
        if c > 0, isInterrupted() { throw LoadInterrupted() }
        // The caller's thread does the work, so it may ask `isInterrupted` itself.
        withoutActuallyEscaping(isInterrupted) { interrupted in body(range(c), interrupted) }
        if isInterrupted() { throw LoadInterrupted() }
      }
      return
    }
    // The workers run on the global queue and look only at `stop`; this thread waits for them,
    // asking `isInterrupted` (which need not be thread-safe) as it waits.
    let stop = StopFlag()
    let group = DispatchGroup()
    withoutActuallyEscaping(body) { body in
      for worker in 0..<workers {
        DispatchQueue.global().async(group: group) {
          var c = worker
          while c < chunks, !stop.isSet {
            body((c * chunk)..<min(count, (c + 1) * chunk)) { stop.isSet }
            c += workers
          }
        }
      }
      while group.wait(timeout: .now() + pollInterval) == .timedOut {
        if !stop.isSet, isInterrupted() { stop.set() }
      }
    }
    if stop.isSet { throw LoadInterrupted() }
  }
}
