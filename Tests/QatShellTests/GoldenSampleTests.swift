import Foundation
import Testing
import QatShell

/// Every `samples/*.qats` runs and prints exactly its golden output in Tests/QatShellTests/Golden
/// (QAT_UPDATE_GOLDEN=1 rewrites them). Timings vary, so `time: …` lines and durations such as
/// `106 ms` or `0.03 s`, and image rates such as `1.52 M img/s`, are masked (with the spaces that
/// align them, since their widths vary).
@Suite struct GoldenSampleTests {
  static var samples: [String] {
    let dir = repoRoot.appendingPathComponent("samples").path
    return ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasSuffix(".qats") }.sorted()
  }

  /// A duration or an image rate, with the spaces that right-align it in a table column.
  static let duration = try? NSRegularExpression(
    pattern: #" *\b\d+(\.\d+)? (ns|µs|ms|s|min|k img/s|M img/s|img/s)(?!\w)"#)

  static func masked(_ text: String) -> String {
    text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
      if line.hasPrefix("time: ") { return "time: <masked>" }
      let line = String(line)
      guard let duration else { return line }
      return duration.stringByReplacingMatches(
        in: line, range: NSRange(line.startIndex..., in: line), withTemplate: " <time>")
    }.joined(separator: "\n")
  }

  @Test(arguments: samples)
  func sampleMatchesGolden(_ name: String) throws {
    let previous = FileManager.default.currentDirectoryPath
    _ = FileManager.default.changeCurrentDirectoryPath(repoRoot.path)
    defer { _ = FileManager.default.changeCurrentDirectoryPath(previous) }
    let s = CapturedSession()
    let status = s.session.runScript(path: "samples/" + name)
    #expect(status == .success, "\(s.err)")
    let actual = Self.masked(s.out + s.err)
    let goldenPath = repoRoot.appendingPathComponent("Tests/QatShellTests/Golden/\(name).out").path
    if ProcessInfo.processInfo.environment["QAT_UPDATE_GOLDEN"] == "1" {
      try actual.write(toFile: goldenPath, atomically: true, encoding: .utf8)
      return
    }
    let expected = try String(contentsOfFile: goldenPath, encoding: .utf8)
    #expect(
      actual == expected, "run QAT_UPDATE_GOLDEN=1 swift test --filter GoldenSampleTests after checking the change")
  }

  @Test func everySampleHasAGoldenFile() {
    #expect(!Self.samples.isEmpty)
    for name in Self.samples {
      let path = repoRoot.appendingPathComponent("Tests/QatShellTests/Golden/\(name).out").path
      #expect(
        FileManager.default.fileExists(atPath: path) || ProcessInfo.processInfo.environment["QAT_UPDATE_GOLDEN"] == "1",
        "\(name)")
    }
  }
}
