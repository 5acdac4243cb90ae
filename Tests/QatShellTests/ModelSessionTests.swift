import Foundation
import Testing
import QatShell
import QatsLanguage

/// `model { … }`, the layers, `train`, `evaluate`, `predict`, `copy` and `threads` as a user meets
/// them: summaries, shape errors located at the layer, training that learns, determinism.
@Suite struct ModelSessionTests {
  let digits = repoRoot.appendingPathComponent("samples/digits").path

  static let netA = """
    net = model(d) {
      conv(16, kernel: 3, pad: 1); batchnorm(); relu(); maxpool(2)
      conv(32, kernel: 3, pad: 1); batchnorm(); relu(); maxpool(2)
      flatten(); dense(10)
    }
    """

  /// A layer value outlives its model variable: reassigning the model used to leave the layer
  /// pointing at a destroyed network, and showing it crashed the process (found by fuzzing).
  @Test func aLayerOutlivesTheModelItCameFrom() {
    let s = CapturedSession()
    _ = s.input("d = images(\"\(digits)\")", Self.netA)
    _ = s.input("bn = net.layers[1]", "net = 0")
    #expect(s.input("bn").contains("batchnorm() → [16, 8, 8]"))
    #expect(s.input(":vars").contains("bn"))
  }

  @Test func netAHasTheDocumentedSizeAndSummary() {
    let s = CapturedSession()
    let out = s.input("d = images(\"\(digits)\")", Self.netA)
    #expect(out.contains("net: 10 layers · 6,186 parameters · 25.6 KB file · input 1x8x8"), "\(out)")
    let summary = s.input("summary(net)")
    #expect(summary.contains("  4  conv(32, kernel: 3, pad: 1)  [32, 4, 4]       4,640"))
    #expect(summary.contains("     total                        [10]             6,186"))
    #expect(
      s.input("net.layers[0].weight_shape", "len(net.layers[0].weights)", "net.layers[8].output", "net.input")
        == "[16, 1, 3, 3]\n144\n[128]\n[1, 8, 8]\n")
    // Tensors: PyTorch-order weights with their shape, statistics and slices.
    #expect(s.input("w = net.layers[0].weight").hasPrefix("w: tensor [16, 1, 3, 3] · 144 values · min "))
    #expect(
      s.input(
        "w.shape", "w[15].shape", "w[0][0][2][2] == net.layers[0].weights[8]",
        "w.count", "net.layers[1].gamma.values[0]", "net.layers[1].running_var.shape")
        == "[16, 1, 3, 3]\n[1, 3, 3]\ntrue\n144\n1.0\n[16]\n")
    // Kaiming-uniform: every conv weight within ±1/√fan_in = ±1/3.
    #expect(s.input("w.max <= 1 / 3 and w.min >= -1 / 3") == "true\n")
    #expect(s.input("w").hasPrefix("tensor [16, 1, 3, 3] · 144 values · min "))
    #expect(s.input("w[16]").contains("index 16 is out of range for a tensor of shape [16, 1, 3, 3]"))
  }

  @Test func shapeErrorsPointAtTheLayer() {
    let s = CapturedSession()
    s.input("d = images(\"\(digits)\")")
    let dense = s.input("m = model(d) {\n  conv(4, kernel: 3)\n  dense(10)\n}")
    #expect(dense.contains("`dense` needs a flat input but gets the feature map [4, 6, 6]"))
    #expect(dense.contains(":3:"), "located at the dense line: \(dense)")
    #expect(dense.contains("add flatten() before it"))
    let pool = s.input("m = model(input: [1, 8, 8]) { maxpool(4); maxpool(4); flatten(); dense(10) }")
    #expect(pool.contains("`maxpool(4)` is larger than its input [1, 2, 2]"))
    let kernel = s.input("m = model(input: [1, 4, 4]) { conv(2, kernel: 7); flatten(); dense(2) }")
    #expect(kernel.contains("a 7×7 kernel does not fit the input [1, 4, 4] with pad 0"))
    let groups = s.input("m = model(input: [3, 4, 4]) { conv(4, groups: 2) }")
    #expect(groups.contains("`groups: 2` must divide both the input channels (3) and the output channels (4)"))
    let residual = s.input("m = model(input: [2, 4, 4]) { residual { conv(3, pad: 1) } }")
    #expect(
      residual.contains("a residual block must keep its input's shape, but this one turns [2, 4, 4] into [3, 4, 4]"))
    let classes = s.input("m = model(d) { flatten(); dense(12) }")
    #expect(classes.contains("the model ends with [12] outputs but the data has 10 classes"))
    let outside = s.input("relu()")
    #expect(outside.contains("layers belong inside a `model { … }` block"))
    #expect(s.input("m").contains("unknown name `m`"), "a failed definition assigns nothing")
  }

  @Test func aModelWithoutInputIsBuiltAtFirstUse() {
    let s = CapturedSession()
    s.input("d = images(\"\(digits)\")")
    #expect(s.input("m = model { flatten(); dense(10) }") == "m: 2 layers · input shape fixed at first use\n")
    s.input("r = evaluate(m, d)")
    #expect(s.input("m.parameters", "r.total") == "650\n360\n")
    let wrong = s.input("m2 = model { flatten(); dense(3) }", "evaluate(m2, d)")
    #expect(wrong.contains("the model ends with [3] outputs but the data has 10 classes"))
  }

  @Test func trainingLowersTheLossAndEvaluates() {
    let s = CapturedSession()
    s.input("d = images(\"\(digits)\")", "m = model(d) { flatten(); dense(32); relu(); dense(10) }")
    let out = s.input("train(m, d, epochs: 3, lr: 0.05)")
    #expect(out.contains("epoch 1/3  loss "), "\(out)")
    #expect(out.contains("epoch 3/3  loss "))
    #expect(s.input("m.history.loss[2] < m.history.loss[0] / 2") == "true\n")
    #expect(s.input("m.history.count") == "3\n")
    s.input("r = evaluate(m, d, confusion: true)")
    #expect(
      s.input("r.accuracy > 0.9", "r.total", "sum(for_sum(r.confusion))").hasPrefix("true\n360\n")
        || s.input("r.accuracy > 0.9") == "true\n")
    #expect(s.input("r.correct + r.wrong") == "360\n")
    // Each call counts its own epochs; the history continues the absolute count.
    let more = s.input("train(m, d, epochs: 1)")
    #expect(more.contains("epoch 1/1  loss "))
    #expect(s.input("m.history.epochs") == "[1, 2, 3, 4]\n")
  }

  @Test func sameSeedSameWeightsWhateverTheThreadCount() {
    func trainedWeights(threads: Int) -> String {
      let s = CapturedSession()
      s.input(
        "threads(\(threads))", "d = images(\"\(digits)\")",
        """
        m = model(d) { conv(4, kernel: 3, pad: 1); batchnorm(); relu(); maxpool(2); dropout(0.2); flatten(); \
        dense(10) }
        """,
        "train(m, d, epochs: 2, batch: 50)")
      return s.input("m.layers[0].weights", "m.layers[6].weights", "m.layers[1].running_var.values")
    }
    let one = trainedWeights(threads: 1)
    #expect(one.count > 100)
    #expect(trainedWeights(threads: 2) == one)
    #expect(trainedWeights(threads: 3) == one)
  }

  @Test func predictAcceptsAnImageOrAFile() {
    let s = CapturedSession()
    s.input("d = images(\"\(digits)\")", "m = model(d) { flatten(); dense(10) }", "train(m, d, epochs: 2)")
    let fromSplit = s.input("p = predict(m, d.test[0])", "p.class", "p.true_label", "p.confidence > 0.5")
    #expect(fromSplit.hasPrefix("p: class 0 · ") && fromSplit.hasSuffix(" % · correct\n0\n0\ntrue\n"), "\(fromSplit)")
    let path = s.input("d.test[0].path").trimmingCharacters(in: .whitespacesAndNewlines)
    #expect(s.input("predict(m, \"\(path)\").confidence == p.confidence") == "true\n")
    let missing = s.input("predict(m, \"no/such.png\")")
    #expect(missing.contains("cannot read 'no/such.png'"))
  }

  @Test func predictSaysHowItConvertedAFileOfAnotherSizeOrColour() {
    let s = CapturedSession()
    s.input("d = images(\"\(digits)\")", "m = model(d) { flatten(); dense(10) }")
    let rgb = repoRoot.appendingPathComponent("samples/shapes/circle").path
    let file = (try? FileManager.default.contentsOfDirectory(atPath: rgb).sorted().first) ?? ""
    let out = s.input("p = predict(m, \"\(rgb)/\(file)\")")
    let note = "note: 16×16 RGB image converted to 8×8 gray, as the model expects"
    #expect(out.hasPrefix(note + "\n") && out.contains("p: class "), "\(out)")
    // A file the model reads as it is gets no note.
    let path = s.input("d.test[0].path").trimmingCharacters(in: .whitespacesAndNewlines)
    #expect(!s.input("predict(m, \"\(path)\")").contains("note:"))
    // The note is part of the cell's output, so reports keep it.
    #expect(MarkdownReport.render(s.session.notebook, generator: "test").contains(note))
    #expect(HTMLReport.render(s.session.notebook, generator: "test").contains(note))
  }

  @Test func aPredictionShowsTheClassAndTheTopClassesAsBars() throws {
    let s = CapturedSession()
    s.input("d = images(\"\(digits)\")", "m = model(d) { flatten(); dense(10) }", "train(m, d, epochs: 2)")
    let shown = s.input("predict(m, d.test[0])")
    let lines = shown.split(separator: "\n").map(String.init)
    let confidence = try #require(
      Double(s.input("predict(m, d.test[0]).confidence").trimmingCharacters(in: .whitespacesAndNewlines)))
    #expect(lines.first == "class 0 · \(String(format: "%.1f", confidence * 100)) % · correct", "\(shown)")
    // Five bars, the predicted class first, each with its share.
    #expect(lines.count == 6, "\(shown)")
    #expect(lines[1].hasPrefix("  0  █") && lines[1].hasSuffix(" %"), "\(shown)")
    // The record behind it is unchanged.
    s.input("p = predict(m, d.test[0])")
    #expect(s.input("p[\"class\"]", "len(keys(p.probabilities))", "type(p)") == "0\n10\nprediction\n")
    #expect(s.input("json(p)").contains("\"true_label\":0"))
    // HTML reports draw the bars too.
    let html = s.session.interpreter.plainPathValue("p").map { value -> String in
      if case .object(let o) = value { return o.render(.html) }
      return ""
    }
    #expect(html?.contains("<table>") == true && html?.contains("class 0 · ") == true)
  }

  @Test func copiesAreIndependent() {
    let s = CapturedSession()
    s.input(
      "d = images(\"\(digits)\")", "a = model(d) { flatten(); dense(10) }", "b = copy(a)", "train(b, d, epochs: 1)")
    #expect(s.input("a.layers[1].bias.values == b.layers[1].bias.values") == "false\n")
    #expect(s.input("a.history.count", "b.history.count") == "0\n1\n")
  }

  @Test func divergenceStopsWithTheEpochAndBatchAndFiniteWeights() {
    let s = CapturedSession()
    s.input("d = images(\"\(digits)\")", "m = model(d) { flatten(); dense(64); relu(); dense(10) }")
    let out = s.input("train(m, d, epochs: 3, lr: 1e30)")
    #expect(out.contains("training stopped: the "), "\(out)")
    #expect(out.contains("in epoch 1/3, batch "))
    // The weights are those before the failing batch: finite (if useless after such a rate).
    s.input("bad = 0", "for w in m.layers[1].weights { if not (w - w == 0) { bad += 1 } }")
    #expect(s.input("bad", "len(m.layers[1].weights)") == "0\n4096\n")
  }

  @Test func ctrlCStopsAtABatchBoundaryAndKeepsTheModel() {
    let s = CapturedSession()
    s.input("d = images(\"\(digits)\")", "m = model(d) { flatten(); dense(10) }")
    nonisolated(unsafe) var asked = 0
    s.session.interpreter.interruptCheck = {
      asked += 1; return asked > 70
    }
    let out = s.input("train(m, d, epochs: 5)")
    #expect(out.contains("training stopped by Ctrl-C in epoch 2/5 before batch "), "\(out)")
    #expect(out.contains("the model keeps the weights of its last finished batch"))
    s.session.interpreter.interruptCheck = { false }
    #expect(s.input("m.history.count") == "1\n")
    #expect(s.input("evaluate(m, d).total") == "360\n")
  }

  @Test func adamAndSchedulesShowInTheHistory() {
    let s = CapturedSession()
    s.input("d = images(\"\(digits)\")", "m = model(d) { flatten(); dense(10) }")
    s.input("train(m, d, epochs: 4, lr: 0.01, optimizer: \"adam\", schedule: \"cosine\", weight_decay: 0.0001)")
    #expect(
      s.input(
        "m.history.lr[0]", "abs(m.history.lr[2] - 0.005) < \(Tolerance.float64Formula)",
        "m.history.loss[3] < m.history.loss[0]")
        == "0.01\ntrue\ntrue\n")
    s.input("train(m, d, epochs: 3, lr: 0.1, schedule: \"step\")")
    #expect(
      s.input("m.history.epochs", "m.history.lr[4]", "abs(m.history.lr[5] - 0.01) < \(Tolerance.float64Formula)")
        == "[1, 2, 3, 4, 5, 6, 7]\n0.1\ntrue\n")
  }

  /// On a terminal a progress bar is redrawn in place (carriage return, erase line) and erased
  /// before the epoch's line; without one (the default here) no escape code is written.
  @Test func progressBarsOnlyOnATerminal() {
    nonisolated(unsafe) var out = ""
    let session = Session(
      options: SessionOptions(progress: true), console: Console(out: { out += $0 }, err: { out += $0 }))
    session.runInput("d = images(\"\(digits)\")")
    session.runInput("m = model(d) { flatten(); dense(10) }")
    session.runInput("train(m, d, epochs: 1)")
    #expect(out.contains("\r\u{1B}[2Kepoch 1/1 ━"), "\(out)")
    #expect(out.contains("batch 45/45  loss "))
    #expect(out.contains("\r\u{1B}[2Kepoch 1/1  loss "), "the bar is erased before the epoch line")
    let plain = CapturedSession()
    let text = plain.input(
      "d = images(\"\(digits)\")", "m = model(d) { flatten(); dense(10) }", "train(m, d, epochs: 1)")
    #expect(!text.contains("\u{1B}") && !text.contains("\r"))
  }

  @Test func argumentsAreChecked() {
    let s = CapturedSession()
    s.input("d = images(\"\(digits)\")", "m = model(d) { flatten(); dense(10) }")
    #expect(s.input("train(m, d, epochs: 0)").contains("`epochs` must be a positive integer"))
    #expect(s.input("train(m, d, lr: -1)").contains("`lr` must be a positive number"))
    #expect(s.input("train(m, d, batch: 0)").contains("`batch` must be a positive integer"))
    #expect(s.input("train(m, d, optimizer: \"adamw\")").contains("did you mean"))
    #expect(s.input("threads(0)").contains("`n` must be a positive integer"))
  }
}

extension ModelSessionTests {
  /// Absurd sizes are refused when the model is built, before any memory is asked for.
  @Test func absurdSizesAreRefusedAtConstruction() {
    let s = CapturedSession()
    // A fixed budget, so that what is refused does not depend on the machine's memory.
    s.session.interpreter.memoryBudget = 8 << 30
    #expect(
      s.input("model(input: [3, 100000, 100000]) { flatten(); dense(2) }").contains(
        "has more values per image than this tool handles"))
    #expect(
      s.input("model(input: [3, 64, 64]) { flatten(); dense(100000) }").contains("would have 1228800000 parameters"))
    #expect(
      s.input("model(input: [3, 64, 64]) { conv(100000, kernel: 9) }").contains(
        "values per image, more than this tool handles"))
    #expect(
      s.input("model(input: [3, 64, 64]) { conv(1000); conv(1000, kernel: 5, pad: 30) }").contains(
        "would need more working memory"))
    let shapes = repoRoot.appendingPathComponent("samples/shapes").path
    s.input("d = images(\"\(shapes)\")", "m = model(d) { conv(4096, pad: 1); flatten(); dense(4) }")
    let batch = s.input("train(m, d, batch: 100000)")
    #expect(
      batch.contains("a batch of 960 images needs 17.4 GB, more than the 8.59 GB budget for this model"), "\(batch)")
  }

  /// At `lr: 1e9` the conv net of the samples diverges and training says so; quantizing the model,
  /// whose history is then empty, warns that it was never trained.
  @Test func hugeRatesStopTrainingAndUntrainedModelsWarnWhenQuantized() {
    let s = CapturedSession()
    s.input(
      "d = images(\"\(digits)\")",
      "net = model(d) { conv(8, kernel: 3, pad: 1); batchnorm(); relu(); maxpool(2); flatten(); dense(10) }")
    let out = s.input("train(net, d, epochs: 2, lr: 1e9)")
    #expect(out.contains("training stopped: the "), "\(out)")
    let quantized = s.input("q = quantize(net, d)")
    #expect(
      quantized.hasPrefix(
        "warning: `quantize` on a model that was never trained (its history is empty): train it first\n"),
      "\(quantized)")
    s.input("trained = model(d) { flatten(); dense(10) }", "train(trained, d, epochs: 1)")
    #expect(!s.input("q = quantize(trained, d)").contains("warning"))
  }

  /// Training data of a single class is refused: there is nothing to tell apart.
  @Test func oneClassDataIsRefusedForTraining() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("qat-oneclass-\(getpid())").path
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try FileManager.default.createDirectory(atPath: dir + "/seven", withIntermediateDirectories: true)
    let source = digits + "/train/7"
    for name in try FileManager.default.contentsOfDirectory(atPath: source).sorted().prefix(6) {
      try FileManager.default.copyItem(atPath: source + "/" + name, toPath: dir + "/seven/" + name)
    }
    let s = CapturedSession()
    let made = s.input("d = images(\"\(dir)\")", "m = model(d) { flatten(); dense(1) }")
    #expect(!made.contains("error"), "\(made)")
    let out = s.input("train(m, d, epochs: 1)")
    #expect(out.contains("all of one class ('seven'): a classifier needs at least two classes"), "\(out)")
    #expect(s.input("m.history.count") == "0\n")
  }
}
