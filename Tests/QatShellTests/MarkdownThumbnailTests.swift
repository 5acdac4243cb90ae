import Foundation
import QatImages
import QatShell
import Testing

/// Thumbnails in a Markdown report are PNG files beside it, linked with relative paths.
@Suite struct MarkdownThumbnailTests {
  let shapes = repoRoot.appendingPathComponent("samples/shapes").path

  @Test func markdownReportsWriteThumbnailsAsPNGFiles() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let s = CapturedSession()
    s.input("d = images(\"\(shapes)\")", "d", "show(d.test, n: 2)", "d.test[0]")
    #expect(s.input(":export \(dir)/r.md") == "exported 4 cells to \(dir)/r.md\n")
    let md = try String(contentsOfFile: dir + "/r.md", encoding: .utf8)
    let classes = ["circle", "cross", "square", "triangle"]
    // The dataset: its class table, then one thumbnail per class.
    let perClass = classes.enumerated().map { "![\($1)](r-figures/image-\($0 + 1).png)" }.joined(separator: " ")
    #expect(md.contains("| triangle | 240 | 60 |\n\nnormalized per channel"))
    #expect(md.contains("\n\n" + perClass + "\n\n"))
    let n = classes.count
    #expect(md.contains("test: 2 of 240 images\n\n![") && md.contains("](r-figures/image-\(n + 2).png)\n\n"))
    #expect(md.contains("test\\[0\\]: class circle"))
    #expect(md.contains("](r-figures/image-\(n + 3).png)\n"))
    #expect(!md.contains("█"))  // no text thumbnails left
    for k in 1...(n + 3) {
      let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: "\(dir)/r-figures/image-\(k).png")))
      let image = try PNGCodec.decode(data: bytes)
      // 16×16 shapes are enlarged 4× to 64 pixels, as the HTML report shows them.
      #expect(image.width == 64 && image.height == 64 && image.channels == 3)
    }
    #expect(!FileManager.default.fileExists(atPath: "\(dir)/r-figures/image-\(n + 4).png"))
    // A shorter report later removes the thumbnails it no longer links.
    s.input(":reset", "d = images(\"\(shapes)\")", "d.test[1]")
    #expect(s.input(":export! \(dir)/r.md") == "exported 2 cells to \(dir)/r.md\n")
    let names = try FileManager.default.contentsOfDirectory(atPath: dir + "/r-figures").sorted()
    #expect(names == ["image-1.png"])
    // Without a figure directory (rendering to a string) the text blocks remain.
    #expect(MarkdownReport.render(s.session.notebook, generator: "g").contains("█"))
  }
}
