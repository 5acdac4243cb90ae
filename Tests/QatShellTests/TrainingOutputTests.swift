import Foundation
import QatOutput
import QatShell
import Testing

/// What training prints: epochs counted per run, long runs condensed, and progress lines that keep
/// the rate and the time left when cut to a narrow terminal.
@Suite struct TrainingOutputTests {
  /// Two classes of three digits each: an epoch of a one-layer net takes no time in a debug build.
  static func tinyFolder() throws -> String {
    let dir = try temporaryDirectory()
    let source = repoRoot.appendingPathComponent("samples/digits/train")
    for label in ["0", "1"] {
      let target = dir + "/" + label
      try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
      let files = try FileManager.default.contentsOfDirectory(atPath: source.appendingPathComponent(label).path)
      for name in files.sorted().prefix(3) {
        try FileManager.default.copyItem(
          atPath: source.appendingPathComponent(label).appendingPathComponent(name).path,
          toPath: target + "/" + name)
      }
    }
    return dir
  }

  static func epochLines(_ text: String) -> [String] {
    text.split(separator: "\n").map(String.init).filter { $0.hasPrefix("epoch ") }
  }

  @Test func eachTrainCallCountsItsOwnEpochsAndTheHistoryKeepsAbsoluteOnes() throws {
    let dir = try Self.tinyFolder()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let s = CapturedSession()
    s.input("d = images(\"\(dir)\", split: 0.34)", "m = model(d) { flatten(); dense(2) }", "train(m, d, epochs: 2)")
    let second = s.input("train(m, d, epochs: 3)")
    #expect(
      Self.epochLines(second).map { String($0.prefix(9)) } == ["epoch 1/3", "epoch 2/3", "epoch 3/3"], "\(second)")
    #expect(s.input("m.history.epochs") == "[1, 2, 3, 4, 5]\n")
  }

  @Test func qatFineTuningCountsItsOwnEpochs() throws {
    let dir = try Self.tinyFolder()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let s = CapturedSession()
    s.input("d = images(\"\(dir)\", split: 0.34)", "m = model(d) { flatten(); dense(2) }", "train(m, d, epochs: 4)")
    let out = s.input("q = quantize(m, d, method: \"qat\", epochs: 2)")
    #expect(Self.epochLines(out).map { String($0.prefix(9)) } == ["epoch 1/2", "epoch 2/2"], "\(out)")
  }

  @Test func longRunsPrintEveryKthEpochWithTheFirstAndTheLast() throws {
    let dir = try Self.tinyFolder()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let s = CapturedSession()
    s.input("d = images(\"\(dir)\", split: 0.34)", "m = model(d) { flatten(); dense(2) }")
    let out = s.input("train(m, d, epochs: 250, lr: 0.001)")
    let lines = Self.epochLines(out)
    // 250 epochs: every 5th (50 lines), plus epoch 1.
    #expect(lines.count == 51, "\(out)")
    #expect(lines.first?.hasPrefix("epoch   1/250") == true)
    #expect(lines.dropFirst().first?.hasPrefix("epoch   5/250") == true)
    #expect(lines.last?.hasPrefix("epoch 250/250") == true)
    let notes = out.split(separator: "\n").filter { $0.contains("printing every") }
    #expect(notes == ["250 epochs: printing every 5th epoch, the first and the last"])
    #expect(s.input("m.history.count") == "250\n")
    // A run of 100 epochs is listed in full, with no note.
    let full = s.input("train(m, d, epochs: 100, lr: 0.001)")
    #expect(Self.epochLines(full).count == 100)
    #expect(!full.contains("printing every"))
  }

  @Test func narrowProgressLinesKeepTheRateAndTheTimeLeft() {
    let line = ProgressLine(
      lead: "epoch 2/3", fraction: 0.5, details: ["batch 12/45", "loss 0.1234", "train 95.00 %"],
      essentials: ["12.3 k img/s", "ETA 3.2 s"])
    let full = "epoch 2/3 ━━━━━━━━━━──────────  batch 12/45  loss 0.1234  train 95.00 %  12.3 k img/s  ETA 3.2 s"
    #expect(line.fitted(to: 200) == full && line.text == full)
    // The bar shrinks before anything else goes.
    #expect(
      line.fitted(to: 90)
        == "epoch 2/3 ━━━━━━━───────  batch 12/45  loss 0.1234  train 95.00 %  12.3 k img/s  ETA 3.2 s")
    // Then the bar goes, then the details from the last.
    #expect(line.fitted(to: 60) == "epoch 2/3  batch 12/45  loss 0.1234  12.3 k img/s  ETA 3.2 s")
    #expect(line.fitted(to: 40) == "epoch 2/3  12.3 k img/s  ETA 3.2 s")
    // Last, the lead is cut from its start: the epoch count stays.
    #expect(line.fitted(to: 30) == "… 2/3  12.3 k img/s  ETA 3.2 s")
    let labelled = ProgressLine(
      lead: "sweep 4/4 · qat 4 bits · epoch 1/2", fraction: 1, essentials: ["39 k img/s", "ETA 1 s"])
    #expect(labelled.fitted(to: 45) == "… qat 4 bits · epoch 1/2  39 k img/s  ETA 1 s")
    for width in 1...130 {
      #expect(line.fitted(to: width).count <= width, "width \(width)")
    }
    #expect(ProgressLine(lead: "x", fraction: .nan).fitted(to: 40).hasPrefix("x "))
  }
}

/// On a terminal: a sweep's runs count their own epochs in the progress line, and a narrow
/// terminal still sees the rate and the time left.
@Suite struct TrainingProgressTerminalTests {
  @Test func sweepRunsCountTheirOwnEpochsAndNarrowLinesKeepTheETA() throws {
    let dir = try TrainingOutputTests.tinyFolder()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    var out = ""
    let session = Session(
      options: SessionOptions(color: false, width: 60, seed: 0, title: "t", progress: true, liveWidth: { 60 }),
      console: Console(out: { out += $0 }, err: { out += $0 }))
    for cell in [
      "d = images(\"\(dir)\", split: 0.34)", "m = model(d) { flatten(); dense(2) }", "train(m, d, epochs: 4)",
      "s = sweep(m, d, bits: [4], epochs: 2)",
    ] {
      session.runInput(cell)
    }
    let redraws = out.components(separatedBy: "\r\u{1B}[2K").dropFirst().filter { !$0.contains("\n") && !$0.isEmpty }
    let epochs = redraws.compactMap { line in line.range(of: "epoch ").map { String(line[$0.upperBound...].prefix(3)) }
    }
    // The train call's 4 epochs, then the sweep's runs of 2 (never epoch 5/6 of the history).
    #expect(Set(epochs).isSubset(of: ["1/4", "2/4", "3/4", "4/4", "1/2", "2/2"]), "\(redraws)")
    #expect(epochs.contains("1/2"), "\(redraws)")
    for line in redraws where line.contains("epoch ") {
      #expect(line.count < 60 && line.contains("img/s") && line.contains("ETA"), "\(line)")
    }
  }
}
