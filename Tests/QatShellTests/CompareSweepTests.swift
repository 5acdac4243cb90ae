import Foundation
import Testing
import QatShell
import QatsLanguage

/// `compare` and `sweep` as a user meets them: the rows and keys of SPEC §10, Δ against the first
/// model, the fp32 control, the chart and notes, and the errors.
@Suite struct CompareSweepTests {
  let digits = repoRoot.appendingPathComponent("samples/digits").path

  @Test func compareReturnsATableWithTheContractKeys() throws {
    let s = CapturedSession.smallTrainedNet(digits: digits)
    s.input("q8 = quantize(net, d, bits: 8)", "q2 = quantize(net, d, bits: 2)")
    let assigned = s.input("t = compare(net, q8, q2, on: d)")
    #expect(
      assigned == "t: table: 3 rows × 9 columns (model, method, bits, accuracy, delta, images, …)\n", "\(assigned)")
    #expect(
      s.input("t.model", "t.method", "t.bits")
        == "[\"net\", \"q8\", \"q2\"]\n[\"fp32\", \"ptq\", \"ptq\"]\n[32, 8, 2]\n")
    // Δ is against the first model, as a fraction and as a count of test images.
    #expect(
      s.input(
        "t[1].accuracy - t[0].accuracy == t[1].delta", "t[0].delta == nil", "t[2].images == round(t[2].delta * 360)")
        == "true\ntrue\ntrue\n")
    #expect(
      s.input("t[1].accuracy == q8.accuracy", "t[1].size_bytes == q8.size", "t[0].size_bytes == net.size")
        == "true\ntrue\ntrue\n")
    #expect(s.input("t[1].latency_us > 0 and t[1].throughput > 0") == "true\n")
    // json: a list of records with exactly the keys of SPEC §10 (plus `images`).
    let json = s.input("json(t[0])")
    for key in ["model", "method", "bits", "accuracy", "delta", "latency_us", "throughput", "size_bytes"] {
      #expect(json.contains("\"\(key)\":"), "\(key) in \(json)")
    }
    let shown = s.input("t")
    #expect(
      shown.contains("  model  method  bits  accuracy  Δ vs net  Δ images  latency b=1  throughput b=256"), "\(shown)")
    #expect(shown.contains("360 test images · latency: batch 1, 1 thread"))
    // write(t, "x.csv") writes the same rows.
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    s.input("write(t, \"\(dir)/t.csv\")")
    let csv = try String(contentsOfFile: dir + "/t.csv", encoding: .utf8)
    #expect(
      csv.hasPrefix("model,method,bits,accuracy,delta,images,latency_us,throughput,size_bytes\nnet,fp32,32,"), "\(csv)")
    #expect(csv.split(separator: "\n").count == 4)
  }

  @Test func compareWithoutTimingAndItsErrors() {
    let s = CapturedSession.smallTrainedNet(digits: digits)
    #expect(
      s.input("compare(net, net, on: d.test, timing: false).columns")
        == "[\"model\", \"method\", \"bits\", \"accuracy\", \"delta\", \"images\", \"size_bytes\"]\n")
    #expect(s.input("compare(net, quantize(net, d), on: d, timing: false).model") == "[\"net\", \"model 2\"]\n")
    let missing = s.input("compare(net)")
    #expect(missing.contains(":1:8: error: `compare`: say which images to measure on with `on:`"), "\(missing)")
    let wrong = s.input("compare(net, 3, on: d)")
    #expect(wrong.contains("`models` must each be a model, got 3"), "\(wrong)")
    s.input("other = images(\"\(digits)\", size: 4)")
    let shape = s.input("compare(net, on: other)")
    #expect(shape.contains("the model takes [1, 8, 8] images but these are [1, 4, 4]"), "\(shape)")
  }

  @Test func sweepHasTheControlTheMethodsAndAChart() {
    let s = CapturedSession.smallTrainedNet(digits: digits)
    let before = s.input("evaluate(net, d).accuracy")
    let line = s.input("t = sweep(net, d, bits: [8, 2], epochs: 1, timing: false)")
    #expect(line == "t: table: 6 rows × 6 columns (method, bits, accuracy, delta, images, size_bytes)\n", "\(line)")
    #expect(
      s.input("t.method", "t.bits")
        == "[\"fp32\", \"fp32 +1 epochs\", \"ptq\", \"qat\", \"ptq\", \"qat\"]\n[32, 32, 8, 8, 2, 2]\n")
    #expect(s.input("t[0].accuracy") == before, "the fp32 row is the untouched net")
    #expect(s.input("evaluate(net, d).accuracy") == before, "the fp32 net stays untouched")
    // The same PTQ as quantize's, so the same accuracy and size.
    s.input("q = quantize(net, d, method: ptq, bits: 2)")
    #expect(s.input("t[4].accuracy == q.accuracy", "t[4].size_bytes == q.size") == "true\ntrue\n")
    #expect(s.input("t[5].images == t[5].correct - t[0].correct") == "true\n")
    let shown = s.input("t")
    #expect(shown.contains("QAT − PTQ in test images: 8 bits "), "\(shown)")
    #expect(shown.contains("QAT: 1 epochs at lr 0.01; the fp32 control trains as long"))
    #expect(!shown.contains("epoch 1/1"), "a sweep does not list its training epochs")
    let weights = s.input("sweep(net, d, bits: [4], methods: [ptq], weights_only: true, timing: false).method")
    #expect(weights == "[\"fp32\", \"fp32 +3 epochs\", \"ptq\"]\n", "\(weights)")
  }

  /// Ctrl-C in the last run (QAT's fine-tuning at 2 bits) keeps the finished rows: the table is
  /// returned with a note, and the message names what was kept.
  @Test func anInterruptedSweepReturnsTheRowsItFinished() {
    let s = CapturedSession.smallTrainedNet(digits: digits)
    let out = s.inputInterruptedAtLastCheck("t = sweep(net, d, bits: [8, 2], epochs: 1, timing: false)").output
    #expect(out.contains("interrupted: sweep stopped by Ctrl-C after 5 of 6 runs; the table keeps the 5"), "\(out)")
    #expect(s.input("t.method") == "[\"fp32\", \"fp32 +1 epochs\", \"ptq\", \"qat\", \"ptq\"]\n")
    let shown = s.input("t")
    #expect(shown.contains("stopped by Ctrl-C after 5 of 6 runs"), "\(shown)")
    #expect(shown.contains("QAT − PTQ in test images: 8 bits "), "\(shown)")
    #expect(!shown.contains("2 bits +"), "no difference for a width whose QAT run did not finish")
  }

  @Test func sweepErrorsAreLocated() {
    let s = CapturedSession.smallTrainedNet(digits: digits)
    #expect(s.input("sweep(net, d, bits: [8, 9])").contains("every bit width must be between 2 and 8, got 9"))
    #expect(s.input("sweep(net, d, bits: [])").contains("`bits` is empty"))
    #expect(
      s.input("sweep(net, d, methods: [\"fp16\"])").contains(
        "`methods` must be a list of items that are each one of \"ptq\", \"qat\""))
    #expect(s.input("sweep(net, d.test)").contains("`data` must be a dataset, got a split"))
    s.input("q = quantize(net, d)")
    #expect(
      s.input("sweep(q, d)").contains(
        "this model is already quantized (ptq, 8-bit); quantizing it again would quantize twice"))
  }
}
