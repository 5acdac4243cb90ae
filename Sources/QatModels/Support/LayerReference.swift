import QatEngine
import QatSupport
import QatsLanguage

/// A layer named by the user: its number as in summary(net), or its name as the model shows it.
enum LayerReference {
  /// The layer's index in `numbered`, or nil for "input".
  static func resolve(_ value: Value, in numbered: [NetworkLayer], call: BuiltinCall, argument: String = "layer") throws
    -> Int?
  {
    let listing =
      numbered.enumerated().prefix(12).map { "\($0.offset) \($0.element.spec.description)" }.joined(separator: ", ")
      + (numbered.count > 12 ? ", …" : "")
    switch value {
    case .int(let n):
      guard n >= 0 && n < numbered.count else {
        throw call.error(
          "there is no layer \(n): the model's layers are numbered 0–\(numbered.count - 1), as summary(net) shows",
          argument: argument,
          hint: listing)
      }
      return n
    case .string(let name):
      if name == "input" { return nil }
      let exact = numbered.indices.filter { numbered[$0].spec.description == name }
      let byKind = numbered.indices.filter { numbered[$0].spec.name == name }
      let matches = exact.isEmpty ? byKind : exact
      if matches.count == 1, let only = matches.first { return only }
      if matches.count > 1 {
        throw call.error(
          "\"\(name)\" names layers \(matches.map(String.init).joined(separator: ", ")); give the number of one",
          argument: argument, hint: "inspect(net, \(matches[0]))")
      }
      let candidates = numbered.map(\.spec.description) + numbered.map(\.spec.name) + ["input"]
      let suggestion = Suggest.nearest(to: name, in: candidates).map { "did you mean \"\($0)\"? " } ?? ""
      throw call.error(
        "the model has no layer \"\(name)\"", argument: argument, hint: suggestion + "layers: " + listing)
    default:
      return nil
    }
  }
}
