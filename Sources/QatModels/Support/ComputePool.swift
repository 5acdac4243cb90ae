import QatEngine
import QatsLanguage

extension BuiltinCall {
  /// The worker pool for this call's engine work, sized by the session's one thread limit
  /// (`threads(n)`, `--threads`). Built-ins take their pool here, never from `WorkerPool.shared`
  /// with a number of their own, so the limit holds on every path.
  var workerPool: WorkerPool { WorkerPool.shared(threads: interpreter.computeThreads()) }
}
