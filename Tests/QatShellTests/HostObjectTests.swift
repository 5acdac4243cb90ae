import Foundation
import QatOutput
@testable import QatShell
import QatsLanguage
import Testing

/// A stand-in for the datasets and models of later issues: checks the plug-in contract
/// (summary on assignment, members, indexing, completion, JSON, and all three renderings).
final class FakeDataset: HostObject {
  var typeName: String { "dataset" }
  var summary: String { "12 images, 3 classes" }
  var memberNames: [String] { ["classes", "count", "train"] }
  func member(_ name: String) throws -> Value? {
    switch name {
    case "classes": return .list([.string("a"), .string("b"), .string("c")])
    case "count": return .int(12)
    case "train": return .record(Record([("count", .int(9))]))
    default: return nil
    }
  }
  func index(_ key: Value) throws -> Value? {
    if case .int(let i) = key, (0..<12).contains(i) { return .string("image \(i)") }
    return nil
  }
  func plainValue() -> Value? { .record(Record([("count", .int(12))])) }
  func render(_ format: RenderFormat) -> String {
    switch format {
    case .text: return "dataset: 12 images"
    case .markdown: return "| images |\n|---|\n| 12 |"
    case .html: return "<table><tr><td class=\"num\">12</td></tr></table>"
    }
  }
}

@Suite struct HostObjectTests {
  func session() -> CapturedSession {
    let s = CapturedSession()
    s.session.interpreter.registry.register(
      Builtin("fake_data", topic: "data", summary: "A fake dataset.", returns: "dataset") { _ in
        .object(FakeDataset())
      })
    return s
  }

  @Test func assignmentShowsTheOneLineSummaryAndValuesRenderThemselves() {
    let s = session()
    #expect(s.input("data = fake_data()") == "data: 12 images, 3 classes\n")
    #expect(s.input("data") == "dataset: 12 images\n")
    #expect(s.input("[data.count, data.train.count, data[3], type(data)]") == "[12, 9, \"image 3\", \"dataset\"]\n")
    #expect(s.input("json(data)") == "{\"count\":12}\n")
    #expect(
      s.input("data.clases").contains(
        "a dataset has no member `clases`\n  data.clases\n       ^\n  did you mean `classes`?"))
    #expect(s.input("data[99]").contains("a dataset cannot be indexed by int"))
  }

  @Test func completionAndVarsSeeHostObjects() {
    let s = session()
    s.input("data = fake_data()")
    #expect(s.session.memberNames(of: "data") == ["classes", "count", "train"])
    #expect(s.session.memberNames(of: "data.train") == ["count"])
    #expect(s.input(":vars") == "data  dataset  12 images, 3 classes\n")
  }

  @Test func reportsUseEachFormatsRendering() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let s = session()
    s.input("data = fake_data()", "data", ":export \(dir)/r.html", ":export \(dir)/r.md")
    let html = try String(contentsOfFile: dir + "/r.html", encoding: .utf8)
    let md = try String(contentsOfFile: dir + "/r.md", encoding: .utf8)
    #expect(html.contains("<td class=\"num\">12</td>"))
    #expect(md.contains("| images |\n|---|\n| 12 |"))
  }
}
