/// The three places a value can be shown: the terminal, a Markdown report, an HTML report.
public enum RenderFormat: Sendable, Equatable {
  /// Terminal text. `color` is true only on a TTY without `NO_COLOR`/`--no-color`;
  /// `width` is the number of columns available.
  case text(color: Bool, width: Int)
  /// GitHub-flavoured Markdown (tables as pipe tables, code as fenced blocks).
  case markdown
  /// An HTML fragment that is valid inside `<div>`; never a whole document.
  case html

  /// Plain terminal text, no colour, 100 columns: what tests and pipes see.
  public static let plain = RenderFormat.text(color: false, width: 100)
}

/// Anything that can show itself in each output format.
public protocol Renderable {
  /// The rendering in `format`. Text renderings must not end with a newline.
  func render(_ format: RenderFormat) -> String
}

/// A Renderable that is just text: shown verbatim in the terminal, as a code block in Markdown,
/// and inside `<pre>` in HTML.
public struct PlainText: Renderable, Sendable, Equatable {
  public var text: String
  public init(_ text: String) { self.text = text }

  public func render(_ format: RenderFormat) -> String {
    switch format {
    case .text: return text
    case .markdown: return "```\n" + text + "\n```"
    case .html: return "<pre class=\"out\">" + HTMLEscaping.escape(text) + "</pre>"
    }
  }
}

/// HTML escaping shared by every renderer.
public enum HTMLEscaping {
  /// Escapes `&`, `<`, `>`, `"` and `'` so that `text` is safe in element content and attributes.
  public static func escape(_ text: String) -> String {
    var out = ""
    out.reserveCapacity(text.utf8.count)
    for ch in text.unicodeScalars {
      switch ch {
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "\"": out += "&quot;"
      case "'": out += "&#39;"
      default: out.unicodeScalars.append(ch)
      }
    }
    return out
  }
}
