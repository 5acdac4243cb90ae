import Testing
@testable import QatsLanguage

/// The table value: cell formats with units, rows and columns as values, and what `json`/CSV see.
@Suite struct TableValueTests {
  @Test func cellsCarryTheirUnits() {
    #expect(TableValue.format(.float(0.98611), .percent) == "98.61 %")
    #expect(TableValue.format(.float(-0.0028), .points) == "-0.28")
    #expect(TableValue.format(.float(0.0028), .points) == "+0.28")
    #expect(TableValue.format(.float(-0.00001), .points) == "0.00", "no sign on a difference that rounds to zero")
    #expect(TableValue.format(.int(-3), .signedCount) == "-3")
    #expect(TableValue.format(.int(2), .signedCount) == "+2")
    #expect(TableValue.format(.int(0), .signedCount) == "0")
    #expect(TableValue.format(.float(1.74), .microseconds) == "1.74 µs")
    #expect(TableValue.format(.float(1.52e6), .imageRate) == "1.52 M img/s")
    #expect(TableValue.format(.int(7303), .bytes) == "7.30 KB")
    #expect(TableValue.format(.float(31.96), .decibels) == "32.0 dB")
    #expect(TableValue.format(.float(2.5), .fixed(3)) == "2.500")
    #expect(TableValue.format(.none, .percent) == "—")
    #expect(TableValue.format(.string("ptq"), .percent) == "ptq", "text is shown as it is")
  }

  func sample() -> TableValue {
    TableValue(
      columns: [.init("method"), .init("bits"), .init("accuracy", format: .percent)],
      rows: [
        Record([("method", .string("ptq")), ("bits", .int(8)), ("accuracy", .float(0.9861))]),
        Record([("method", .string("qat")), ("bits", .int(2)), ("accuracy", .float(0.8889))]),
      ],
      notes: ["360 test images"])
  }

  @Test func rendersAlignedWithNumbersOnTheRight() {
    #expect(
      sample().render(.plain) == """
          method  bits  accuracy
          ptq        8   98.61 %
          qat        2   88.89 %
        360 test images
        """)
    #expect(sample().summary == "table: 2 rows × 3 columns (method, bits, accuracy)")
  }

  @Test func rowsAndColumnsAreValues() throws {
    let t = sample()
    #expect(try t.member("count").map { $0.repr } == "2")
    #expect(try t.member("bits").map { $0.repr } == "[8, 2]")
    #expect(try t.index(.int(-1)).map { $0.repr } == "{method: \"qat\", bits: 2, accuracy: 0.8889}")
    #expect(try t.index(.string("method")).map { $0.repr } == "[\"ptq\", \"qat\"]")
    #expect(throws: QatsError.self) { try t.index(.int(2)) }
    #expect(throws: QatsError.self) { try t.index(.string("latency")) }
    #expect(
      t.plainValue().map { $0.repr }
        == "[{method: \"ptq\", bits: 8, accuracy: 0.9861}, {method: \"qat\", bits: 2, accuracy: 0.8889}]")
  }

  @Test func recordsMakeColumnsInFirstSeenOrder() {
    let t = TableValue(records: [Record([("a", .int(1))]), Record([("b", .int(2)), ("a", .int(3))])])
    #expect(t.columns.map(\.key) == ["a", "b"])
    #expect(t.render(.plain) == "  a  b\n  1  —\n  3  2")
  }
}
