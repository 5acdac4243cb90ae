import Foundation
import QatOutput
import QatSupport

extension Interpreter {
  /// A path a built-in reads (`images`, `load`, a file given to `predict`, `:load`): `path` itself
  /// when it is there in the working directory, absolute, or no script is running; otherwise, when
  /// the running script's folder has it, that one, so `qat-repl path/to/x.qats` finds the files
  /// next to the script from any directory. The first use of a script's folder is noted in one
  /// line. Outputs (`save`, `write`) stay relative to the working directory.
  public func inputPath(_ path: String) -> String {
    guard !path.isEmpty, !path.hasPrefix("/"), let folder = scriptFolder, !folder.isEmpty, folder != "." else {
      return path
    }
    var info = stat()
    if lstat(path, &info) == 0 { return path }
    let candidate = folder.hasSuffix("/") ? folder + path : folder + "/" + path
    guard lstat(candidate, &info) == 0 else { return path }
    if notedScriptFolders.insert(folder).inserted {
      output.emit(
        PlainText(
          """
          note: '\(PrintableName.of(path))' is not in the working directory; using '\(PrintableName.of(candidate))' \
          beside the script (relative inputs are looked for there too)
          """))
    }
    return candidate
  }
}

extension BuiltinCall {
  /// The string argument `name` as a path to read from: see `Interpreter.inputPath(_:)`.
  public func inputPath(_ name: String) -> String { interpreter.inputPath(string(name)) }
}
