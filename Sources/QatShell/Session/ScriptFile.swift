import Foundation

/// Reading script files with errors that name the path and say what to do.
enum ScriptFile {
  enum Result { case success(String), failure(String) }

  /// Largest script accepted; anything bigger is almost certainly not a script.
  static let maxBytes = 16 << 20

  static func read(_ path: String) -> Result {
    var isDir: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
      return .failure("\(path): no such file; check the path (scripts end in .qats)")
    }
    if isDir.boolValue { return .failure("\(path) is a directory, not a script file") }
    guard let data = FileManager.default.contents(atPath: path) else {
      return .failure("\(path): cannot be read (check its permissions)")
    }
    if data.count > maxBytes {
      return .failure("\(path) is \(data.count) bytes; scripts are limited to \(maxBytes) bytes")
    }
    return decode(data, name: path)
  }

  /// Decodes UTF-8, reporting the line and byte of the first invalid sequence.
  static func decode(_ data: Data, name: String) -> Result {
    if let text = String(validating: data, as: UTF8.self) { return .success(text) }
    var line = 1, offset = 0
    var iterator = data.makeIterator()
    var decoder = UTF8()
    loop: while true {
      switch decoder.decode(&iterator) {
      case .scalarValue(let s):
        offset += String(s).utf8.count
        if s == "\n" { line += 1 }
      case .emptyInput: break loop
      case .error:
        return .failure(
          "\(name):\(line): the file is not valid UTF-8 (bad byte near offset \(offset)); save it as UTF-8")
      }
    }
    return .failure("\(name): the file is not valid UTF-8; save it as UTF-8")
  }
}
