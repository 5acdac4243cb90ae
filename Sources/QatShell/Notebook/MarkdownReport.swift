import Foundation
import QatOutput
import QatsLanguage

/// Renders a notebook as GitHub-flavoured Markdown.
public enum MarkdownReport {
  /// The whole document for `notebook`: `# title`, the generator line, then narrative verbatim
  /// and each cell as a `**[n]** ptq>` label, a ```` ```qats ```` input block, its outputs
  /// (`render(.markdown)`) and its error in a fenced block. Figures are drawn as text in code
  /// blocks; `render(_:generator:figureDirectory:)` makes them SVG files instead.
  /// - Parameters:
  ///   - notebook: the narrative and cells to show.
  ///   - generator: a line naming what made the report, e.g. `qat-repl 0.1 · seed 42`.
  /// - Returns: the Markdown text, ending with a newline.
  public static func render(_ notebook: Notebook, generator: String) -> String {
    render(notebook, generator: generator, figureDirectory: nil).text
  }

  /// One SVG file that a Markdown report refers to.
  public struct FigureFile: Sendable, Equatable {
    /// The file name inside the figure directory, e.g. `figure-1.svg`.
    public let name: String
    /// The complete file contents (`Figure.svgFile()`).
    public let contents: String
  }

  /// The document, with every figure among the cells' outputs (also those inside tables and
  /// other composites) replaced by `![alt](figureDirectory/figure-n.svg)`, and the files to
  /// write there, numbered from 1 in document order.
  /// - Parameter figureDirectory: the directory relative to the report, e.g. `report-figures`;
  ///   nil draws figures as text in code blocks and returns no files.
  public static func render(_ notebook: Notebook, generator: String, figureDirectory: String?)
    -> (text: String, figures: [FigureFile])
  {
    // Blocks are separated by blank lines so that tables, lists and fences stay separate.
    var blocks: [String] = []
    var figures: [FigureFile] = []
    blocks.append("# " + escapeInline(singleLine(notebook.title)))
    blocks.append("*" + escapeInline(singleLine(generator)) + "*")
    for entry in notebook.entries {
      switch entry {
      case .narrative(let markdown):
        blocks.append(markdown)
      case .cell(let cell):
        blocks.append("**[\(cell.number)]** \(escapeInline(singleLine(cell.mode)))>")
        blocks.append(fenced(cell.input, info: "qats"))
        for item in cell.outputs.flatMap(ReportParts.flatten) {
          if let directory = figureDirectory, let figure = item as? any Figure {
            let name = "figure-\(figures.count + 1).svg"
            figures.append(FigureFile(name: name, contents: figure.svgFile()))
            blocks.append("![\(escapeAlt(figure.altText))](\(linkPath(directory + "/" + name)))")
          } else {
            blocks.append(item.render(.markdown))
          }
        }
        if let error = cell.error {
          blocks.append(fenced(error, info: "text"))
        }
      }
    }
    return (blocks.joined(separator: "\n\n") + "\n", figures)
  }

  /// Alt text stays on one line and cannot close the `[…]`.
  private static func escapeAlt(_ text: String) -> String {
    var out = ""
    for ch in singleLine(text) {
      if "\\[]".contains(ch) { out.append("\\") }
      out.append(ch)
    }
    return out
  }

  /// A relative link target with spaces, parentheses and non-ASCII percent-encoded, so any
  /// report name makes a working link.
  static func linkPath(_ path: String) -> String {
    var out = ""
    for byte in path.utf8 {
      let safe =
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
        || "-_.~/".utf8.contains(byte)
      out += safe ? String(UnicodeScalar(byte)) : String(format: "%%%02X", byte)
    }
    return out
  }

  /// `text` in a fenced code block whose fence is longer than any backtick run inside it,
  /// so content holding ```` ``` ```` cannot close the block early.
  public static func fenced(_ text: String, info: String = "") -> String {
    var longest = 0
    var run = 0
    for ch in text {
      if ch == "`" {
        run += 1
        longest = max(longest, run)
      } else {
        run = 0
      }
    }
    let fence = String(repeating: "`", count: max(3, longest + 1))
    return fence + info + "\n" + text + "\n" + fence
  }

  /// Titles and labels must stay on one line: a newline there would end the heading.
  private static func singleLine(_ text: String) -> String {
    String(text.map { $0.isNewline ? " " : $0 })
  }

  /// Backslash-escapes the characters that would start emphasis, code, links or raw HTML, so a
  /// title, generator line or mode shows literally. `_` is left alone: GFM ignores it inside
  /// words, and file names such as `my_demo.qats` read better unescaped.
  private static func escapeInline(_ text: String) -> String {
    var out = ""
    for ch in text {
      if "\\`*[]<>".contains(ch) { out.append("\\") }
      out.append(ch)
    }
    return out
  }
}
