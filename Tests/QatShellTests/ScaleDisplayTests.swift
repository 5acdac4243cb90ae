import Foundation
import Testing

/// Quantization scales in tables print with four significant digits; the values keep every digit.
@Suite struct ScaleDisplayTests {
  @Test func scaleColumnsShowFourSignificantDigitsAndKeepTheirValues() {
    let s = CapturedSession()
    s.input("t = table([{layer: \"a\", scale: 0.019607843831181526, input_scale: 0.0013587996363639832}])")
    let shown = s.input("t")
    #expect(shown.contains("0.01961") && shown.contains("0.001359"), "\(shown)")
    #expect(!shown.contains("0.0196078"), "\(shown)")
    // The value itself is untouched.
    #expect(s.input("t.rows[0].scale == 0.019607843831181526") == "true\n")
    #expect(s.input("json(t)").contains("0.019607843831181526"))
  }

  @Test func aTableOfAnInspectionsChannelsShowsShortScales() throws {
    let dir = try TrainingOutputTests.tinyFolder()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let s = CapturedSession()
    s.input(
      "d = images(\"\(dir)\", split: 0.34)", "m = model(d) { flatten(); dense(2) }", "train(m, d, epochs: 1)",
      "q = quantize(m, d)")
    let shown = s.input("table(inspect(q, 1).channels)")
    let header = shown.split(separator: "\n").first ?? ""
    #expect(header.contains("scale"))
    // Every scale cell has at most four significant digits.
    let scales = shown.split(separator: "\n").dropFirst().map { line in line.split(separator: " ").map(String.init) }
      .compactMap { cells -> String? in cells.count > 3 ? cells[3] : nil }
    for scale in scales {
      #expect(scale.drop { $0 == "0" || $0 == "." }.count <= 4, "\(scale) in \(shown)")
    }
  }
}
