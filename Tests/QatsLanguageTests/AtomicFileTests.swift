import Foundation
@testable import QatSupport
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

  /// A device, pipe or directory at the path is never replaced: as root, renaming over /dev/null
  /// would turn the device into a file (a fuzzing run did exactly that). Tested on a pipe and a
  /// directory of our own, never on a real device.
  @Test func somethingOtherThanARegularFileIsNeverReplaced() throws {
    let dir = try Self.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let fifo = dir + "/pipe", folder = dir + "/folder"
    #expect(mkfifo(fifo, 0o600) == 0)
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
    for path in [fifo, folder] {
      let failure = Self.failure(path)
      #expect(failure?.reason == .notARegularFile)
      #expect(failure?.description.contains("something other than a regular file is there") == true)
    }
    var info = stat()
    #expect(lstat(fifo, &info) == 0 && (info.st_mode & S_IFMT) == S_IFIFO)
    #expect(lstat(folder, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR)
    // No temporary file is left beside them.
    let left = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
    #expect(left == ["folder", "pipe"])
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
    // The temporary file cannot be created: /proc takes no new files, even from root. (A directory
    // at the path no longer gets this far: it is refused as not a regular file.)
    let blocked = "/proc/qat-atomic-\(getpid())"
    let failure = Self.failure(blocked)
    guard case .system(let code) = failure?.reason else {
      Issue.record("expected a system failure, got \(String(describing: failure))")
      return
    }
    #expect(failure?.reason.message == String(cString: strerror(code)))
    #expect(failure?.description == "cannot write '\(blocked)': \(String(cString: strerror(code)))")
    #expect(!FileManager.default.fileExists(atPath: blocked), "nothing is left")
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

  /// A process id that no process has (above any pid_max).
  static let deadPID: Int32 = Int32.max - 1

  @Test func staleTemporaryFilesOfKilledWritesAreRemovedOnTheNextWrite() throws {
    let dir = try Self.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let files = FileManager.default
    let dead = ".qat-\(Self.deadPID)-123.tmp"  // a write killed with kill -9
    let deadOld = ".report.md.\(Self.deadPID).77.tmp"  // the same, from the earlier name pattern
    let live = ".qat-\(getpid())-5.tmp"  // a write of a running process: kept
    let liveButOld = ".qat-\(getpid())-6.tmp"  // …unless it is more than an hour old
    let unrelated = [".hidden.tmp", "x.\(Self.deadPID).1.tmp", ".qat-\(Self.deadPID)-x.tmp", ".a.b.tmp", "keep.txt"]
    for name in [dead, deadOld, live, liveButOld] + unrelated {
      #expect(files.createFile(atPath: dir + "/" + name, contents: Data("x".utf8)))
    }
    let twoHoursAgo = Date().addingTimeInterval(-7200)
    try files.setAttributes([.modificationDate: twoHoursAgo], ofItemAtPath: dir + "/" + liveButOld)
    #expect(AtomicFile.staleTemporaryFiles(in: dir) == [dead, deadOld, liveButOld].map { dir + "/" + $0 }.sorted())
    #expect(Self.failure(dir + "/out.txt", "new") == nil)
    let left = try files.contentsOfDirectory(atPath: dir).sorted()
    #expect(left == ([live, "out.txt"] + unrelated).sorted())
  }

  @Test func temporaryNamesAreRecognizedByTheirPattern() {
    #expect(AtomicFile.temporaryFileOwner(".qat-1234-99.tmp") == 1234)
    #expect(AtomicFile.temporaryFileOwner(".model.qnet.1234.99.tmp") == 1234)
    #expect(AtomicFile.temporaryFileOwner(".qat-foo.12.34.tmp") == 12)  // the old pattern for "qat-foo"
    for name in [
      ".qat-1234-99", "qat-1234-99.tmp", ".qat-12a-99.tmp", ".qat-1234-.tmp", "..1.2.tmp", ".1.2.tmp",
      ".qat-0-1.tmp", ".qat-1-99999999999.tmp", ".x.+1.2.tmp",
    ] {
      #expect(AtomicFile.temporaryFileOwner(name) == nil, "\(name)")
    }
  }

  @Test func aSymbolicLinkIsFollowedAndStaysALink() throws {
    let dir = try Self.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let files = FileManager.default
    try files.createDirectory(atPath: dir + "/real", withIntermediateDirectories: false)
    try "old".write(toFile: dir + "/real/target.txt", atomically: false, encoding: .utf8)
    try files.createSymbolicLink(atPath: dir + "/link.txt", withDestinationPath: "real/target.txt")
    try files.createSymbolicLink(atPath: dir + "/chain.txt", withDestinationPath: dir + "/link.txt")
    #expect(Self.failure(dir + "/chain.txt", "new") == nil)
    #expect(try files.destinationOfSymbolicLink(atPath: dir + "/chain.txt") == dir + "/link.txt")
    #expect(try files.destinationOfSymbolicLink(atPath: dir + "/link.txt") == "real/target.txt")
    #expect(try String(contentsOfFile: dir + "/real/target.txt", encoding: .utf8) == "new")
    #expect(try files.contentsOfDirectory(atPath: dir + "/real") == ["target.txt"])
    // A link to a file not there yet makes the file; a loop of links is an error naming the path.
    try files.createSymbolicLink(atPath: dir + "/dangling.txt", withDestinationPath: "real/later.txt")
    #expect(Self.failure(dir + "/dangling.txt", "later") == nil)
    #expect(try String(contentsOfFile: dir + "/real/later.txt", encoding: .utf8) == "later")
    try files.createSymbolicLink(atPath: dir + "/loop.txt", withDestinationPath: "loop.txt")
    #expect(Self.failure(dir + "/loop.txt")?.reason == .system(code: ELOOP))
  }

  @Test func theModeOfTheReplacedFileIsKept() throws {
    let dir = try Self.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    for mode in [0o600, 0o640, 0o755] {
      let path = dir + "/file-\(String(mode, radix: 8))"
      try "secret".write(toFile: path, atomically: false, encoding: .utf8)
      #expect(chmod(path, mode_t(mode)) == 0)
      #expect(Self.failure(path, "replaced") == nil)
      let attributes = try FileManager.default.attributesOfItem(atPath: path)
      #expect((attributes[.posixPermissions] as? Int) == mode)
      #expect(try String(contentsOfFile: path, encoding: .utf8) == "replaced")
    }
  }

  @Test func theLongestFileNameCanBeWritten() throws {
    let dir = try Self.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    for length in [244, 255] {
      let name = String(repeating: "n", count: length - 4) + ".txt"
      #expect(Self.failure(dir + "/" + name, "long") == nil, "\(length)")
      #expect(try String(contentsOfFile: dir + "/" + name, encoding: .utf8) == "long")
    }
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir).count == 2)
  }

  @Test func namesWithEscapeCodesArePrintedEscaped() throws {
    #expect(PrintableName.of("plain/path é.txt") == "plain/path é.txt")
    #expect(PrintableName.of("a\u{1B}[31mred\u{7}\nb\u{202E}c\\d") == "a\\u{1b}[31mred\\u{7}\\u{a}b\\u{202e}c\\d")
    #expect(PrintableName.of(bytes: Array("caf".utf8) + [0xE9]) == "caf\\xE9")
    #expect(PrintableName.of(bytes: [0x61, 0xFF, 0xFE, 0x62, 0xC3, 0xA9, 0x1B]) == "a\\xFF\\xFEbé\\u{1b}")
    #expect(PrintableName.of(bytes: [0xE2, 0x82]) == "\\xE2\\x82")  // a sequence cut short
    let path = "/nonexistent-\u{1B}[2J/x.txt"
    #expect(Self.failure(path)?.description.contains("'/nonexistent-\\u{1b}[2J/x.txt'") == true)
    #expect(Self.failure(path)?.description.contains("\u{1B}") == false)
  }
}
