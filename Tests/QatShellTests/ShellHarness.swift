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

  /// Runs inputs as separate cells; returns stdout+stderr produced.
  @discardableResult
  func input(_ cells: String...) -> String {
    let before = (out.count, err.count)
    for c in cells { session.runInput(c) }
    return String(out.dropFirst(before.0)) + String(err.dropFirst(before.1))
  }
}

/// The repository root, found from this file's path.
let repoRoot: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// A fresh temporary directory, removed by the caller.
func temporaryDirectory() throws -> String {
  let dir = FileManager.default.temporaryDirectory.appendingPathComponent("qat-shell-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
  try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
  return dir
}
