import Foundation
import QatShell
import QatsLanguage

/// A session whose stdout and stderr are captured.
final class CapturedSession {
  var out = ""
  var err = ""
  lazy var session: Session = Session(
    options: SessionOptions(color: false, width: 100, seed: 0, title: "test"),
    console: Console(out: { [unowned self] in self.out += $0 }, err: { [unowned self] in self.err += $0 }))

  /// A session with the digits as `d` and a small net trained briefly as `net` (debug builds are
  /// slow): one conv block and a dense layer.
  static func smallTrainedNet(digits: String) -> CapturedSession {
    let s = CapturedSession()
    s.input(
      "d = images(\"\(digits)\")",
      "net = model(d) { conv(8, kernel: 3, pad: 1); batchnorm(); relu(); maxpool(2); flatten(); dense(10) }",
      "train(net, d, epochs: 2)")
    return s
  }

  /// Runs `cell` twice: once counting how often it asks whether Ctrl-C is pending, then again with
  /// Ctrl-C pending from that last check on (the interrupt as late as the cell can see it). Returns
  /// the second run's output and the number of checks; later cells run uninterrupted.
  func inputInterruptedAtLastCheck(_ cell: String) -> (output: String, checks: Int) {
    nonisolated(unsafe) var asked = 0
    session.interpreter.interruptCheck = {
      asked += 1
      return false
    }
    input(cell)
    let checks = asked
    asked = 0
    session.interpreter.interruptCheck = {
      asked += 1
      return asked >= checks
    }
    let output = input(cell)
    session.interpreter.interruptCheck = { false }
    return (output, checks)
  }

  /// Runs inputs as separate cells; returns stdout+stderr produced.
  @discardableResult
  func input(_ cells: String...) -> String {
    let before = (out.count, err.count)
    for c in cells { session.runInput(c) }
    return String(out.dropFirst(before.0)) + String(err.dropFirst(before.1))
  }
}

/// The repository root, found from this file's path.
let repoRoot: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
  .deletingLastPathComponent()

/// A fresh temporary directory, removed by the caller.
func temporaryDirectory() throws -> String {
  let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
    "qat-shell-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
  ).path
  try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
  return dir
}
