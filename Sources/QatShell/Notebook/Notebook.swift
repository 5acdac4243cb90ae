import QatOutput
import QatsLanguage

/// One block of a notebook, in the order it happened.
public enum NotebookEntry {
  /// Markdown narrative from a script's `##` lines, already stripped of the leading `## `;
  /// consecutive lines are joined with `\n`.
  case narrative(String)
  /// One numbered cell: its input, what it showed, and its error if it failed.
  case cell(NotebookCell)
}

/// One numbered cell of a session or a script run.
public struct NotebookCell {
  /// The cell number shown as `[n]`, 1-based.
  public var number: Int
  /// The source text of the cell; may span several lines.
  public var input: String
  /// Everything the cell showed, in order.
  public var outputs: [any Renderable]
  /// The rendered, located error message (plain text) if the cell failed.
  public var error: String?
  /// The quantization mode (`"ptq"` or `"qat"`) when the cell ran, shown in the prompt label.
  public var mode: String

  /// Creates a cell; outputs and error are usually added later through the `Notebook`.
  public init(
    number: Int, input: String, outputs: [any Renderable] = [], error: String? = nil, mode: String
  ) {
    self.number = number
    self.input = input
    self.outputs = outputs
    self.error = error
    self.mode = mode
  }

  /// The prompt label, e.g. `[3] ptq>`, shared by every report format so they agree.
  public var label: String { "[\(number)] \(mode)>" }
}

/// The record of a session or a script run: narrative and numbered cells, in order.
///
/// The shell fills it as cells run (`beginCell`, then `appendOutput`/`failCurrentCell`), and
/// `HTMLReport`/`MarkdownReport` turn it into a document. Not thread-safe: it belongs to the one
/// session that runs the cells.
public final class Notebook {
  /// The document title (usually the script's file name, or "qat-repl session").
  public var title: String
  /// Everything recorded so far, in order.
  public private(set) var entries: [NotebookEntry] = []
  /// Index in `entries` of the cell that outputs go to; nil before the first cell.
  // An index rather than "the last entry" because narrative may follow a cell that still
  // receives output, and entries are only ever appended (or all removed by `reset`).
  private var currentIndex: Int?
  private var cells = 0

  /// Creates an empty notebook.
  public init(title: String) {
    self.title = title
  }

  /// The number of cells begun so far.
  public var cellCount: Int { cells }

  /// Adds Markdown narrative; merges with a directly preceding narrative entry (joined with `\n`)
  /// so that a run of `##` lines becomes one block.
  public func addNarrative(_ markdown: String) {
    if case .narrative(let previous)? = entries.last {
      entries[entries.count - 1] = .narrative(previous + "\n" + markdown)
    } else {
      entries.append(.narrative(markdown))
    }
  }

  /// Starts a new cell and makes it the current one.
  /// - Parameters:
  ///   - input: the cell's source text.
  ///   - mode: the quantization mode in force when it runs (`"ptq"` or `"qat"`).
  /// - Returns: the new cell's number (1-based).
  @discardableResult
  public func beginCell(input: String, mode: String) -> Int {
    cells += 1
    entries.append(.cell(NotebookCell(number: cells, input: input, mode: mode)))
    currentIndex = entries.count - 1
    return cells
  }

  /// Records `item` as an output of the current cell. Ignored before the first cell, because
  /// there is nothing to attach it to (the shell always begins a cell before running code).
  /// Consecutive plain-text outputs (a loop of `print`s) merge into one block, so a report shows
  /// them as one piece of text rather than a stack of separate boxes.
  public func appendOutput(_ item: any Renderable) {
    updateCurrentCell { cell in
      if let text = item as? PlainText, let previous = cell.outputs.last as? PlainText {
        cell.outputs[cell.outputs.count - 1] = PlainText(previous.text + "\n" + text.text)
      } else {
        cell.outputs.append(item)
      }
    }
  }

  /// Marks the current cell as failed with `error` (plain text). A second error on the same
  /// cell is appended on a new line rather than replacing the first, so nothing is lost.
  /// Ignored before the first cell.
  public func failCurrentCell(error: String) {
    updateCurrentCell { cell in
      if let previous = cell.error {
        cell.error = previous + "\n" + error
      } else {
        cell.error = error
      }
    }
  }

  /// A copy without the cells that failed, for `:export --no-errors`: narrative and the other
  /// cells are kept with their numbers, so `[4]` in the report is still cell 4 of the session.
  public func withoutFailedCells() -> Notebook {
    let copy = Notebook(title: title)
    copy.entries = entries.filter { entry in
      if case .cell(let cell) = entry { return cell.error == nil }
      return true
    }
    copy.cells = cells
    return copy
  }

  /// Removes every entry and restarts cell numbering at 1; the title is kept.
  public func reset() {
    entries.removeAll()
    currentIndex = nil
    cells = 0
  }

  private func updateCurrentCell(_ change: (inout NotebookCell) -> Void) {
    guard let index = currentIndex, entries.indices.contains(index),
      case .cell(var cell) = entries[index]
    else { return }
    // Drop the entry's reference first so the cell's arrays are uniquely owned and appending
    // does not copy them each time.
    entries[index] = .narrative("")
    change(&cell)
    entries[index] = .cell(cell)
  }
}
