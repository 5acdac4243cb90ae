import Foundation
import Synchronization

/// Persistent worker threads for the engine's parallel regions (one region per layer step of a
/// training batch, so the hand-off must cost about a microsecond, not a dispatch-queue round trip).
///
/// `run(tasks:)` hands out task indices dynamically; which thread runs a task never changes a
/// result, because each task writes only its own chunk's buffers and every reduction happens
/// afterwards in a fixed order.
public final class WorkerPool: @unchecked Sendable {
  /// Threads taking part, the caller included.
  public let threads: Int

  /// One word says which region is running, how many tasks it has and the next task to hand out:
  /// generation << 40 | tasks << 20 | next. A worker claims a task with a compare-and-swap on the
  /// whole word, so it can never claim a task of a region other than the one it saw.
  private let ticket = Atomic<UInt64>(0)
  private let finished = Atomic<Int>(0)
  private let sleepers = Atomic<Int>(0)
  private let wakeUp = DispatchSemaphore(value: 0)
  private let busy = Atomic<Bool>(false)
  // Written by the caller before the region's ticket is published; read only after a claim.
  nonisolated(unsafe) private var job: ((Int) -> Void)?
  private var generation: UInt64 = 0

  private static let fieldMask: UInt64 = (1 << 20) - 1

  public init(threads: Int) {
    self.threads = max(1, threads)
    for _ in 1..<self.threads {
      let thread = Thread { [unowned self] in self.workerLoop() }
      thread.stackSize = 1 << 20
      thread.start()
    }
  }

  /// Calls `body(i)` for every i in 0..<tasks, spread over the pool's threads; returns when all are done.
  /// When another caller is already using the pool (two sessions at once, nested regions), the
  /// tasks run on the calling thread instead: same results, since results never depend on threads.
  public func run(tasks: Int, _ body: (Int) -> Void) {
    if tasks <= 0 { return }
    if threads == 1 || tasks == 1 || tasks > Int(Self.fieldMask)
      || !busy.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged
    {
      for i in 0..<tasks { body(i) }
      return
    }
    defer { busy.store(false, ordering: .releasing) }
    withoutActuallyEscaping(body) { escapable in
      job = escapable
      finished.store(0, ordering: .sequentiallyConsistent)
      generation = (generation + 1) & ((1 << 24) - 1)
      ticket.store(generation << 40 | UInt64(tasks) << 20, ordering: .sequentiallyConsistent)
      let asleep = sleepers.load(ordering: .sequentiallyConsistent)
      for _ in 0..<min(asleep, threads - 1) { wakeUp.signal() }
      while let i = claim(generation: generation) {
        escapable(i)
        finished.add(1, ordering: .releasing)
      }
      // Wait for the workers' last tasks: spin briefly, then yield the core, which matters when
      // the machine is busy or there are more threads than cores.
      var spins = 0
      while finished.load(ordering: .acquiring) < tasks {
        spins += 1
        if spins > 2_000 { sched_yield() }
      }
      job = nil
    }
  }

  /// The next task of region `generation`, or nil when that region has none left.
  private func claim(generation wanted: UInt64) -> Int? {
    var current = ticket.load(ordering: .sequentiallyConsistent)
    while true {
      let gen = current >> 40, tasks = (current >> 20) & Self.fieldMask, next = current & Self.fieldMask
      if gen != wanted || next >= tasks { return nil }
      let (exchanged, original) = ticket.compareExchange(
        expected: current, desired: current + 1, ordering: .sequentiallyConsistent)
      if exchanged { return Int(next) }
      current = original
    }
  }

  private func workerLoop() {
    var seen = ticket.load(ordering: .sequentiallyConsistent) >> 40
    while true {
      var spins = 0
      var gen = ticket.load(ordering: .sequentiallyConsistent) >> 40
      while gen == seen {
        spins += 1
        if spins > 200_000 {
          // Idle for a while: sleep until the next region. Registering as a sleeper before the
          // second look means the caller either sees us asleep or we see its new ticket.
          sleepers.add(1, ordering: .sequentiallyConsistent)
          if ticket.load(ordering: .sequentiallyConsistent) >> 40 == seen { wakeUp.wait() }
          sleepers.subtract(1, ordering: .sequentiallyConsistent)
          spins = 0
        }
        gen = ticket.load(ordering: .sequentiallyConsistent) >> 40
      }
      seen = gen
      while let i = claim(generation: gen) {
        // A successful claim means the caller is inside `run` for this region, so `job` is set.
        job?(i)
        finished.add(1, ordering: .releasing)
      }
    }
  }

  /// One pool per thread count, shared by every network of the process. More threads than cores
  /// would only wait for each other, so the count is capped at the cores available (results do
  /// not depend on it either way).
  public static func shared(threads: Int) -> WorkerPool {
    let wanted = max(1, min(threads, ProcessInfo.processInfo.activeProcessorCount))
    return pools.withLock { pools in
      if let pool = pools[wanted] { return pool }
      let pool = WorkerPool(threads: wanted)
      pools[wanted] = pool
      return pool
    }
  }

  private static let pools = Mutex<[Int: WorkerPool]>([:])
}
