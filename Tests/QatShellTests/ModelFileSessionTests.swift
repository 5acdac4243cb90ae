import Foundation
import Testing
import QatShell
import QatsLanguage

/// `save`, `load` and `convert` as a user meets them: integer and fp32 round trips, predict from a
/// loaded file alone, sizes that are the file's byte count, and every refusal.
@Suite struct ModelFileSessionTests {
  let digits = repoRoot.appendingPathComponent("samples/digits").path

  func trainedSession() -> CapturedSession { CapturedSession.smallTrainedNet(digits: digits) }

  /// A test image's path: class 3's first file.
  var testImage: String {
    let folder = digits + "/test/3"
    let first = (try? FileManager.default.contentsOfDirectory(atPath: folder).sorted().first) ?? ""
    return folder + "/" + first
  }

  @Test func integerModelRoundTripsAndPredictsFromItsFileAlone() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let s = trainedSession()
    let quantized = s.input("q = quantize(net, d, bits: 4)")
    #expect(quantized.contains("integer-only"), "\(quantized)")
    let saved = s.input("save(q, \"\(dir)/q.qnet\")")
    #expect(saved.hasPrefix("saved \(dir)/q.qnet ("), "\(saved)")
    let bytes = try FileManager.default.attributesOfItem(atPath: dir + "/q.qnet")[.size] as? Int
    #expect(s.input("q.size") == "\(bytes ?? -1)\n", "the reported size is the file's byte count")
    // A fresh session that never saw the data: the file carries shape, normalization and classes.
    let fresh = CapturedSession()
    let loaded = fresh.input("m = load(\"\(dir)/q.qnet\")")
    #expect(loaded.contains("m: ptq · 4-bit · accuracy "), "\(loaded)")
    #expect(fresh.input("m.classes[3]", "m.size") == "3\n\(bytes ?? -1)\n")
    let fromFile = fresh.input("predict(m, \"\(testImage)\")")
    #expect(fromFile == s.input("predict(q, \"\(testImage)\")"))
    #expect(fromFile.contains("class: \"3\"") || fromFile.contains("class"), "\(fromFile)")
    fresh.input("d = images(\"\(digits)\")")
    #expect(fresh.input("evaluate(m, d)") == s.input("evaluate(q, d)"))
  }

  @Test func fp32ModelRoundTrips() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let s = trainedSession()
    s.input("save(net, \"\(dir)/net.qnet\")", "back = load(\"\(dir)/net.qnet\")")
    #expect(s.input("evaluate(back, d)") == s.input("evaluate(net, d)"))
    // A loaded fp32 model trains and quantizes like any other.
    #expect(s.input("quantize(back, d).accuracy == quantize(net, d).accuracy") == "true\n")
    let bytes = try FileManager.default.attributesOfItem(atPath: dir + "/net.qnet")[.size] as? Int
    #expect(s.input("net.size") == "\(bytes ?? -1)\n")
  }

  @Test func convertTurnsAPreparedModelIntoAnIntegerOne() {
    let s = trainedSession()
    s.input("p = prepare(net, d, method: qat, bits: 4)", "train(p, d, epochs: 1, lr: 0.01)")
    let converted = s.input("c = convert(p)")
    #expect(converted.contains("c: qat · 4-bit · integer-only"), "\(converted)")
    // The integer program predicts what the simulation predicts on nearly every image.
    #expect(
      s.input("abs(evaluate(c, d).accuracy - evaluate(p, d).accuracy) <= \(Tolerance.convertedAccuracy)") == "true\n")
    // The prepared model is left as it was: it still trains.
    #expect(!s.input("train(p, d, epochs: 1, lr: 0.01)").contains("error"))
  }

  @Test func refusalsAreLocatedAndTheSessionGoesOn() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let s = trainedSession()
    s.input("q = quantize(net, d)", "save(q, \"\(dir)/q.qnet\")", "m = load(\"\(dir)/q.qnet\")")
    #expect(s.input("save(net, \"\(dir)/missing/net.qnet\")").contains("does not exist"))
    #expect(s.input("load(\"\(digits)/test/3\")").contains("error"))
    #expect(s.input("load(\"\(testImage)\")").contains("not a qat-repl model file"))
    #expect(s.input("load(\"\(dir)/nothing.qnet\")").contains("error"))
    #expect(s.input("train(m, d)").contains("integer program"))
    #expect(s.input("train(q, d)").contains("cannot be trained"))
    #expect(s.input("quantize(m, d)").contains("already quantized"))
    #expect(s.input("convert(net)").contains("fp32"))
    #expect(s.input("convert(q)").contains("already an integer model"))
    #expect(s.input("save(prepare(net, d), \"\(dir)/p.qnet\")").contains("prepared"))
    let written = s.input("write(net, \"\(dir)/net.txt\")")
    #expect(written.contains("a model is not written with `write`; use save() to keep it in a .qnet file"))
    #expect(written.contains("save(net, \"model.qnet\")"))
    #expect(!FileManager.default.fileExists(atPath: dir + "/net.txt"))
    // Truncated and flipped files are refused with the reason.
    let data = try Data(contentsOf: URL(fileURLWithPath: dir + "/q.qnet"))
    try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: dir + "/half.qnet"))
    #expect(s.input("load(\"\(dir)/half.qnet\")").contains("truncated"))
    var flipped = data
    flipped[data.count / 2] ^= 0x10
    try flipped.write(to: URL(fileURLWithPath: dir + "/flipped.qnet"))
    #expect(s.input("load(\"\(dir)/flipped.qnet\")").contains("error"))
    #expect(s.input("1 + 1") == "2\n")
  }

  /// A model that `load` could not read back is refused by `save`, at the model, naming the layer.
  @Test func saveRefusesWhatLoadWouldRefuse() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let s = CapturedSession()
    s.input("d = images(\"\(digits)\")", "w = model(d) { conv(4, kernel: 1, stride: 2000); flatten(); dense(10) }")
    let refused = s.input("save(w, \"\(dir)/w.qnet\")")
    #expect(refused.contains("beyond what a model file holds: its stride 2000 is more than 1,024"), "\(refused)")
    #expect(refused.contains("1:6"), "located at the model argument: \(refused)")
    #expect(!FileManager.default.fileExists(atPath: dir + "/w.qnet"))
  }

  /// `load` checks a file against the session's memory budget before reading it whole, and the
  /// loaded network's memory before anything runs, naming the file.
  @Test func loadRefusesAModelBeyondTheBudgetBeforeRunningIt() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let s = trainedSession()
    s.input("save(net, \"\(dir)/net.qnet\")", "q = quantize(net, d)", "save(q, \"\(dir)/q.qnet\")")
    s.session.interpreter.memoryBudget = 1_000
    let unread = s.input("load(\"\(dir)/net.qnet\")")
    #expect(unread.contains("cannot load '\(dir)/net.qnet': the model is "), "\(unread)")
    #expect(unread.contains("more than the 1.00 KB memory budget"), "\(unread)")
    s.session.interpreter.memoryBudget = 100_000
    let fp32 = s.input("load(\"\(dir)/net.qnet\")")
    #expect(fp32.contains("cannot load '\(dir)/net.qnet': its network does not fit the memory budget"), "\(fp32)")
    #expect(fp32.contains("run it on a machine with more memory"), "\(fp32)")
    let integer = s.input("load(\"\(dir)/q.qnet\")")
    #expect(integer.contains("its integer program needs "), "\(integer)")
    #expect(integer.contains("of working memory for 256 images"), "\(integer)")
    s.session.interpreter.memoryBudget = 1 << 30
    #expect(s.input("m = load(\"\(dir)/q.qnet\")").hasPrefix("m: "))
  }
}
