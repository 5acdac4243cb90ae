extension LineChart {
  /// What a line chart draws, shared by the terminal and the SVG drawing: each data series' points
  /// sorted by x, the reference levels, and the ranges they span. Reference series (fp32 over bits)
  /// take part in the y range only, so a row at "32 bits" does not squeeze the bits that matter
  /// into a corner. A chart of references alone draws them as ordinary lines.
  struct Plan {
    /// Per series, its drawable points sorted by x; empty for a reference series.
    var lines: [[ChartPoint]]
    /// Reference levels: the series and the y of each of its points.
    var references: [(series: Int, y: Double)]
    /// The x span of the data lines and the y span of everything; nil when nothing is drawable.
    var x: (min: Double, max: Double)?
    var y: (min: Double, max: Double)?
    /// The distinct x values of the data lines, ascending (candidate ticks).
    var xValues: [Double]
  }

  var plan: Plan {
    let drawable = series.map { s in s.points.filter { $0.x.isDrawable && $0.y.isDrawable }.sorted { $0.x < $1.x } }
    let hasData = series.indices.contains { !series[$0].reference && !drawable[$0].isEmpty }
    let isReference = series.map { hasData && $0.reference }
    let lines = drawable.indices.map { isReference[$0] ? [] : drawable[$0] }
    let references = drawable.indices.filter { isReference[$0] }.flatMap { s in drawable[s].map { (s, $0.y) } }
    let points = lines.flatMap { $0 }
    // Error bars widen the y range to their ends.
    let bars = points.compactMap { p in p.spread.flatMap { $0.isDrawable && $0 > 0 ? [p.y - $0, p.y + $0] : nil } }
    let ys = points.map(\.y) + references.map(\.1) + bars.flatMap { $0 }
    var plan = Plan(
      lines: lines, references: references, x: nil, y: nil, xValues: Array(Set(points.map(\.x))).sorted())
    if let xMin = points.map(\.x).min(), let xMax = points.map(\.x).max() { plan.x = (xMin, xMax) }
    if let yMin = ys.min(), let yMax = ys.max() { plan.y = (yMin, yMax) }
    return plan
  }

  /// The legend's entries: each series' name, and whether it is drawn as a reference line.
  var legendEntries: [(name: String, reference: Bool)] {
    let plan = self.plan
    let referenced = Set(plan.references.map(\.series))
    return series.indices.map { (series[$0].name, referenced.contains($0)) }
  }
}
