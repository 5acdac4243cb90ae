import Foundation
import QatOutput
import QatSupport

extension Interpreter {
  /// The most folders `inputPath(_:)` looks in, from the script's folder upwards.
  static let maxInputFolderDepth = 64

  /// A path a built-in reads (`images`, `load`, a file given to `predict`, `:load`): `path` itself
  /// when it is there in the working directory, absolute, or no script is running; otherwise the
  /// path in the running script's folder or the nearest folder above it that has it, so
  /// `qat-repl path/to/samples/x.qats` finds `samples/digits` from any directory. The first use of
  /// a script's folder is noted in one line. Outputs (`save`, `write`) stay relative to the working
  /// directory. A path found nowhere is returned as written, for the error to name.
  public func inputPath(_ path: String) -> String {
    guard !path.isEmpty, !path.hasPrefix("/"), let folder = scriptFolder, !folder.isEmpty else { return path }
    var info = stat()
    if lstat(path, &info) == 0 { return path }
    var directory = URL(fileURLWithPath: folder).standardizedFileURL.path
    for _ in 0..<Self.maxInputFolderDepth {
      // The file system's root is not searched: only the script's own folders.
      guard directory != "/", !directory.isEmpty else { break }
      let candidate = directory + "/" + path
      if lstat(candidate, &info) == 0 {
        if notedScriptFolders.insert(folder).inserted {
          output.emit(
            PlainText(
              """
              note: '\(PrintableName.of(path))' is not in the working directory; using \
              '\(PrintableName.of(candidate))', found from the script's folder
              """))
        }
        return candidate
      }
      directory = (directory as NSString).deletingLastPathComponent
    }
    return path
  }
}

extension BuiltinCall {
  /// The string argument `name` as a path to read from: see `Interpreter.inputPath(_:)`.
  public func inputPath(_ name: String) -> String { interpreter.inputPath(string(name)) }
}
