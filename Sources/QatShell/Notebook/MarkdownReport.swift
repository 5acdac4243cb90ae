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

  /// One file that a Markdown report refers to: a chart as SVG or a thumbnail as PNG.
  public struct FigureFile: Sendable, Equatable {
    /// The file name inside the figure directory, e.g. `figure-1.svg` or `image-1.png`.
    public let name: String
    /// The complete file contents.
    public let bytes: [UInt8]

    /// An SVG (or other text) file.
    public init(name: String, contents: String) {
      self.name = name
      self.bytes = Array(contents.utf8)
    }

    /// A binary file such as a PNG.
    public init(name: String, bytes: [UInt8]) {
      self.name = name
      self.bytes = bytes
    }

    /// The contents read as UTF-8 text (`Figure.svgFile()` for a chart).
    public var contents: String { String(decoding: bytes, as: UTF8.self) }
  }

  /// The document, with every figure among the cells' outputs (also those inside tables and
  /// other composites) replaced by `![alt](figureDirectory/figure-n.svg)`, every thumbnail by
  /// `![label](figureDirectory/image-n.png)`, and the files to write there, numbered from 1 in
  /// document order.
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
          } else if let directory = figureDirectory, let images = item as? any ImageFigure {
            blocks.append(imageBlock(images, directory: directory, files: &figures))
          } else {
            blocks.append(contained(item.render(.markdown)))
          }
        }
        if let error = cell.error {
          blocks.append(fenced(error, info: "text"))
        }
      }
    }
    return (blocks.joined(separator: "\n\n") + "\n", figures)
  }

  /// Thumbnails as `image-N.png` files (numbered on from the report's earlier pictures of any
  /// kind), linked side by side under the grid's title.
  private static func imageBlock(_ images: any ImageFigure, directory: String, files: inout [FigureFile]) -> String {
    var links: [String] = []
    for image in images.pngImages() {
      let name = "image-\(files.count + 1).png"
      files.append(FigureFile(name: name, bytes: image.png))
      links.append("![\(escapeAlt(image.label))](\(linkPath(directory + "/" + name)))")
    }
    let title = images.imageTitle.map { escapeInline(singleLine($0)) + "\n\n" } ?? ""
    return title + (links.isEmpty ? "*(no images)*" : links.joined(separator: " "))
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

  /// An output's Markdown as the report embeds it: whatever the output holds (a string with
  /// ```` ``` ```` in it, `<script>`, a file or class name), nothing after it can end up inside a
  /// code block, and no raw HTML reaches the page.
  ///
  /// - Text that an output puts in a code block with a fixed ```` ``` ```` fence (its last line,
  ///   opened by the first line that is exactly ```` ``` ````) is fenced again with `fenced`,
  ///   whose fence is longer than any backtick run inside.
  /// - Outside code blocks every `<` is written `&lt;`, so no tag, comment or autolink starts.
  ///   (Inside a code span that shows as `&lt;`: a rare, visible and harmless cost.)
  /// - A code block the output leaves open is closed.
  static func contained(_ markdown: String) -> String {
    let lines = markdown.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    if lines.count >= 2, lines[lines.count - 1] == "```", let open = lines.firstIndex(of: "```"),
      open < lines.count - 1
    {
      let code = lines[(open + 1)..<(lines.count - 1)].joined(separator: "\n")
      let head = lines[..<open]
      return (head.isEmpty ? "" : outsideCode(Array(head)) + "\n") + fenced(code)
    }
    return outsideCode(lines)
  }

  /// `lines` with `<` escaped outside fenced code blocks (CommonMark's rules: a fence of three or
  /// more backticks or tildes, indented at most three spaces, closed by a longer or equal run of
  /// the same character alone on its line), and a block left open closed at the end.
  static func outsideCode(_ lines: [String]) -> String {
    var out: [String] = []
    var fence: (character: Character, length: Int)? = nil
    for line in lines {
      let indent = line.prefix { $0 == " " }.count
      let body = line.dropFirst(indent)
      let run = body.prefix { $0 == body.first }
      let isFenceRun = indent <= 3 && run.count >= 3 && (run.first == "`" || run.first == "~")
      if let open = fence {
        out.append(line)
        if isFenceRun, run.first == open.character, run.count >= open.length,
          body.dropFirst(run.count).allSatisfy({ $0 == " " || $0 == "\t" })
        {
          fence = nil
        }
        continue
      }
      if isFenceRun, let character = run.first, !(character == "`" && body.dropFirst(run.count).contains("`")) {
        fence = (character, run.count)
        out.append(line)
        continue
      }
      out.append(line.replacingOccurrences(of: "<", with: "&lt;"))
    }
    if let open = fence { out.append(String(repeating: open.character, count: open.length)) }
    return out.joined(separator: "\n")
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
