import Foundation
import Testing

/// `train(…, augment:, crop:)` and `augmented(…)` as a user meets them: refusals with a location and a
/// hint, reproducible training whatever the thread limit, and a whole script.
@Suite struct AugmentSessionTests {
  let digits = repoRoot.appendingPathComponent("samples/digits").path
  let shapes = repoRoot.appendingPathComponent("samples/shapes").path

  @Test func anUnknownNameIsLocatedWithASuggestion() {
    let s = CapturedSession()
    s.input("d = images(\"\(digits)\")", "m = model(d) { flatten(); dense(10) }")
    let out = s.input("train(m, d, augment: [\"flip\", \"crp\"])")
    #expect(out.contains("<cell 3>:1:13: error: `train`: `augment` must be"), "\(out)")
    #expect(out.contains("did you mean \"crop\"?"), "\(out)")
    let single = s.input("augmented(d, \"flp\")")
    #expect(single.contains("error: `augmented`: `augment` must be") && single.contains("did you mean \"flip\"?"))
    #expect(s.input("augmented(d, 3)").contains("`augment` must be one of \"crop\", \"flip\""))
    #expect(s.input("augmented(12, [\"flip\"])").contains("`images` must be a dataset or a split or an image"))
    #expect(s.input("m.history.count") == "0\n", "nothing trained")
  }

  @Test func wrongPaddingAndMisplacedOptionsAreRefusedWithAHint() {
    let s = CapturedSession()
    s.input("d = images(\"\(digits)\")", "m = model(d) { flatten(); dense(10) }")
    let tooWide = s.input("train(m, d, augment: [\"crop\"], crop: 8)")
    #expect(tooWide.contains("<cell 3>:1:32: error: `train`: `crop` must be between 1 and 7 for 8x8 images, got 8"))
    #expect(tooWide.contains("crop: 1 pads 1 black pixels on each side"), "\(tooWide)")
    #expect(s.input("augmented(d, \"crop\", crop: 0)").contains("`crop` must be between 1 and 7 for 8x8 images, got 0"))
    #expect(s.input("augmented(d, \"crop\", crop: -3)").contains("got -3"))
    let orphan = s.input("train(m, d, augment: [\"flip\"], crop: 2)")
    #expect(orphan.contains("`crop` sets the padding of the \"crop\" augmentation, which `augment` does not list"))
    #expect(orphan.contains("add \"crop\" to `augment`"))
    #expect(s.input("train(m, d, augment: [\"flip\", \"flip\"])").contains("`augment` lists \"flip\" twice"))
    #expect(s.input("m.history.count") == "0\n", "nothing trained")
  }

  @Test func augmentedCopiesAreSeededAndShowable() {
    let s = CapturedSession()
    s.input("d = images(\"\(shapes)\", seed: 1)")
    #expect(
      s.input("a = augmented(d, [\"flip\", \"crop\"], crop: 2, seed: 1)")
        == "a: augmented train: 8 images, 4 classes, 16x16 rgb\n")
    #expect(s.input("a.paths == augmented(d.train, \"crop\", seed: 1).paths") == "true\n", "the same images")
    #expect(s.input("a[0].values == augmented(d, [\"crop\", \"flip\"], crop: 2, seed: 1)[0].values") == "true\n")
    #expect(s.input("a[0].values == augmented(d, [\"crop\", \"flip\"], crop: 2, seed: 2)[0].values") == "false\n")
    #expect(s.input("augmented(d.test[3], \"flip\", n: 5).count") == "5\n")
    // The padding is black: a value of 0 in 8-bit pixels (normalization undone).
    #expect(s.input("min(augmented(d.test[0], \"crop\", crop: 7, n: 16)[0].pixels) == 0") == "true\n")
    #expect(s.input("show(a, n: 4)").hasPrefix("augmented train: 4 of 8 images\n"))
  }

  @Test func augmentedTrainingIsTheSameWhateverTheThreadCount() {
    func trained(threads: Int, augment: String) -> String {
      let s = CapturedSession()
      s.input(
        "threads(\(threads))", "d = images(\"\(shapes)\", size: 8)",
        "m = model(d) { conv(4, kernel: 3, pad: 1); batchnorm(); relu(); flatten(); dense(4) }",
        "train(m, d, epochs: 1, batch: 48\(augment))")
      return s.input("m.layers[0].weights", "m.layers[4].weights", "m.layers[1].running_mean.values")
    }
    let one = trained(threads: 1, augment: ", augment: [\"flip\", \"crop\"], crop: 1")
    #expect(one.count > 100 && !one.contains("error"), "\(one)")
    #expect(trained(threads: 2, augment: ", augment: [\"flip\", \"crop\"], crop: 1") == one)
    #expect(trained(threads: 1, augment: "") != one)
    #expect(trained(threads: 1, augment: ", augment: []") == trained(threads: 2, augment: ""), "empty means off")
  }

  /// `quantize(…, method: "qat", augment:)` fine-tunes on augmented batches; PTQ and a teacher refuse it.
  @Test func quantizeAugmentsQATFineTuningOnly() {
    let s = CapturedSession()
    s.input(
      "d = images(\"\(digits)\")", "m = model(d) { conv(4, kernel: 3, pad: 1); relu(); flatten(); dense(10) }",
      "train(m, d, epochs: 1)")
    let plain = s.input("q1 = quantize(m, d, method: \"qat\", epochs: 1)")
    let augmented = s.input("q2 = quantize(m, d, method: \"qat\", epochs: 1, augment: [\"crop\"], crop: 1)")
    #expect(plain.contains("epoch 1/1  loss ") && augmented.contains("epoch 1/1  loss "), "\(augmented)")
    #expect(!augmented.contains("error") && plain != augmented, "the batches differ, so the losses do")
    let ptq = s.input("quantize(m, d, method: \"ptq\", augment: \"flip\")")
    #expect(ptq.contains("<cell 6>:1:31: error: `quantize`: `augment` changes training images, and PTQ does not train"))
    let teacher = s.input("quantize(m, d, method: \"qat\", teacher: m, augment: \"flip\")")
    #expect(teacher.contains("`augment` cannot be combined with `teacher`"), "\(teacher)")
  }

  /// A whole script, run by the binary: augmented views, augmented training (fp32, then QAT through
  /// `prepare`), evaluation on untouched test images.
  @Test func aScriptTrainsWithAugmentation() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let script = "\(dir)/augment.qats"
    try """
    ## Flips and crops
    d = images("\(shapes)", size: 8)
    show(augmented(d, ["flip", "crop"], crop: 1, n: 4), path: "\(dir)/grid.png")
    net = model(d) { conv(8, kernel: 3, pad: 1); batchnorm(); relu(); maxpool(2); flatten(); dense(4) }
    train(net, d, epochs: 6, augment: ["flip", "crop"], crop: 1)
    r = evaluate(net, d)
    print("accuracy above chance:", r.accuracy > 0.5)
    q = prepare(net, d, bits: 8)
    train(q, d, epochs: 1, lr: 0.01, augment: "flip")
    print("qat:", evaluate(q, d).accuracy > 0.5)
    """.write(toFile: script, atomically: true, encoding: .utf8)
    let result = try BinaryTests().run(["--no-color", script])
    #expect(result.status == 0, "\(result.out)\(result.err)")
    #expect(result.out.contains("epoch 6/6  loss "))
    #expect(result.out.contains("accuracy above chance: true"), "\(result.out)")
    #expect(result.out.contains("qat: true"), "\(result.out)")
    #expect(result.out.contains("wrote \(dir)/grid.png"))
  }
}
