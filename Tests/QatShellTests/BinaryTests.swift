import Foundation
import Testing

/// Runs the built `qat-repl` executable as a user would: piped, with scripts, with bad arguments.
@Suite struct BinaryTests {
  /// The executable beside the test bundle (same build configuration).
  static var binary: String? {
    var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for _ in 0..<4 {
      let candidate = dir.appendingPathComponent("qat-repl").path
      if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
      dir = dir.deletingLastPathComponent()
    }
    for config in ["debug", "release"] {
      let candidate = repoRoot.appendingPathComponent(".build/\(config)/qat-repl").path
      if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    return nil
  }

  struct Result { var status: Int32; var out: String; var err: String }

  func run(_ arguments: [String], stdin: String = "", environment: [String: String] = [:]) throws -> Result {
    guard let binary = Self.binary else { throw CancellationError() }
    let p = Process()
    p.executableURL = URL(fileURLWithPath: binary)
    p.arguments = arguments
    p.currentDirectoryURL = repoRoot
    var env = ProcessInfo.processInfo.environment
    for (k, v) in environment { env[k] = v }
    p.environment = env
    let input = Pipe(), output = Pipe(), error = Pipe()
    p.standardInput = input
    p.standardOutput = output
    p.standardError = error
    try p.run()
    input.fileHandleForWriting.write(Data(stdin.utf8))
    try input.fileHandleForWriting.close()
    let out = output.fileHandleForReading.readDataToEndOfFile()
    let err = error.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return Result(
      status: p.terminationStatus, out: String(decoding: out, as: UTF8.self), err: String(decoding: err, as: UTF8.self))
  }

  @Test func binaryIsBuilt() {
    #expect(Self.binary != nil, "qat-repl must be built before the tests (scripts/test builds it)")
  }

  @Test func pipedInputHasNoPromptsAndNoEscapeCodes() throws {
    let r = try run([], stdin: "x = [1,\n 2]\nlen(x)\n:help len\nprint(\"done\")\n")
    #expect(r.status == 0)
    #expect(r.out.hasPrefix("2\nlen(x)"))
    #expect(r.out.hasSuffix("done\n"))
    #expect(!r.out.contains("\u{1B}") && !r.err.contains("\u{1B}"))
    #expect(!r.out.contains("ptq>"))
  }

  @Test func pipedErrorsAreLocatedAndTheSessionContinues() throws {
    let r = try run([], stdin: "a = 1\nb = a +\n  nope\nprint(a)\n")
    #expect(r.status == 70)
    #expect(r.err.contains("<stdin>:3:3: error: unknown name `nope`"))
    #expect(r.out == "1\n")
  }

  @Test func scriptExitStatuses() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    func script(_ text: String) -> String {
      let path = dir + "/s\(text.hashValue & 0xffff).qats"
      _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
      return path
    }
    #expect(try run([script("print(1)")]).status == 0)
    #expect(try run([script("x = (")]).status == 65)
    #expect(try run([script("1 / 0")]).status == 70)
    #expect(try run([dir + "/missing.qats"]).status == 64)
    #expect(try run(["--bogus"]).status == 64)
    #expect(try run(["--threads", "0", script("1")]).status == 64)
    #expect(try run(["--report", dir + "/r.pdf", script("1")]).status == 64)
  }

  @Test func versionHelpAndReport() throws {
    #expect(try run(["--version"]).out == "qat-repl 0.1.0\n")
    let help = try run(["--help"]).out
    for flag in ["--report", "--seed", "--threads", "--no-color", "-i"] { #expect(help.contains(flag)) }
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let r = try run(["samples/tour.qats", "--report", dir + "/tour.html"])
    #expect(r.status == 0)
    let html = try String(contentsOfFile: dir + "/tour.html", encoding: .utf8)
    #expect(html.hasPrefix("<!DOCTYPE html>"))
    #expect(!html.contains("<script src") && !html.contains("<link"))
  }

  @Test func aBadReportPathIsAUsageErrorBeforeTheScriptRuns() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let script = dir + "/s.qats"
    _ = FileManager.default.createFile(atPath: script, contents: Data("print(\"ran\")\n".utf8))
    for (report, reason) in [
      (dir + "/missing/r.html", "the directory '\(dir)/missing' does not exist"),
      (dir, "unknown file type; use a .html or .md file name"),
      (dir + "/r.txt", "unknown file type"),
    ] {
      let r = try run([script, "--report", report])
      #expect(r.status == 64)
      #expect(r.out.isEmpty, "the script ran before the report path was checked")
      #expect(r.err.contains(reason), "\(r.err)")
    }
    try FileManager.default.createDirectory(atPath: dir + "/r.md", withIntermediateDirectories: false)
    let r = try run([script, "--report", dir + "/r.md"])
    #expect(r.status == 64 && r.out.isEmpty && r.err.contains("'\(dir)/r.md': it is a directory"))
    let good = try run([script, "--report", dir + "/ok.html"])
    #expect(good.status == 0 && good.out == "ran\n")
    #expect(good.err == "wrote the report to \(dir)/ok.html (1 cell)\n")
  }

  @Test func ctrlCStopsAScriptWithStatus130AndWritesTheReport() throws {
    guard let binary = Self.binary else { return }
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = dir + "/slow.qats"
    _ = FileManager.default.createFile(atPath: path, contents: Data("done = 1\nsleep(30)\nprint(\"never\")\n".utf8))
    let p = Process()
    p.executableURL = URL(fileURLWithPath: binary)
    p.arguments = [path, "--report", dir + "/r.md"]
    let error = Pipe(), output = Pipe()
    p.standardError = error
    p.standardOutput = output
    p.standardInput = FileHandle.nullDevice
    try p.run()
    Thread.sleep(forTimeInterval: 0.5)
    kill(p.processIdentifier, SIGINT)
    let err = String(decoding: error.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    p.waitUntilExit()
    #expect(p.terminationStatus == 130)
    #expect(err.contains("slow.qats:2:6: interrupted: stopped by Ctrl-C"))
    let report = try String(contentsOfFile: dir + "/r.md", encoding: .utf8)
    #expect(report.contains("sleep(30)") && report.contains("interrupted"))
  }

  @Test func pipedHelpShortcutsAndQuit() throws {
    let r = try run([], stdin: "?len\nlen?\n:vars x*\nx = 1\nquit\nprint(\"not reached\")\n")
    #expect(r.status == 0 && r.err.isEmpty)
    #expect(r.out.hasPrefix("len(x)\n") && r.out.components(separatedBy: "len(x)\n").count == 3)
    #expect(r.out.contains("no variables yet") && !r.out.contains("not reached"))
  }

  /// On a terminal errors are red; with TERM=dumb (or NO_COLOR) they are plain. `script` gives the
  /// binary a pseudo-terminal; without it (not util-linux) the test has nothing to check.
  @Test func dumbTerminalGetsNoColour() throws {
    guard let binary = Self.binary, FileManager.default.isExecutableFile(atPath: "/usr/bin/script") else { return }
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = dir + "/e.qats"
    _ = FileManager.default.createFile(atPath: path, contents: Data("nope\n".utf8))
    func onTerminal(_ term: String) throws -> String {
      let p = Process()
      p.executableURL = URL(fileURLWithPath: "/usr/bin/script")
      p.arguments = ["-q", "-e", "-c", "'\(binary)' '\(path)'", "/dev/null"]
      var env = ProcessInfo.processInfo.environment
      env["TERM"] = term
      env["NO_COLOR"] = nil
      p.environment = env
      let output = Pipe()
      p.standardOutput = output
      p.standardError = output
      p.standardInput = FileHandle.nullDevice
      try p.run()
      let out = output.fileHandleForReading.readDataToEndOfFile()
      p.waitUntilExit()
      return String(decoding: out, as: UTF8.self)
    }
    let coloured = try onTerminal("xterm")
    #expect(coloured.contains("unknown name `nope`") && coloured.contains("\u{1B}["))
    let dumb = try onTerminal("dumb")
    #expect(dumb.contains("unknown name `nope`") && !dumb.contains("\u{1B}"))
  }

  /// `qat-repl > file` (or `| tee log`) typed at a terminal: still the interactive shell, with its
  /// prompts on the terminal (stderr) and only the outputs in the file.
  @Test func aTerminalOnStdinPromptsOnStderrWhenStdoutIsNotOne() throws {
    guard let binary = Self.binary, FileManager.default.isExecutableFile(atPath: "/usr/bin/script") else { return }
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/script")
    p.arguments = ["-q", "-e", "-c", "'\(binary)' > '\(dir)/out.txt'", "/dev/null"]
    var env = ProcessInfo.processInfo.environment
    env["QAT_REPL_HISTORY"] = dir + "/history"
    p.environment = env
    let input = Pipe(), output = Pipe()
    p.standardInput = input
    p.standardOutput = output
    p.standardError = output
    try p.run()
    input.fileHandleForWriting.write(Data("print(41 + 1)\n:quit\n".utf8))
    try input.fileHandleForWriting.close()
    let terminal = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    p.waitUntilExit()
    #expect(p.terminationStatus == 0)
    #expect(terminal.contains("[1] ptq> ") && terminal.contains("[2] ptq> "), "\(terminal)")
    #expect(try String(contentsOfFile: dir + "/out.txt", encoding: .utf8) == "42\n")
  }

  @Test func seedFlagSeedsTheSession() throws {
    let a = try run(["--seed", "5"], stdin: "random()\n").out
    let b = try run(["--seed", "5"], stdin: "random()\n").out
    let c = try run(["--seed", "6"], stdin: "random()\n").out
    #expect(a == b && a != c)
  }

  @Test func interactiveFlagContinuesWithPipedCells() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = dir + "/v.qats"
    _ = FileManager.default.createFile(atPath: path, contents: Data("answer = 42\n".utf8))
    let r = try run(["-i", path], stdin: "answer + 0\n")
    #expect(r.out == "42\n")
  }
}
