import QatSupport
import QatsLanguage

/// What `:help` prints.
enum HelpText {
  /// The help for `topic` (a built-in, a concept, a keyword, a topic of built-ins, a command or a
  /// variable; empty for the overview), word-wrapped to `width` columns. `variable` finds a name the
  /// user defined in the session, so that help can say when one hides a built-in.
  static func render(
    _ topic: String, registry: BuiltinRegistry, width: Int = Int.max, variable: (String) -> Value? = { _ in nil }
  ) -> String {
    wrap(text(topic, registry: registry, variable: variable), width: width)
  }

  static func text(_ topic: String, registry: BuiltinRegistry, variable: (String) -> Value?) -> String {
    let name = topic.trimmingCharacters(in: .whitespaces)
    if name.isEmpty { return overview(registry) }
    if name == "language" || name == "syntax" { return language }
    if let b = registry.lookup(name) {
      let hidden = variable(name).map { "\n  (a variable `\(name)` of this session, \($0.typeName), hides it)" }
      return BuiltinDocs.text(for: b) + (hidden ?? "")
    }
    if let t = HelpTopics.lookup(name) { return t.text }
    if registry.topics.contains(name) {
      return
        ([BuiltinDocs.topicTitle(name) + ":"]
        + registry.all.filter { $0.topic == name }.map { "  \($0.signature)\n      \($0.summary)" })
        .joined(separator: "\n")
    }
    // A variable comes before a command named without its colon (`?vars` with a variable `vars`).
    if !name.hasPrefix(":"), let value = variable(name) {
      return "`\(name)` is a variable of this session: \(value.typeName) \(Session.shortDisplay(value))\n"
        + "  :vars lists the variables"
    }
    if let meta = Session.metaCommands.first(where: { $0.name == name || $0.name == ":" + name }) {
      return "\(meta.usage)\n  \(meta.help)"
    }
    let candidates =
      registry.names + registry.topics + HelpTopics.names + ["language"] + Session.metaCommands.map(\.name)
    // A long paste is not a typo of a short name, and is echoed cut.
    let guess = name.count <= 40 ? Suggest.nearest(to: name, in: candidates) : nil
    let shown = name.count <= 40 ? name : String(name.prefix(39)) + "…"
    return "no help for `\(shown)`" + (guess.map { "; did you mean `\($0)`?" } ?? "; :help lists everything")
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
      lines.append("  \(topic.padding(toLength: width, withPad: " ", startingAt: 0))  \(names)")
    }
    lines.append("")
    lines.append("Concepts and keywords (`:help NAME` explains each):")
    let label = "keywords".padding(toLength: width, withPad: " ", startingAt: 0)
    lines.append(
      "  " + "concepts".padding(toLength: width, withPad: " ", startingAt: 0) + "  "
        + HelpTopics.concepts.map(\.name).joined(separator: ", "))
    lines.append("  \(label)  " + (HelpTopics.keywords.map(\.name) + ["mode"]).joined(separator: ", "))
    lines.append("")
    lines.append(
      "`:help language` summarizes the syntax. `?NAME`, `NAME?`, `help(NAME)` and `:doc NAME` are `:help NAME` "
        + "too, and `quit` or `exit` leaves. Tab completes names, members after `.`, and paths in strings.")
    return lines.joined(separator: "\n")
  }

  static let language = """
    The qats language, in brief (docs/language.md has the grammar):
      x = 3; y = 2.5; s = "text"; ok = true; none = nil  # ints, floats stay apart
      xs = [1, 2, 3]; r = {bits: 4, per_channel: true}   # values: assigning copies
      r.bits; xs[0]; xs[-1]; r["bits"]                   # members and indexing
      + - * / // % **   == != < <= > >=   and or not     # / gives a float
      if x > 2 { … } else if x == 2 { … } else { … }     # conditions are bools
      for x in xs { … }    while cond { … }    break  continue
      fn area(w, h) { return w * h }; area(2, h: 3)      # keyword arguments last
      time { … }                                         # a block for a built-in
      mode qat / mode ptq                                # the quantization method
      # a comment        ## a line of Markdown narrative (shown, and in reports)
    Statements end at a newline or `;`; open brackets and trailing operators
    continue the line. `:help NAME` explains each keyword: `:help for`, `:help fn`.
    """

  /// Word-wraps every line of `text` to `width` columns, breaking only at spaces: a word longer than
  /// the width stays whole on a line of its own. A wrapped line continues under the column its text
  /// is aligned to (after the first run of two or more spaces, as in `  name    what it does`) when
  /// that column is in the left half, else under its own indentation.
  static func wrap(_ text: String, width: Int) -> String {
    text.split(separator: "\n", omittingEmptySubsequences: false)
      .flatMap { wrapLine(Array($0), width: max(1, width)) }
      .joined(separator: "\n")
  }

  static func wrapLine(_ line: [Character], width: Int) -> [String] {
    guard line.count > width else { return [String(line)] }
    let indent = line.prefix { $0 == " " }.count
    let hang = hangingIndent(line, indent: indent, width: width)
    var out: [String] = []
    var start = 0
    var prefix = 0
    while start < line.count {
      let room = width - prefix
      if line.count - start <= room {
        out.append(String(repeating: " ", count: prefix) + String(line[start...]))
        break
      }
      // Break at the last space that leaves at most `room` characters, never inside the indentation.
      let firstText = (start..<line.count).first { line[$0] != " " } ?? line.count
      var breakAt: Int? = nil
      var i = min(start + room, line.count - 1)
      while i > firstText {
        if line[i] == " " {
          breakAt = i
          break
        }
        i -= 1
      }
      if breakAt == nil {
        // The first word is longer than the room: keep it whole.
        breakAt = (max(start + room + 1, firstText + 1)..<max(line.count, firstText + 1)).first { line[$0] == " " }
      }
      guard let at = breakAt else {
        out.append(String(repeating: " ", count: prefix) + String(line[start...]))
        break
      }
      var end = at
      while end > start && line[end - 1] == " " { end -= 1 }
      out.append(String(repeating: " ", count: prefix) + String(line[start..<end]))
      var next = at
      while next < line.count && line[next] == " " { next += 1 }
      start = next
      prefix = hang
    }
    return out
  }

  /// The column a wrapped line continues at.
  static func hangingIndent(_ line: [Character], indent: Int, width: Int) -> Int {
    var i = indent
    while i + 1 < line.count {
      if line[i] == " " && line[i + 1] == " " {
        var column = i
        while column < line.count && line[column] == " " { column += 1 }
        return column <= width / 2 && column < line.count ? column : indent
      }
      i += 1
    }
    return indent
  }
}
