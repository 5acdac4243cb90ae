extension LineChart {
  /// The terminal cells that get a marker, keyed by `row * columns + column`. With more points than
  /// fit, every k-th point is marked so the series stay distinguishable without colour but the
  /// line is not buried. Where two series' points fall in one cell, the later marker moves to the
  /// nearest free cell beside it (right, left, above, below), so neither hides the other.
  func markerCells(
    _ lines: [[ChartPoint]], columns: Int, rows: Int, cell: (ChartPoint) -> (column: Int, row: Int)
  ) -> [Int: (Character, Int)] {
    var markers: [Int: (Character, Int)] = [:]
    for (s, line) in lines.enumerated() {
      let every = max(1, Int((Double(line.count) / Double(max(1, columns / 3))).rounded(.up)))
      for (i, p) in line.enumerated() where i % every == 0 || i == line.count - 1 {
        let (c, r) = cell(p)
        let nearby = [(c, r), (c + 1, r), (c - 1, r), (c, r - 1), (c, r + 1), (c + 2, r), (c - 2, r)]
        for (column, row) in nearby where column >= 0 && column < columns && row >= 0 && row < rows {
          let key = row * columns + column
          if let taken = markers[key] {
            if taken.1 == s { break }  // this series is already marked here
            continue
          }
          markers[key] = (ChartPalette.marker(s), s)
          break
        }
      }
    }
    return markers
  }

  /// Writes a reference line's label at the right end of its row, or else at the left end, where
  /// it covers only empty cells and the reference's own dashes; where neither fits, the legend
  /// alone names it.
  func placeReferenceLabel(
    _ text: String, series: Int, in row: inout TextRow, row r: Int, plotStart: Int, canvas: BrailleCanvas,
    markers: [Int: (Character, Int)]
  ) {
    let references = Set(plan.references.map(\.series))
    let label = " " + text + " "
    guard label.count <= canvas.columns else { return }
    func free(_ start: Int) -> Bool {
      (start..<(start + label.count)).allSatisfy { c in
        markers[r * canvas.columns + c] == nil && (canvas.cell(c, r).map { references.contains($0.1) } ?? true)
      }
    }
    for start in [canvas.columns - label.count, 0] where free(start) {
      row.put(label, at: plotStart + start, style: .series(series))
      return
    }
  }
}
