/// Documentation generated from the registry, so `:help`, Tab completion and docs/language.md
/// can never disagree about a built-in's parameters.
public enum BuiltinDocs {
  /// Human names of the topics.
  public static func topicTitle(_ topic: String) -> String {
    switch topic {
    case "core": return "Values, lists and text"
    case "math": return "Math"
    case "io": return "Session, time and files"
    case "data": return "Image folders"
    case "models": return "Models and training"
    case "layers": return "Layers (inside `model { … }`)"
    default: return topic.prefix(1).uppercased() + topic.dropFirst()
    }
  }

  /// The help for one built-in as plain text (what `:help name` prints).
  public static func text(for b: Builtin) -> String {
    var lines = [b.signature, "  " + b.summary]
    if !b.parameters.isEmpty || b.variadic != nil {
      lines.append("  parameters:")
      let width = max(b.parameters.map(\.name.count).max() ?? 0, b.variadic.map { $0.name.count + 1 } ?? 0)
      for p in b.parameters {
        let pad = String(repeating: " ", count: width - p.name.count)
        lines.append("    \(p.name)\(pad)  \(p.type.description)\(defaultText(p)) — \(p.help)")
      }
      if let v = b.variadic {
        let pad = String(repeating: " ", count: width - v.name.count - 1)
        lines.append(
          "    \(v.name)…\(pad)  any number of \(v.type.description == "a value" ? "values" : v.type.description)")
      }
    }
    if b.block != .none { lines.append("  block: " + (b.block == .required ? "required" : "optional")) }
    lines.append("  returns: \(b.returns)")
    return lines.joined(separator: "\n")
  }

  static func defaultText(_ p: Parameter) -> String {
    if p.isOptional { return ", optional" }
    if let d = p.defaultValue { return ", default \(d.repr)" }
    return ", required"
  }

  /// The "Built-ins" section of docs/language.md.
  public static func markdown(_ registry: BuiltinRegistry) -> String {
    var out: [String] = []
    for topic in registry.topics {
      out.append("### \(topicTitle(topic))\n")
      for b in registry.all where b.topic == topic {
        out.append("#### `\(b.name)`\n")
        out.append("`\(b.signature)`\n")
        out.append(b.summary + "\n")
        if !b.parameters.isEmpty || b.variadic != nil {
          out.append("| parameter | accepts | default | meaning |")
          out.append("|---|---|---|---|")
          for p in b.parameters {
            let d = p.isOptional ? "(optional)" : (p.defaultValue.map { "`\($0.repr)`" } ?? "required")
            out.append("| `\(p.name)` | \(p.type.description) | \(d) | \(p.help) |")
          }
          if let v = b.variadic { out.append("| `\(v.name)…` | \(v.type.description) | — | any number, by position |") }
          out.append("")
        }
        if b.block != .none {
          out.append("Takes a `{ … }` block (\(b.block == .required ? "required" : "optional")).\n")
        }
        out.append("Returns: \(b.returns).\n")
      }
    }
    return out.joined(separator: "\n")
  }
}
