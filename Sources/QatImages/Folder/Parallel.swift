import Dispatch

/// A pointer that several workers write through at distinct indices.
struct SharedBuffer<Element>: @unchecked Sendable {
  let base: UnsafeMutablePointer<Element>
}

/// Runs work on up to `threads` cores. Work is split into fixed chunks assigned round-robin,
/// so which worker computes what never changes a result.
enum Parallel {
  /// Calls `body` for every index range of `0..<count` (chunks of `chunk`), on `threads` workers.
  /// Between waves of chunks it asks `isInterrupted` and throws `LoadInterrupted` if it says so.
  static func forEachChunk(
    count: Int, chunk: Int = 64, threads: Int,
    isInterrupted: () -> Bool = { false },
    _ body: @Sendable (Range<Int>) -> Void
  ) throws(LoadInterrupted) {
    guard count > 0 else { return }
    let chunk = max(1, chunk)
    let workers = max(1, min(threads, (count + chunk - 1) / chunk))
    // A wave is a few thousand items: small enough that Ctrl-C answers quickly.
    let wave = max(chunk * workers, 4_096)
    var start = 0
    while start < count {
      if isInterrupted() { throw LoadInterrupted() }
      let end = min(count, start + wave)
      let chunks = (end - start + chunk - 1) / chunk
      let waveStart = start
      if workers == 1 {
        for c in 0..<chunks { body((waveStart + c * chunk)..<min(end, waveStart + (c + 1) * chunk)) }
      } else {
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
          var c = worker
          while c < chunks {
            body((waveStart + c * chunk)..<min(end, waveStart + (c + 1) * chunk))
            c += workers
          }
        }
      }
      start = end
    }
  }
}
