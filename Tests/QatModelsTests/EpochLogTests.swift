import Testing

@testable import QatModels

/// `EpochLog`: which epochs of a long run get a line.
@Suite struct EpochLogTests {
  @Test(arguments: [1, 7, 100])
  func shortRunsAreListedInFull(epochs: Int) {
    let log = EpochLog(epochs: epochs)
    #expect(log.every == 1 && log.note == nil)
    #expect((1...epochs).allSatisfy(log.shows))
  }

  @Test(arguments: [101, 150, 250, 999, 1000, 1001, 12_345, 1_000_000])
  func condensedLogsHaveFiftyToAHundredLinesWithTheFirstAndTheLast(epochs: Int) {
    let log = EpochLog(epochs: epochs)
    let shown = (1...epochs).filter(log.shows)
    #expect((50...102).contains(shown.count), "\(epochs) epochs: \(shown.count) lines")
    #expect(shown.first == 1 && shown.last == epochs)
    #expect([2, 5, 10, 20, 50, 100, 200, 500, 1000, 10_000].contains(log.every))
  }

  @Test func theNoteNamesTheStride() {
    #expect(EpochLog(epochs: 250).note == "250 epochs: printing every 5th epoch, the first and the last")
    #expect(EpochLog(epochs: 150).note == "150 epochs: printing every 2nd epoch, the first and the last")
    #expect(EpochLog(epochs: 12_345).note == "12,345 epochs: printing every 200th epoch, the first and the last")
    #expect(EpochLog.ordinal(11) == "11th" && EpochLog.ordinal(21) == "21st" && EpochLog.ordinal(3) == "3rd")
  }
}
