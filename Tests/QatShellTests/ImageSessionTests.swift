import Foundation
import Testing
import QatShell
import QatsLanguage

/// `images` and `show` as a user meets them: summaries, members, located errors, the session cache.
@Suite struct ImageSessionTests {
  let digits = repoRoot.appendingPathComponent("samples/digits").path
  let shapes = repoRoot.appendingPathComponent("samples/shapes").path

  @Test func sampleDigitsLoadWithTheirFixedSplit() {
    let s = CapturedSession()
    let out = s.input(
      "d = images(\"\(digits)\")", "d.count", "d.train.count", "d.test.count", "d.classes", "d.shape", "d.color",
      "len(d.skipped)")
    #expect(out.contains("d: 1797 PNG images, 10 classes, 8x8 gray · train 1437 / test 360 · "))
    #expect(
      out.contains(
        """
        \n1797\n1437\n360\n[\"0\", \"1\", \"2\", \"3\", \"4\", \"5\", \"6\", \"7\", \"8\", \"9\"]\n[1, 8, \
        8]\ngray\n0\n
        """
      ))
    #expect(
      s.input("d.test.counts")
        == """
        {\"0\": 36, \"1\": 36, \"2\": 35, \"3\": 37, \"4\": 36, \"5\": 37, \"6\": 36, \"7\": 36, \"8\": 35, \"9\": \
        36}\n
        """
    )
  }

  @Test func aScriptFindsItsImagesBesideItFromAnotherDirectory() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    // Laid out like the samples: `project/samples/x.qats` reads `images("samples/…")`, a path
    // relative to the project. The tests run from the repository root, which has no such folder.
    let folder = "samples/qat-script-images-\(getpid())"
    try FileManager.default.createDirectory(atPath: dir + "/samples", withIntermediateDirectories: false)
    try FileManager.default.createSymbolicLink(atPath: dir + "/" + folder, withDestinationPath: digits)
    let script = dir + "/samples/x.qats"
    try "d = images(\"\(folder)\")\nd.classes\n".write(toFile: script, atomically: false, encoding: .utf8)
    let s = CapturedSession()
    #expect(s.session.runScript(path: script) == .success, "\(s.err)")
    #expect(
      s.out.hasPrefix(
        "note: '\(folder)' is not in the working directory; using '\(dir)/\(folder)', found from the script's folder"),
      "\(s.out)")
    #expect(s.out.contains("[\"0\", \"1\""))
    // Outside the script, the same name is not found.
    #expect(s.input("images(\"\(folder)\")").contains("error"))
  }

  @Test func imagesAreIndexableAndInspectable() {
    let s = CapturedSession()
    s.input("d = images(\"\(digits)\")")
    #expect(s.input("d.test[0].class") == "0\n")
    #expect(s.input("d.test[-1].label") == "9\n")
    #expect(s.input("len(d.test[0].values)") == "64\n")
    // The file's samples come back after undoing the normalization: 0..16 scaled to 0..255.
    #expect(s.input("sort(d.test[5].pixels)[0]") == "0\n")
    let error = s.input("d.test[360]")
    #expect(error.contains("image 360 is out of range: the test split has 360 images (0 to 359)"))
    #expect(error.contains("^"))
  }

  @Test func shapesSplitIsSeededAndStratified() {
    let s = CapturedSession()
    s.input("a = images(\"\(shapes)\")", "b = images(\"\(shapes)\", seed: 0)", "c = images(\"\(shapes)\", seed: 5)")
    #expect(s.input("a.test.paths == b.test.paths") == "true\n")
    #expect(s.input("a.test.paths == c.test.paths") == "false\n")
    #expect(s.input("c.test.counts") == "{circle: 60, cross: 60, square: 60, triangle: 60}\n")
    #expect(s.input("images(\"\(shapes)\", split: 0.5).test.count") == "600\n")
  }

  @Test func theSessionCachesDatasetsAndResetForgetsThem() {
    let s = CapturedSession()
    #expect(!s.input("a = images(\"\(digits)\")").contains("(cached)"))
    #expect(s.input("b = images(\"\(digits)\")").contains("(cached)"))
    #expect(!s.input("c = images(\"\(digits)\", color: \"rgb\")").contains("(cached)"))
    s.input(":reset")
    #expect(!s.input("a = images(\"\(digits)\")").contains("(cached)"))
    // Another session has its own cache.
    #expect(!CapturedSession().input("a = images(\"\(digits)\")").contains("(cached)"))
  }

  @Test func argumentErrorsAreLocated() {
    let s = CapturedSession()
    let missing = s.input("images(\"no/such/folder\")")
    #expect(missing.contains("error: `images`: there is no folder at 'no/such/folder'"))
    #expect(missing.contains("  images(\"no/such/folder\")\n         ^"))
    #expect(
      s.input("images(\"\(repoRoot.path)/samples/digitz\")").contains("did you mean '\(repoRoot.path)/samples/digits'?")
    )
    let split = s.input("images(\"\(digits)\", split: 0.3)")
    #expect(split.contains("already has train/ and test/ folders, so `split` does not apply"))
    #expect(s.input("images(\"\(shapes)\", split: 1.5)").contains("`split` must lie strictly between 0 and 1, got 1.5"))
    #expect(s.input("images(\"\(shapes)\", size: [8])").contains("`size` must be one number or [height, width]"))
    #expect(s.input("images(\"\(shapes)\", size: 0)").contains("`size` must be"))
    #expect(s.input("images(\"\(shapes)\", color: \"grey\")").contains("did you mean \"gray\"?"))
    #expect(s.input("show(3)").contains("`images` must be a dataset or a split or an image, got 3"))
    // The session goes on.
    #expect(s.input("1 + 1") == "2\n")
  }

  @Test func skippedFilesAreCountedAndListed() throws {
    let root = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: root) }
    for c in ["a", "b"] {
      try FileManager.default.createDirectory(atPath: root + "/" + c, withIntermediateDirectories: true)
      for i in 0..<3 {
        try FileManager.default.copyItem(
          atPath: digits + "/train/\(c == "a" ? 0 : 1)/" + (try firstFiles(c == "a" ? 0 : 1)[i]),
          toPath: root + "/\(c)/\(i).png")
      }
    }
    try Data("not an image".utf8).write(to: URL(fileURLWithPath: root + "/a/readme.txt"))
    let s = CapturedSession()
    let out = s.input("d = images(\"\(root)\")")
    #expect(out.contains("warning: 1 file skipped (not PNG or damaged); `.skipped` lists each with its reason"))
    #expect(out.contains("· 1 skipped"))
    #expect(s.input("d.skipped[0].reason") == "not a PNG file (the first bytes are not the PNG signature)\n")
  }

  func firstFiles(_ digit: Int) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: digits + "/train/\(digit)").sorted()
  }

  @Test func showDrawsAGridWithLabels() {
    let s = CapturedSession()
    s.input("d = images(\"\(digits)\")")
    let out = s.input("show(d.test, n: 4)")
    #expect(out.hasPrefix("test: 4 of 360 images\n"))
    #expect(out.contains("█"))
    #expect(!out.contains("\u{1B}"))  // no colour when not on a TTY
    #expect(out.contains("\n0                 2                 5                 7\n"))
  }

  @Test func reportsEmbedImagesAndTables() throws {
    let s = CapturedSession()
    s.input("d = images(\"\(shapes)\")", "d", "show(d, n: 3)")
    let html = HTMLReport.render(s.session.notebook, generator: "test")
    #expect(html.contains("<img alt=\"\" src=\"data:image/png;base64,"))
    #expect(html.contains("<td class=\"num\">240</td>"))
    let markdown = MarkdownReport.render(s.session.notebook, generator: "test")
    #expect(markdown.contains("| circle | 240 | 60 |"))
  }

  @Test func showWritesTheGridAsAPNG() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let s = CapturedSession()
    s.input("d = images(\"\(shapes)\")")
    let out = s.input("show(d, n: 3, path: \"\(dir)/grid.png\")")
    // Three 16x16 images enlarged twice to 32x32, with 2-pixel gaps: 3*32 + 4*2 = 104 by 36.
    #expect(out.contains("wrote \(dir)/grid.png (104x36, "))
    let data = try [UInt8](Data(contentsOf: URL(fileURLWithPath: dir + "/grid.png")))
    #expect(data.prefix(4) == [0x89, 0x50, 0x4E, 0x47])
    let bad = s.input("show(d, path: \"\(dir)/missing/grid.png\")")
    #expect(bad.contains("the directory '\(dir)/missing' does not exist"))
    #expect(!bad.contains("█"))  // nothing drawn before the error
    #expect(s.input("show(d, path: \"\(dir)/grid.jpg\")").contains("`path` must name a .png file"))
  }
}
