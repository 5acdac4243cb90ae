/// Figures that belong together (a loss curve and an accuracy curve), shown side by side in a
/// terminal wide enough for both and one under the other otherwise. Reports flatten it like any
/// composite, so each figure still becomes its own SVG.
public struct FigureRow: CompositeRenderable {
  public var figures: [any Figure]
  /// The narrowest a figure may be drawn before the row falls back to stacking.
  public var minimumWidth: Int

  public init(_ figures: [any Figure], minimumWidth: Int = 36) {
    self.figures = figures
    self.minimumWidth = minimumWidth
  }

  public var parts: [any Renderable] { figures }

  public func render(_ format: RenderFormat) -> String {
    guard case .text(let color, let width) = format, figures.count > 1 else {
      return RenderableGroup(parts).render(format)
    }
    let gap = 3
    let each = (width - gap * (figures.count - 1)) / figures.count
    guard each >= minimumWidth else { return RenderableGroup(parts).render(format) }
    // Lay each figure out at its share of the width, then pad every line (by its visible width,
    // escapes excluded) so the next figure's column starts at the same place on every row.
    let blocks = figures.map {
      $0.render(.text(color: color, width: each)).split(separator: "\n", omittingEmptySubsequences: false).map(
        String.init)
    }
    let height = blocks.map(\.count).max() ?? 0
    var lines: [String] = []
    for r in 0..<height {
      var line = ""
      for (i, block) in blocks.enumerated() {
        let piece = r < block.count ? block[r] : ""
        if i < blocks.count - 1 {
          line += piece + String(repeating: " ", count: max(0, each - ANSIText.visibleWidth(piece)) + gap)
        } else {
          line += piece
        }
      }
      while line.hasSuffix(" ") { line.removeLast() }
      lines.append(line)
    }
    return lines.joined(separator: "\n")
  }
}
