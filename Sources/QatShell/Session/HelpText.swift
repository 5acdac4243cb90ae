import QatSupport
import QatsLanguage

/// What `:help` prints.
enum HelpText {
  static func render(_ topic: String, registry: BuiltinRegistry) -> String {
    let name = topic.trimmingCharacters(in: .whitespaces)
    if name.isEmpty { return overview(registry) }
    if name == "language" || name == "syntax" { return language }
    if let b = registry.lookup(name) { return BuiltinDocs.text(for: b) }
    if registry.topics.contains(name) {
      return
        ([BuiltinDocs.topicTitle(name) + ":"]
        + registry.all.filter { $0.topic == name }.map { "  \($0.signature)\n      \($0.summary)" })
        .joined(separator: "\n")
    }
    if let meta = Session.metaCommands.first(where: { $0.name == name || $0.name == ":" + name }) {
      return "\(meta.usage)\n  \(meta.help)"
    }
    let candidates = registry.names + registry.topics + ["language"] + Session.metaCommands.map(\.name)
    let guess = Suggest.nearest(to: name, in: candidates)
    return "no help for `\(name)`" + (guess.map { "; did you mean `\($0)`?" } ?? "; :help lists everything")
  }

  static func overview(_ registry: BuiltinRegistry) -> String {
    var lines = ["\(Version.banner): a notebook-style shell for learning and trying quantization.", ""]
    lines.append("Commands:")
    for m in Session.metaCommands {
      lines.append("  " + m.usage.padding(toLength: 28, withPad: " ", startingAt: 0) + m.help)
    }
    lines.append("")
    lines.append("Built-ins by topic (`:help NAME` for parameters, `:help TOPIC` for summaries):")
    // Topics are padded to the longest one ("quantization"), never cut.
    let width = registry.topics.map(\.count).max() ?? 0
    for topic in registry.topics {
      let names = registry.all.filter { $0.topic == topic }.map(\.name).joined(separator: ", ")
      lines.append("  \(topic.padding(toLength: width, withPad: " ", startingAt: 0)) \(names)")
    }
    lines.append("")
    lines.append(
      "`:help language` summarizes the syntax. Tab completes names, members after `.`, and paths in strings.")
    return lines.joined(separator: "\n")
  }

  static let language = """
    The qats language, in brief (docs/language.md has the grammar):
      x = 3; y = 2.5; s = "text"; ok = true; nothing = nil     # ints and floats stay distinct
      xs = [1, 2, 3]; r = {bits: 4, per_channel: true}        # lists and records (values: copied on assignment)
      r.bits; xs[0]; xs[-1]; r["bits"]                         # member access and indexing
      + - * / // % **   == != < <= > >=   and or not           # / always gives a float, // floors
      if x > 2 { … } else if x == 2 { … } else { … }
      for x in xs { … }    while cond { … }    break  continue
      fn area(w, h) { return w * h }     area(2, h: 3)         # positional and keyword arguments
      time { … }                                               # a trailing block handed to a built-in
      mode qat / mode ptq                                      # the session's quantization method
      # a comment        ## a line of Markdown narrative (shown, and rendered in reports)
    Statements end at a newline or `;`; open brackets and trailing operators continue the line.
    """
}
