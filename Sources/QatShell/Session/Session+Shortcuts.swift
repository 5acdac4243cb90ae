import Foundation
import QatsLanguage

/// The habits of other shells, understood when a whole cell is exactly one of these forms:
/// `?name`, `name?` (IPython, Julia), `help`, `help(name)` (Python) ask for `:help name`; `quit` and
/// `exit`, bare or with `()`, leave. `help`, `quit` and `exit` are plain names in qats, so once the
/// session defines a variable (or function) of that name, the cell means that variable again.
extension Session {
  enum Shortcut: Equatable {
    case help(String)
    case quit
  }

  /// The shortcut a cell (already trimmed) stands for, if it is one.
  func shortcut(_ cell: String) -> Shortcut? {
    if cell.isEmpty { return nil }
    if cell.hasPrefix("?") {
      let name = String(cell.drop { $0 == "?" }).trimmingCharacters(in: .whitespaces)
      return name.isEmpty || Session.isHelpWord(name) ? .help(name) : nil
    }
    if cell.hasSuffix("?") {
      let name = String(cell.reversed().drop { $0 == "?" }.reversed()).trimmingCharacters(in: .whitespaces)
      return Session.isHelpWord(name) ? .help(name) : nil
    }
    let word = String(cell.prefix { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") })
    guard ["help", "quit", "exit"].contains(word), !isDefined(word) else { return nil }
    let rest = cell.dropFirst(word.count).trimmingCharacters(in: .whitespacesAndNewlines)
    let argument: String
    if rest.isEmpty {
      argument = ""
    } else if rest.hasPrefix("("), rest.hasSuffix(")") {
      argument = Session.unquote(String(rest.dropFirst().dropLast()).trimmingCharacters(in: .whitespacesAndNewlines))
    } else {
      return nil
    }
    if word == "help" { return .help(argument) }
    return argument.isEmpty ? .quit : nil
  }

  /// Whether `name` means something in the session: a variable, a function or a built-in.
  func isDefined(_ name: String) -> Bool {
    interpreter.globals.lookup(name) != nil || interpreter.registry.lookup(name) != nil
  }

  /// A name `?name` and `name?` look up: letters, digits, `_` and `-`, or a `:command`.
  static func isHelpWord(_ s: String) -> Bool {
    let body = s.hasPrefix(":") ? s.dropFirst() : Substring(s)
    return !body.isEmpty && body.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }
  }

  /// Runs a shortcut: help is printed like `:help`'s; quitting is `:quit`'s.
  func run(_ shortcut: Shortcut) {
    switch shortcut {
    case .help(let name): showHelp(name)
    case .quit: quitRequested = true
    }
  }
}
