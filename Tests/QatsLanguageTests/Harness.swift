import QatOutput
import QatsLanguage

/// Runs `code` as one cell in a fresh interpreter; returns what it showed, one line per item.
/// Expression values appear as the cell would show them.
func run(_ code: String, seed: UInt64 = 0) throws -> String {
  let out = CapturingOutput()
  let interpreter = Interpreter(output: out, seed: seed)
  for statement in try Parser.parse(Source(name: "test.qats", text: code)) {
    switch try interpreter.runTopLevel(statement) {
    case .value(let v): out.emit(ValueView(v))
    case .assigned(let name, let summary): out.emit(PlainText("\(name): \(summary)"))
    case .narrative(let t): out.emit(PlainText(t))
    case .nothing: break
    }
  }
  return out.text
}

/// The error `code` raises (syntax or runtime), rendered as the user sees it.
func failure(_ code: String) -> String {
  do {
    _ = try run(code)
    return "no error"
  } catch let e as QatsErrors {
    return e.description
  } catch let e as QatsError {
    return e.description
  } catch {
    return "unexpected \(error)"
  }
}

/// The kinds of the tokens in `code`, without the final `.end`.
func kinds(_ code: String) -> [TokenKind] {
  var lexer = Lexer(source: Source(name: "t", text: code))
  return lexer.tokenize().map(\.kind).dropLast()
}
