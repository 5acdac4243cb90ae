import Foundation
import Testing
import QatShell
import QatsLanguage

/// `quantize`, `prepare` and the `mode` statement as a user meets them: what a quantized model
/// shows, PTQ and QAT on a small trained net, training a prepared model, and every error case.
@Suite struct QuantizeSessionTests {
  let digits = repoRoot.appendingPathComponent("samples/digits").path

  func trainedSession() -> CapturedSession { CapturedSession.smallTrainedNet(digits: digits) }

  @Test func ptqShowsMethodBitsAccuracyAndItsQuantizers() {
    let s = trainedSession()
    let fp32 = s.input("evaluate(net, d).accuracy")
    let line = s.input("q = quantize(net, d)")
    #expect(line.hasPrefix("q: ptq · 8-bit · accuracy "), "\(line)")
    #expect(
      line.contains("· integer-only, 3 steps · ") && line.hasSuffix("KB file · 6 layers · input 1x8x8\n"), "\(line)")
    #expect(s.input("q.method", "q.bits", "q.weight_bits", "q.act_bits", "q.quantized") == "ptq\n8\n8\n8\ntrue\n")
    // 8-bit PTQ loses at most a couple of test images here.
    #expect(s.input("abs(q.accuracy - evaluate(net, d).accuracy) <= \(Tolerance.eightBitPTQAccuracy)") == "true\n")
    #expect(s.input("evaluate(q, d).accuracy == q.accuracy") == "true\n")
    let table = s.input("q")
    #expect(table.contains("activations after"))
    #expect(table.contains("  0  input "))
    #expect(table.contains("  1  conv(8, kernel: 3, pad: 1) "))
    #expect(table.contains("  2  dense(10) "))
    #expect(
      s.input("len(q.quantizers)", "q.quantizers[1].zero_point", "q.quantizers[1].min") == "3\n0\n0.0\n",
      "the ReLU output's range starts at zero")
    // The fp32 model is untouched.
    #expect(s.input("evaluate(net, d).accuracy") == fp32)
  }

  @Test func modeDecidesTheMethodUnlessMethodIsGiven() {
    let s = trainedSession()
    #expect(s.input("quantize(net, d, bits: 4).method") == "ptq\n")
    s.input("mode qat")
    let qat = s.input("q4 = quantize(net, d, bits: 4, epochs: 1)")
    #expect(qat.contains("q4: qat · 4-bit · accuracy "), "\(qat)")
    #expect(s.input("q4.method", "q4.history.count - net.history.count") == "qat\n1\n")
    #expect(s.input("quantize(net, d, method: ptq, weight_bits: 4, act_bits: 6).summary").contains("ptq · w4/a6 ·"))
    #expect(s.input("quantize(net, d, method: \"ptq\", bits: 3).bits") == "3\n")
  }

  @Test func preparedModelsTrainAndEvaluate() {
    let s = trainedSession()
    let prepared = s.input("p = prepare(net, d, method: qat, bits: 2)")
    #expect(prepared.contains("p: qat · 2-bit · prepared: trainable with fake quantization"), "\(prepared)")
    #expect(s.input("p.prepared") == "true\n")
    s.input("train(p, d, epochs: 2, lr: 0.01)")
    #expect(s.input("evaluate(p, d).accuracy >= 0.5") == "true\n")
    #expect(s.input("p.history.count - net.history.count") == "2\n")
  }

  @Test func errorsAreClearAndLocated() {
    let s = trainedSession()
    s.input("q = quantize(net, d)")
    let twice = s.input("quantize(q, d)")
    #expect(
      twice.contains("this model is already quantized (ptq, 8-bit); quantizing it again would quantize twice"),
      "\(twice)")
    #expect(twice.contains("quantize the fp32 model it came from"))
    #expect(s.input("prepare(prepare(net, d), d)").contains("this model is already prepared"))
    for bits in [0, 1, 9, 16] {
      let out = s.input("quantize(net, d, bits: \(bits))")
      #expect(out.contains("must be between 2 and 8") || out.contains("positive integer"), "bits \(bits): \(out)")
    }
    #expect(s.input("quantize(net, d, act_bits: 12)").contains("`act_bits` must be between 2 and 8, got 12"))
    let train = s.input("train(q, d, epochs: 1)")
    #expect(
      train.contains("this model is an integer program (ptq, 8-bit): it is final and cannot be trained"), "\(train)")
    #expect(s.input("quantize(net, d, method: \"int4\")").contains("\"ptq\""))
    #expect(s.input("quantize(net, d, keep: [2])").contains("`keep` names conv or dense layers"))
    #expect(s.input("quantize(net, d, keep: [\"middle\"])").contains("`keep` names conv or dense layers"))
    // Regression: the entry was shown in Swift's internal form (`int(1)`).
    #expect(s.input("quantize(net, d, keep: [1])").contains("\"first\"/\"last\"; 1 is not one"))
    #expect(s.input("quantize(net, d, keep: [[0]])").contains("; [0] is not one"))
    #expect(s.input("quantize(net, d, percentile: 99.0)").contains("`percentile` applies to the percentile observer"))
    // Regression: a huge epoch count overflowed the time-left estimate and crashed.
    #expect(
      s.input("quantize(net, d, method: qat, epochs: 9223372036854775807)").contains(
        "`epochs` must be at most 1,000,000"))
    #expect(s.input("train(net, d, epochs: 2000000)").contains("`epochs` must be at most 1,000,000, got 2,000,000"))
    #expect(s.input("quantize(net, d, keep: [\"first\", 5], bits: 2).quantizers[1].bits") == "8\n")
    #expect(s.input("quantize(net, d, observer: \"median\")").contains("\"histogram\""))
    #expect(s.input("copy(q)").contains("copying a quantized or prepared model is not supported"))
    #expect(s.input("q.method") == "ptq\n", "the session survives every error")
  }

  @Test func everyObserverCalibrates() {
    let s = trainedSession()
    for observer in ["minmax", "moving_average", "histogram", "percentile"] {
      #expect(
        s.input("quantize(net, d, observer: \"\(observer)\", samples: 64).accuracy > 0.5") == "true\n", "\(observer)")
    }
    #expect(s.input("quantize(net, d, per_channel: false, symmetric: true).quantizers[0].zero_point") == "127\n")
    // Regression: PTQ's moving average was min-max; it now averages over calibration batches of 32,
    // so its ranges are narrower than the extremes over all the images.
    #expect(
      s.input(
        """
        quantize(net, d, observer: \"moving_average\").quantizers[1].max < quantize(net, d, observer: \
        \"minmax\").quantizers[1].max
        """
      ) == "true\n")
    // A lower percentile clips more: the conv output's range shrinks.
    #expect(
      s.input(
        """
        quantize(net, d, observer: \"percentile\", percentile: 99.0).quantizers[1].max < quantize(net, d, observer: \
        \"percentile\").quantizers[1].max
        """
      ) == "true\n")
    #expect(
      s.input("quantize(net, d, observer: \"percentile\", percentile: 40)").contains(
        "`percentile` must be above 50 and at most 100, got 40"))
  }

  /// Regression: the overview cut topic names at six characters ("quanti").
  @Test func helpOverviewShowsTheWholeQuantizationTopic() {
    let s = CapturedSession()
    let help = s.input(":help")
    // The topic's names, whatever other built-ins join them (inspect, sweep, …).
    // The line is word-wrapped at the width, its continuation lines aligned under the names.
    let lines = help.split(separator: "\n").drop { !$0.hasPrefix("  quantization ") }
    let continued = lines.prefix(1) + lines.dropFirst().prefix { $0.hasPrefix(String(repeating: " ", count: 16)) }
    let line = continued.map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
    for name in ["convert", "fake_quant", "histogram", "inspect", "prepare", "qparams", "quantize", "sensitivity"] {
      #expect(line.contains(" \(name),") || line.hasSuffix(" \(name)"), "\(name): \(help)")
    }
    #expect(
      help.contains("  models        copy, evaluate, export, load, model, predict, save, summary, threads, train"))
  }
}
