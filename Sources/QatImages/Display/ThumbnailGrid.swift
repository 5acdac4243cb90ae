/// Thumbnails laid out left to right with a label under each, wrapping to the terminal width.
public struct ThumbnailGrid {
  public var cells: [(label: String, image: PixelImage)]
  public var gap: Int

  public init(cells: [(label: String, image: PixelImage)], gap: Int = 2) {
    self.cells = cells
    self.gap = max(0, gap)
  }

  /// The grid as lines no wider than `width` visible columns (at least one thumbnail per row).
  public func lines(color: Bool, width: Int) -> [String] {
    var out: [String] = []
    var row: [(label: String, image: PixelImage)] = []
    var used = 0
    for cell in cells {
      let needed = (row.isEmpty ? 0 : gap) + cell.image.width
      if !row.isEmpty && used + needed > width {
        out += render(row, color: color)
        row = []
        used = 0
      }
      used += row.isEmpty ? cell.image.width : gap + cell.image.width
      row.append(cell)
    }
    if !row.isEmpty { out += render(row, color: color) }
    return out
  }

  private func render(_ row: [(label: String, image: PixelImage)], color: Bool) -> [String] {
    let blocks = row.map { HalfBlocks.lines($0.image, color: color) }
    let height = blocks.map(\.count).max() ?? 0
    let spacer = String(repeating: " ", count: gap)
    var lines: [String] = []
    for y in 0..<height {
      let parts = zip(row, blocks).map { cell, block in
        y < block.count ? block[y] : String(repeating: " ", count: cell.image.width)
      }
      lines.append(parts.joined(separator: spacer))
    }
    let labels = row.map { cell in Self.fit(cell.label, to: cell.image.width) }.joined(separator: spacer)
    lines.append(labels)
    return color ? lines : lines.map { Self.trimmingTrailingSpaces($0) }
  }

  /// `label` left-aligned in `width` columns, cut with "…" if too long.
  static func fit(_ label: String, to width: Int) -> String {
    if label.count <= width { return label + String(repeating: " ", count: width - label.count) }
    return width <= 1 ? String(label.prefix(width)) : String(label.prefix(width - 1)) + "…"
  }

  static func trimmingTrailingSpaces(_ s: String) -> String {
    var s = s
    while s.last == " " { s.removeLast() }
    return s
  }

  /// Columns a line occupies on screen: ANSI escape sequences take none.
  public static func visibleWidth(_ line: String) -> Int {
    var width = 0, inEscape = false
    for scalar in line.unicodeScalars {
      if inEscape {
        if (0x40...0x7E).contains(scalar.value) && scalar != "[" { inEscape = false }
      } else if scalar == "\u{1B}" {
        inEscape = true
      } else {
        width += 1
      }
    }
    return width
  }
}
