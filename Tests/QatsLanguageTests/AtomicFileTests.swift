import Foundation
import QatSupport
import Testing

/// `AtomicFile`'s typed failures: the path and reason of each way a write is refused, the text
/// composed from them, and a successful write that leaves only the file.
@Suite struct AtomicFileTests {
  static func temporaryDirectory() throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "qats-atomic-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    ).path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
  }

  /// The failure of writing `text` to `path`, or nil if it was written.
  static func failure(_ path: String, _ text: String = "x") -> AtomicFile.Failure? {
    do throws(AtomicFile.Failure) {
      try AtomicFile.write(Data(text.utf8), to: path)
      return nil
    } catch {
      return error
    }
  }

  @Test func aMissingDirectory() throws {
    let dir = try Self.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = dir + "/missing/x.txt"
    let failure = Self.failure(path)
    #expect(failure?.path == path)
    #expect(failure?.reason == .missingDirectory(dir + "/missing"))
    #expect(
      failure?.description == "cannot write '\(path)': the directory '\(dir)/missing' does not exist; create it first")
    #expect(AtomicFile.directoryProblem(dir + "/missing") == .missingDirectory(dir + "/missing"))
    #expect(!FileManager.default.fileExists(atPath: dir + "/missing"))
  }

  @Test func aFileWhereTheDirectoryShouldBe() throws {
    let dir = try Self.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let file = dir + "/plain"
    try AtomicFile.write(Data("x".utf8), to: file)
    let path = file + "/x.txt"
    let failure = Self.failure(path)
    #expect(failure?.path == path)
    #expect(failure?.reason == .notADirectory(file))
    #expect(failure?.description == "cannot write '\(path)': '\(file)' is not a directory")
    #expect(AtomicFile.directoryProblem(file) == .notADirectory(file))
    #expect(AtomicFile.directoryProblem(dir) == nil)
  }

  @Test func aPathThatNamesADirectory() throws {
    let dir = try Self.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let failure = Self.failure(dir + "/")
    #expect(failure?.path == dir + "/")
    #expect(failure?.reason == .namesADirectory)
    #expect(failure?.description == "cannot write '\(dir)/': the path names a directory")
    // Checked before the directory: a trailing "/" after a missing directory says the same.
    #expect(Self.failure(dir + "/missing/")?.reason == .namesADirectory)
  }

  @Test func aSystemFailureNamesTheErrno() throws {
    let dir = try Self.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    // The final rename fails: the target is a non-empty directory.
    let blocked = dir + "/blocked"
    try FileManager.default.createDirectory(atPath: blocked + "/inside", withIntermediateDirectories: true)
    let failure = Self.failure(blocked)
    guard case .system(let code) = failure?.reason else {
      Issue.record("expected a system failure, got \(String(describing: failure))")
      return
    }
    #expect(failure?.reason.message == String(cString: strerror(code)))
    #expect(failure?.description == "cannot write '\(blocked)': \(String(cString: strerror(code)))")
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["blocked"], "no temporary file is left")
  }

  @Test func aSuccessfulWriteLeavesOnlyTheFile() throws {
    let dir = try Self.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = dir + "/out.txt"
    #expect(Self.failure(path, "first") == nil)
    #expect(Self.failure(path, "second") == nil)
    #expect(try String(contentsOfFile: path, encoding: .utf8) == "second")
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["out.txt"])
  }
}
