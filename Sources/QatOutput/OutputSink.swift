/// Where a running program's output goes. The shell implements it to print and to record each
/// cell's outputs for the notebook; tests implement it to capture.
public protocol OutputSink: AnyObject {
  /// Shows `item` now (terminal) and records it as part of the running cell.
  func emit(_ item: any Renderable)
  /// Shows a transient status line (a progress bar), redrawn in place on a terminal and never
  /// recorded; nil clears it. Sinks that are not a terminal ignore it; a terminal fits it to its
  /// width with `ProgressLine.fitted(to:)`.
  func progress(_ line: ProgressLine?)
}

extension OutputSink {
  public func progress(_ line: ProgressLine?) {}

  /// A status line with nothing to keep but its text.
  public func progress(_ text: String) { progress(ProgressLine(lead: text)) }
}

/// An OutputSink that keeps everything, for tests and for capturing.
public final class CapturingOutput: OutputSink {
  /// Everything emitted so far, in order.
  public private(set) var items: [any Renderable] = []
  public init() {}
  public func emit(_ item: any Renderable) { items.append(item) }
  /// The plain-text rendering of everything emitted, one item per line.
  public var text: String { items.map { $0.render(.plain) }.joined(separator: "\n") }
}
