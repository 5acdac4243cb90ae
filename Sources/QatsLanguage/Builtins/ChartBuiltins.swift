import QatOutput
/// `table`, `plot` and `bars`: turn rows of records into a table or a chart value that shows in
/// the terminal as Unicode and in reports as SVG.
enum ChartBuiltins {
  static func all() -> [Builtin] { [table, plot, bars] }

  static let rowsHelp = "a table, a list of records, or anything with rows (`net.history`)"

  static var table: Builtin {
    Builtin(
      "table", topic: "charts",
      summary:
        """
        A table from a list of records (columns in first-seen order). Columns named accuracy show as %, delta as \
        points, …_bytes as KB/MB, …_us as µs, throughput as img/s.
        """,
      parameters: [
        .required("rows", .any, rowsHelp),
        .optional("title", .string, "a line shown above the table"),
      ], returns: "table"
    ) { call in
      let title: String? = call.isGiven("title") && !call.value("title").isNil ? call.string("title") : nil
      if case .object(let existing as TableValue) = call.value("rows") {
        guard let title else { return .object(existing) }
        return .object(
          TableValue(
            title: title, columns: existing.columns, rows: existing.rows,
            figures: existing.figures, notes: existing.notes))
      }
      return .object(
        TableValue(title: title, records: try ChartRows.from(call.value("rows"), call, argument: "rows").records))
    }
  }

  static var plot: Builtin {
    Builtin(
      "plot", topic: "charts",
      summary:
        """
        A line chart of column `y` against column `x` of a table or list of records: one line per `y` column, or \
        per distinct value of `by`. Accuracy columns are drawn as %, bits run from high to low, and rows at 32 bits \
        (fp32) are drawn as labelled reference lines.
        """,
      parameters: [
        .required("data", .any, rowsHelp),
        .required("x", .string, "the column along the horizontal axis (numbers)"),
        .required(
          "y", .oneOf([.string, .listOf(.string)]), "the column to draw, or a list of columns (one line each)"),
        .optional("by", .string, "a column whose distinct values each get their own line (e.g. \"method\")"),
        .optional("title", .string, "a title above the chart"),
      ], returns: "chart"
    ) { call in
      let rows = try ChartRows.from(call.value("data"), call, argument: "data")
      guard !rows.records.isEmpty else { throw call.error("`data` has no rows to plot", argument: "data") }
      let xName = call.string("x")
      let yNames: [String]
      if case .list(let items) = call.value("y") {
        yNames = items.map(\.displayString)
      } else {
        yNames = [call.string("y")]
      }
      guard !yNames.isEmpty else { throw call.error("`y` names no column", argument: "y") }
      let xs = try rows.numbers(xName, call, argument: "x")
      let ys = try yNames.map { try rows.numbers($0, call, argument: "y") }
      let byName: String? = call.value("by").isNil ? nil : call.string("by")
      var groups: [(String, [Int])] = [("", Array(rows.records.indices))]
      if let byName {
        try rows.require(byName, call, argument: "by")
        var order: [String] = [], members: [String: [Int]] = [:]
        for (i, r) in rows.records.enumerated() {
          let key = (r[byName] ?? .none).displayString
          if members[key] == nil { order.append(key) }
          members[key, default: []].append(i)
        }
        groups = order.map { ($0, members[$0] ?? []) }
      }

      var series: [ChartSeries] = []
      for (group, indices) in groups {
        for (yName, column) in zip(yNames, ys) {
          let points = indices.compactMap { i in xs[i].flatMap { x in column[i].map { ChartPoint(x: x, y: $0) } } }
          guard !points.isEmpty else { continue }
          let name = byName == nil ? yName : (yNames.count == 1 ? group : "\(group) \(yName)")
          series.append(ChartSeries(name: name, points: points))
        }
      }
      guard !series.isEmpty else {
        throw call.error(
          "no row has numbers in both `\(xName)` and `\(yNames.joined(separator: "`, `"))`", argument: "y")
      }
      let title: String? = call.value("title").isNil ? nil : call.string("title")
      return .object(
        ChartValue(
          LineChart(
            title: title, xLabel: xName, yLabel: yNames.joined(separator: ", "),
            xFormat: ColumnConvention.axisFormat(xName), yFormat: ColumnConvention.axisFormat(yNames[0]),
            series: ColumnConvention.referenceLines(series, x: xName),
            xDescending: ColumnConvention.descending(xName))))
    }
  }

  static var bars: Builtin {
    Builtin(
      "bars", topic: "charts",
      summary:
        """
        A horizontal bar chart: one bar per row (`label` and `value` columns), or one per field of a record of \
        numbers.
        """,
      parameters: [
        .required("data", .any, "a record of numbers, or " + rowsHelp),
        .optional("label", .string, "the column naming each bar (rows only)"),
        .optional("value", .string, "the column giving each bar's length (rows only)"),
        .optional("title", .string, "a title above the chart"),
      ], returns: "chart"
    ) { call in
      let title: String? = call.value("title").isNil ? nil : call.string("title")
      if case .record(let record) = call.value("data") {
        let items = try record.pairs.map { pair -> ChartBar in
          guard let v = pair.value.number else {
            throw call.error(
              "field `\(pair.key)` is \(BuiltinRegistry.describe(pair.value)), not a number", argument: "data")
          }
          return ChartBar(label: pair.key, value: v)
        }
        guard !items.isEmpty else { throw call.error("the record has no fields to draw", argument: "data") }
        return .object(ChartValue(BarChart(title: title, valueLabel: "value", bars: items)))
      }
      let rows = try ChartRows.from(call.value("data"), call, argument: "data")
      guard !rows.records.isEmpty else { throw call.error("`data` has no rows to draw", argument: "data") }
      guard !call.value("label").isNil, !call.value("value").isNil else {
        throw call.error(
          "name the columns: `label:` for the bar names and `value:` for their lengths",
          hint: "the columns are " + rows.columns.map { "`\($0)`" }.joined(separator: ", "))
      }
      let labelName = call.string("label"), valueName = call.string("value")
      try rows.require(labelName, call, argument: "label")
      let values = try rows.numbers(valueName, call, argument: "value")
      let items = zip(rows.records, values).compactMap { r, v in
        v.map { ChartBar(label: (r[labelName] ?? .none).displayString, value: $0) }
      }
      guard !items.isEmpty else { throw call.error("no row has a number in `\(valueName)`", argument: "value") }
      return .object(
        ChartValue(
          BarChart(
            title: title, valueLabel: valueName,
            format: ColumnConvention.axisFormat(valueName), bars: items)))
    }
  }
}
