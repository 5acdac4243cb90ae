import Foundation
import QatOutput
@testable import QatsLanguage
import Testing

@Suite struct RegistryTests {
  /// A built-in shaped like the later `train`, to check the registry's messages.
  static func fakeTrain() -> Builtin {
    Builtin(
      "train", topic: "models", summary: "Train a network.",
      parameters: [
        .required("net", .any, "the network"),
        .optional("epochs", .positiveInt, default: .int(10), "passes over the data"),
        .optional("lr", .positiveNumber, default: .float(0.05), "learning rate"),
        .optional("optimizer", .choice(["sgd", "adam"]), default: .string("sgd"), "the optimizer"),
      ], returns: "nil"
    ) { call in
      .list([.int(call.int("epochs")), .float(call.double("lr")), .string(call.string("optimizer"))])
    }
  }

  func runWithTrain(_ code: String) throws -> String {
    let out = CapturingOutput()
    let interpreter = Interpreter(output: out)
    interpreter.registry.register(Self.fakeTrain())
    for s in try Parser.parse(Source(name: "r.qats", text: code)) {
      if case .value(let v) = try interpreter.runTopLevel(s) { out.emit(ValueView(v)) }
    }
    return out.text
  }

  func trainFailure(_ code: String) -> String {
    do { return try runWithTrain(code) } catch { return "\(error)" }
  }

  @Test func defaultsAndKeywords() throws {
    #expect(try runWithTrain("train(1)") == "[10, 0.05, \"sgd\"]")
    #expect(try runWithTrain("train(1, 3, optimizer: \"adam\")") == "[3, 0.05, \"adam\"]")
  }

  @Test func argumentErrorsComeFromTheRegistry() {
    #expect(
      trainFailure("train(1, epochs: -3)") == """
        r.qats:1:10: error: `train`: `epochs` must be a positive integer, got -3
          train(1, epochs: -3)
                   ^
        """)
    #expect(trainFailure("train(1, lr: -0.1)").contains("`train`: `lr` must be a positive number, got -0.1"))
    #expect(
      trainFailure("train(1, optimizer: \"adma\")").contains(
        "`optimizer` must be one of \"sgd\", \"adam\", got \"adma\""))
    #expect(trainFailure("train(1, epoch: 3)").contains("`train`: no parameter named `epoch`"))
    #expect(trainFailure("train(1, epoch: 3)").contains("did you mean `epochs`?"))
    #expect(trainFailure("train()").contains("`train`: missing argument `net` (the network)"))
    #expect(trainFailure("train(1, 2, 3, \"sgd\", 5)").contains("`train`: takes at most 4 positional arguments, got 5"))
    #expect(trainFailure("train(1) { }").contains("`train`: does not take a `{ … }` block"))
    #expect(trainFailure("time()").contains("`time`: needs a `{ … }` block after the call"))
  }

  @Test func coreArgumentChecks() {
    #expect(failure("seed(-1)").contains("`seed`: `n` must be a non-negative integer, got -1"))
    #expect(failure("range(1, 5, step: 0)").contains("`range`: `step` must not be 0"))
    #expect(failure("range(100000000000)").contains("would make 100000000000 numbers"))
    #expect(failure("sqrt(-1)").contains("-1.0 is outside the domain of `sqrt`"))
    #expect(failure("len(3)").contains("`len`: `x` must be a list or a string or a record, got 3"))
    #expect(failure("sum([1, \"a\"])").contains("`list` must be a list of numbers, got \"a\" at position 1"))
    #expect(failure("sleep(-1)").contains("`seconds` must be a non-negative number"))
  }

  @Test func signatures() throws {
    let registry = Interpreter(output: CapturingOutput()).registry
    #expect(registry.lookup("range")?.signature == "range(a, b: int?, step: 1)")
    #expect(registry.lookup("print")?.signature == "print(sep: \" \", values…)")
    #expect(registry.lookup("time")?.signature == "time() { … }")
  }

  @Test func mathHelpers() throws {
    #expect(
      try run("[abs(-3), abs(-2.5), min(3, 1, 2), max([1.5, 4]), sum([1, 2, 3]), sum([1, 0.5]), mean([1, 2])]")
        == "[3, 2.5, 1, 4, 6, 1.5, 1.5]")
    #expect(
      try run(
        "[round(2.5), round(3.5), round(-2.5), round(3.14159, digits: 2), floor(-1.5), ceil(1.2), clamp(9, 0, 5)]")
        == "[2, 4, -2, 3.14, -2, 2, 5]")
    #expect(
      try run("[int(3.9), int(-3.9), int(\"42\"), float(2), float(\"0.5\"), str(1.0), type(1.0), type({})]")
        == "[3, -3, 42, 2.0, 0.5, \"1.0\", \"float\", \"record\"]")
    #expect(
      try run("[sort([3, 1, 2]), sort([\"b\", \"a\"], reverse: true), keys({x: 1, y: 2}), append([1], 2)]")
        == "[[1, 2, 3], [\"b\", \"a\"], [\"x\", \"y\"], [1, 2]]")
  }

  @Test func jsonEncoding() throws {
    #expect(
      try run(#"json({name: "a\"b", xs: [1, 2.5, true, nil], r: {}})"#)
        == #"{"name":"a\"b","xs":[1,2.5,true,null],"r":{}}"#)
    #expect(try run("json([1.0, 0.1])") == "[1.0,0.1]")
    #expect(failure("json(print)").contains("the function `print` has no JSON form"))
  }

  @Test func writeIsAtomicAndChecksTheDirectory() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "qats-write-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    ).path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    _ = try run("write([{a: 1, b: \"x,y\"}, {a: 2}], \"\(dir)/t.csv\")\nwrite({k: [1]}, \"\(dir)/t.json\")")
    #expect(try String(contentsOfFile: dir + "/t.csv", encoding: .utf8) == "a,b\n1,\"x,y\"\n2,\n")
    #expect(try String(contentsOfFile: dir + "/t.json", encoding: .utf8) == "{\n  \"k\": [\n    1\n  ]\n}\n")
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["t.csv", "t.json"])
    #expect(
      failure("write(1, \"\(dir)/missing/x.txt\")").contains(
        "the directory '\(dir)/missing' does not exist; create it first"))
  }

  @Test func timeAndSleepAndInterrupts() throws {
    let out = CapturingOutput()
    let interpreter = Interpreter(output: out)
    var checks = 0
    interpreter.interruptCheck = {
      checks += 1; return checks > 3
    }
    let statements = try Parser.parse(Source(name: "i.qats", text: "sleep(10)"))
    #expect(throws: QatsError.self) { try interpreter.runTopLevel(statements[0]) }
    do {
      _ = try interpreter.runTopLevel(statements[0])
    } catch let e as QatsError {
      #expect(e.kind == .interrupted)
    }
    #expect(try run("x = time { sleep(0.001); 5 }\nx").hasPrefix("time: "))
  }

  @Test func interruptStopsLoops() throws {
    let interpreter = Interpreter(output: CapturingOutput())
    var checks = 0
    interpreter.interruptCheck = {
      checks += 1; return checks > 100
    }
    let statements = try Parser.parse(Source(name: "i.qats", text: "n = 0\nwhile true { n += 1 }"))
    _ = try interpreter.runTopLevel(statements[0])
    #expect(throws: QatsError.self) { try interpreter.runTopLevel(statements[1]) }
    // The session's variables survive the interruption.
    if case .int(let n)? = interpreter.globals.lookup("n") { #expect(n > 0) } else { Issue.record("n lost") }
  }

  @Test func docsGenerationCoversEveryBuiltin() {
    let registry = Interpreter(output: CapturingOutput()).registry
    let md = BuiltinDocs.markdown(registry)
    for b in registry.all { #expect(md.contains("#### `\(b.name)`")) }
  }
}

@Suite struct ErrorFormatTests {
  @Test func locatedErrorWithCaretAndHint() {
    #expect(
      failure("x = 1\ny = maxpol + x") == """
        test.qats:2:5: error: unknown name `maxpol`
          y = maxpol + x
              ^
        """)
    #expect(
      failure("lenn([1])") == """
        test.qats:1:1: error: unknown name `lenn`
          lenn([1])
          ^
          did you mean `len`?
        """)
  }

  @Test func longLinesAreClippedAroundTheCaret() {
    let text = failure(String(repeating: "1 + ", count: 100) + "nope")
    let lines = text.split(separator: "\n")
    #expect(lines[1].count < 130)
    let caretColumn = lines[2].count
    let nopeColumn =
      (lines[1].range(of: "nope").map { lines[1].distance(from: lines[1].startIndex, to: $0.lowerBound) } ?? 0) + 1
    #expect(caretColumn == nopeColumn)
  }
}

@Suite struct QuotingTests {
  @Test func qatsAndJSONEscapes() throws {
    #expect(Value.quote("a\"b\\c\n\t\r\0\u{7}") == #""a\"b\\c\n\t\r\0\u{7}""#)
    #expect(JSONText.quote("a\"b\\c\n\t\r\0\u{7}") == #""a\"b\\c\n\t\r\u0000\u0007""#)
    #expect(try run(#"["é\u{1}"]"#) == #"["é\u{1}"]"#)
  }
}

/// Relative input paths inside a script: the working directory first, then the script's folder.
@Suite struct InputPathTests {
  @Test func inputsFallBackToTheScriptFolderWithANoteOnce() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "qats-inputs-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    ).path
    try FileManager.default.createDirectory(atPath: dir + "/sub", withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let name = "qats-only-beside-the-script-\(getpid())"
    _ = FileManager.default.createFile(atPath: dir + "/" + name, contents: Data())
    _ = FileManager.default.createFile(atPath: dir + "/sub/other", contents: Data())
    let out = CapturingOutput()
    let interpreter = Interpreter(output: out)
    // No script running: paths are left as they are.
    #expect(interpreter.inputPath(name) == name)
    interpreter.scriptFolder = dir
    #expect(interpreter.inputPath(name) == dir + "/" + name)
    #expect(out.text.contains("note: '\(name)' is not in the working directory; using '\(dir)/\(name)'"))
    let before = out.text
    #expect(interpreter.inputPath("sub/other") == dir + "/sub/other")
    #expect(out.text == before, "the note is shown once per script folder")
    // Absolute paths, paths that are in the working directory and paths found nowhere stay as written.
    #expect(interpreter.inputPath("/nonexistent/\(name)") == "/nonexistent/\(name)")
    let cwdEntry = try #require(FileManager.default.contentsOfDirectory(atPath: ".").first)
    _ = FileManager.default.createFile(atPath: dir + "/" + cwdEntry, contents: Data())
    #expect(interpreter.inputPath(cwdEntry) == cwdEntry)
    #expect(interpreter.inputPath("missing-\(name)") == "missing-\(name)")
  }
}
