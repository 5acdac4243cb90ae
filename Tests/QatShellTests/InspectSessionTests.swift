import Foundation
import Testing
import QatShell
import QatsLanguage

/// `inspect`, `histogram` and `sensitivity` as a user meets them: the numbers agree with `qparams`,
/// `quantize` and `evaluate`, names and numbers pick layers, and every mistake is a located error.
@Suite struct InspectSessionTests {
  let digits = repoRoot.appendingPathComponent("samples/digits").path

  func trainedSession() -> CapturedSession { CapturedSession.smallTrainedNet(digits: digits) }

  @Test func histogramGridIsQparams() {
    let s = CapturedSession()
    s.input("h = histogram([-0.5, 0.2, 1.0])", "p = qparams(-0.5, 1.0)")
    #expect(
      s.input("h.scale == p.scale", "h.zero_point == p.zero_point", "h.qmin == p.qmin", "h.qmax == p.qmax")
        == "true\ntrue\ntrue\ntrue\n")
    #expect(s.input("h.levels", "h.bits", "h.count", "h.clipped", "h.observer") == "256\n8\n3\n0\nminmax\n")
    s.input(
      "w = histogram([-0.9, 0.3, 1.2], bits: 2, symmetric: true, signed: true)",
      "q = qparams(-0.9, 1.2, bits: 2, symmetric: true, signed: true)")
    #expect(s.input("w.scale == q.scale", "w.zero_point", "w.levels") == "true\n0\n4\n")
    // docs/quantization.md §3: at 2 bits the largest positive weight sits 1.5 steps out and is clipped.
    #expect(s.input("w.clipped_above", "w.clipped_below") == "1\n0\n")
  }

  @Test func histogramSQNRAndClippingByHand() {
    let s = CapturedSession()
    s.input("x = [0.3, 0.7, 1.1, 1.5, 1.9, 8.0]")
    // Grid of [0, 8] at 2 bits: Σx² = 71.65, Σ(x − q)² = 0.09 + 0.49 + 1.21 + (7/6)² + (23/30)² ≈ 3.739.
    #expect(s.input("round(histogram(x, bits: 2).sqnr_db, 2)") == "12.82\n")
    // An outlier among many values: min-max keeps it (and wastes levels), the histogram observer clips it.
    s.input(
      "v = []",
      "for k in range(30) { c = []; for i in range(100) { c = append(c, sin((k * 100 + i) * 0.37)) }; v = v + c }",
      "v = append(v, 10.0)")
    #expect(s.input("histogram(v, bits: 4).clipped", "histogram(v, bits: 4).max") == "0\n10.0\n")
    s.input("h = histogram(v, bits: 4, observer: \"histogram\")")
    #expect(
      s.input(
        "h.range[1] < 2", "h.clipped_above >= 1", "h.clipped == h.clipped_above + h.clipped_below", "h.levels_used")
        == "true\ntrue\ntrue\n16\n")
    #expect(s.input("h.sqnr_db > histogram(v, bits: 4).sqnr_db") == "true\n")
    #expect(s.input("histogram(v, bits: 4, observer: \"minmax\").levels_used < 6") == "true\n")
    let shown = s.input("h")
    #expect(
      shown.contains("histogram: 3,001 values against the 4-bit unsigned affine grid of the histogram observer"),
      "\(shown)")
    #expect(shown.contains("  clipped  ") && shown.contains(" above (") && shown.contains("  SQNR     "))
    #expect(shown.contains("16 levels"), "the chart marks the levels")
    // A tensor works too, and json sees plain numbers.
    #expect(s.input("json(histogram([1, 2, 3]))").contains("\"sqnr_db\":null"), "∞ dB is null in JSON")
  }

  @Test func inspectShowsWhatPTQDoes() {
    let s = trainedSession()
    // An fp32 model shows what PTQ at `bits` would do; the quantized model shows the same grids.
    s.input("q4 = quantize(net, d, bits: 4)")
    #expect(s.input("inspect(net, 0, bits: 4).scale == inspect(q4, 0).scale") == "true\n")
    #expect(s.input("inspect(net, 0, bits: 4).sqnr_db == inspect(q4, 0).sqnr_db") == "true\n")
    #expect(
      s.input("len(inspect(net, 0).scale)", "inspect(net, 0).bits", "inspect(net, 0).per_channel") == "8\n8\ntrue\n")
    #expect(
      s.input("inspect(net, 0, per_channel: false).per_channel", "type(inspect(net, 0, per_channel: false).scale)")
        == "false\nfloat\n")
    #expect(s.input("inspect(net, \"dense\").sqnr_db == inspect(net, 5).sqnr_db") == "true\n")
    #expect(s.input("inspect(net, \"conv(8, kernel: 3, pad: 1)\").count") == "72\n")
    #expect(s.input("inspect(net, 5).count") == "1280\n")
    // Activations: the grid calibration chooses, as `prepare` does.
    s.input("p = prepare(net, d, method: ptq, bits: 4)")
    #expect(s.input("inspect(net, 0, d, what: \"activations\", bits: 4).scale == p.quantizers[1].scale") == "true\n")
    #expect(s.input("inspect(p, 0, d, what: \"activations\").zero_point == p.quantizers[1].zero_point") == "true\n")
    #expect(s.input("inspect(q4, \"input\", d, what: \"activations\").scale == q4.quantizers[0].scale") == "true\n")
    #expect(
      s.input("inspect(q4, 2, d, what: \"activations\").scale == q4.quantizers[1].scale") == "true\n",
      "the ReLU ends the conv's unit")
    #expect(s.input("inspect(net, 0, d, what: \"activations\").count") == "131072\n", "256 calibration images × 8×8×8")
    let shown = s.input("inspect(q4, 0)")
    #expect(
      shown.hasPrefix("inspect: weights of conv(8, kernel: 3, pad: 1) (layer 0) · ptq · 4-bit model\n"), "\(shown)")
    #expect(shown.contains("72 weights, batch norm folded in") && shown.contains("per channel: 8 scales"))
    #expect(shown.contains("per output channel (each with its own grid)") && shown.contains("levels used"))
  }

  @Test func inspectErrorsAreLocated() throws {
    let s = trainedSession()
    s.input("q = quantize(net, d, bits: 4)")
    let cases: [(String, String)] = [
      ("inspect(net, 17)", "there is no layer 17: the model's layers are numbered 0–5"),
      ("inspect(net, -1)", "there is no layer -1"),
      ("inspect(net, \"dens\")", "the model has no layer \"dens\""),
      ("inspect(net, 2)", "layer 2 (relu()) has no weights; conv and dense layers do: 0, 5"),
      ("inspect(net, \"input\")", "the input has no weights"),
      ("inspect(net, 3, d, what: \"activations\")", "layer 3 (maxpool(2)) has no quantization point of its own"),
      ("inspect(net, 0, what: \"activations\")", "activations need images"),
      ("inspect(net, 0, bits: 9)", "`bits` must be between 2 and 8, got 9"),
      ("inspect(net, 0, bits: 1)", "`bits` must be between 2 and 8, got 1"),
      ("inspect(q, 0, bits: 4)", "`bits` is for fp32 models; this model is already quantized (ptq, 4-bit)"),
      ("inspect(net, 1.5)", "`layer`"),
      ("inspect(d, 0)", "`model`"),
      ("inspect(net, 0, what: \"bias\")", "\"weights\", \"activations\""),
      ("inspect(net, 0, bins: 5000)", "`bins` must be at most 1,000"),
      ("histogram(\"abc\")", "`values`"),
      ("histogram([])", "`values` is empty"),
      ("histogram([1, 2], bits: 17)", "bits must be 2–8 (or 16 for teaching), got 17"),
      ("histogram([1, 2], percentile: 99)", "`percentile` applies to the percentile observer"),
      ("histogram([1, 2], observer: \"median\")", "\"minmax\""),
      ("histogram([1, \"a\"])", "`values`"),
      ("histogram([1, 1e300])", "outside float32's range"),
    ]
    for (input, message) in cases {
      let out = s.input(input)
      #expect(out.contains("error:") && out.contains(message), "\(input): \(out)")
      #expect(out.contains("\n  " + input + "\n"), "the source line is shown: \(out)")
    }
    // Located at the argument: the caret under `17`.
    let out = s.input("inspect(net, 17)")
    #expect(out.contains("  inspect(net, 17)\n               ^"), "\(out)")
    // Two layers of a kind: the name is ambiguous.
    s.input(
      "two = model(d) { conv(4, kernel: 3, pad: 1); relu(); conv(4, kernel: 3, pad: 1); relu(); flatten(); dense(10) }")
    #expect(s.input("inspect(two, \"relu\")").contains("\"relu\" names layers 1, 3; give the number of one"))
    #expect(s.input("inspect(two, \"conv(4, kernel: 3, pad: 1)\")").contains("names layers 0, 2"))
    #expect(s.input("inspect(two, \"conv\")").contains("names layers 0, 2"))
    #expect(s.input("inspect(two, \"dense\").count") == "2560\n")
    // A model loaded from a file keeps only its integers.
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    s.input("save(q, \"\(dir)/q.qnet\")", "l = load(\"\(dir)/q.qnet\")")
    #expect(s.input("inspect(l, 0)").contains("was loaded from a file, which keeps only its integers"))
    // The session goes on.
    #expect(s.input("1 + 1") == "2\n")
  }

  @Test func sensitivityDeltasAreAgainstFP32AndDeterministic() {
    let s = trainedSession()
    s.input("t = sensitivity(net, d, bits: 2)", "base = evaluate(net, d)")
    #expect(s.input("t.count") == "3\n")
    #expect(s.input("sort(t.kind)") == "[\"conv\", \"dense\", \"input\"]\n")
    for i in 0..<3 {
      #expect(
        s.input("abs(t[\(i)].delta - (t[\(i)].accuracy - base.accuracy)) < \(Tolerance.float64Formula)") == "true\n",
        "row \(i)")
      #expect(s.input("t[\(i)].images == round(t[\(i)].delta * base.total)") == "true\n", "row \(i)")
    }
    #expect(s.input("t[0].accuracy <= t[1].accuracy and t[1].accuracy <= t[2].accuracy") == "true\n", "worst first")
    #expect(s.input("json(t) == json(sensitivity(net, d, bits: 2))") == "true\n", "the same table every time")
    #expect(s.input("t[0].sqnr_db == nil or t[0].sqnr_db > 0") == "true\n")
    let shown = s.input("t")
    #expect(shown.contains("sensitivity: ptq · 2-bit · one part quantized at a time, the rest fp32"), "\(shown)")
    #expect(shown.contains("Δ points") && shown.contains("weights SQNR") && shown.contains("accuracy drop (points)"))
    // The fp32 model is untouched.
    #expect(s.input("evaluate(net, d).accuracy == base.accuracy") == "true\n")
    // Errors.
    s.input("q = quantize(net, d)")
    #expect(s.input("sensitivity(q, d)").contains("this model is already quantized"))
    #expect(s.input("sensitivity(net, d, bits: 9)").contains("`bits` must be between 2 and 8, got 9"))
    #expect(s.input("sensitivity(net, 3)").contains("`data`"))
    s.input("mode qat")
    let qat = s.input("sensitivity(net, d, bits: 4, epochs: 1)")
    #expect(qat.contains("qat · 4-bit"), "\(qat)")
  }
}
