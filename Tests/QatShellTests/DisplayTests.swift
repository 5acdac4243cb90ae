import Foundation
import QatShell
import QatSupport
import QatsLanguage
import Testing

/// Values as a learner reads them: `display` and `print` of host objects, `_` / `_N` / `Out[N]`,
/// float32 numbers, long lists, losses and the one minus sign.
@Suite struct DisplayTests {
  static let tableText = "t = table([{a: 1, b: 2.5}, {a: 3, b: -4.0}])"

  @Test func displayShowsATableInFullInsideLoopsAndFunctions() {
    let s = CapturedSession()
    s.input(Self.tableText)
    let cell = s.input("t")
    #expect(cell.contains("-4"), "\(cell)")
    // In a loop and in a function, each `display` shows what the cell would show.
    #expect(s.input("for i in range(2) { display(t) }") == cell + cell)
    #expect(s.input("fn show(x) { display(x) }", "show(t)") == cell)
    // Plain values display as `print` shows them.
    #expect(s.input("display(\"text\", [1, 2])") == "text\n[1, 2]\n")
  }

  @Test func printOfATableShowsTheTableNotItsSummary() {
    let s = CapturedSession()
    s.input(Self.tableText)
    let cell = s.input("t")
    let printed = s.input("print(t)")
    #expect(printed == cell)
    #expect(!printed.contains("<table"))
    // Text around it keeps its separator, on lines of its own.
    #expect(s.input("print(\"rows:\", 2, t, \"end\")") == "rows: 2\n" + cell + "end\n")
    #expect(s.input("print()") == "\n")
    #expect(s.input("print(1, 2, sep: \"-\")") == "1-2\n")
  }

  @Test func underscoreIsTheLastShownValueAndUnderscoreNTheValueOfCellN() {
    let s = CapturedSession()
    #expect(s.input("_").contains("no cell has shown one yet"))
    s.input("1 + 2")  // cell 2 (cell 1 failed)
    s.input("x = 10")  // cell 3 shows nothing
    #expect(s.input("_ * 2") == "6\n")  // cell 4
    #expect(s.input("_") == "6\n")
    #expect(s.input("_2 + _4") == "9\n")
    #expect(s.input("Out[2]") == "3\n")
    let missing = s.input("_3")
    #expect(missing.contains("`_3`: cell 3 showed no value") && missing.contains("cells that showed a value: 2, 4"))
    #expect(s.input("Out[99]").contains("there is no cell 99 yet"))
    #expect(s.input("Out[-1]").contains("cells are numbered from 1"))
    #expect(s.input("Out").hasPrefix("the values of 6 cells; `Out[3]` is cell 3's"))  // cells 2, 4–7 and this one
    #expect(s.input("_99999999999999999999999").contains("unknown name"))
    // A variable the user names `_` wins.
    #expect(s.input("_ = \"mine\"", "_", "_") == "mine\nmine\n")
    s.session.reset()
    #expect(s.input("_2").contains("no cell has shown a value yet"))
  }

  @Test func float32NumbersPrintWithFloat32Precision() {
    func shown(_ x: Float) -> String { Value.float32(x).repr }
    #expect(shown(0.1) == "0.1")
    #expect(shown(Float(2) / 255) == "0.007843138")
    #expect(shown(-0.80235296) == "-0.80235296")
    #expect(shown(16_777_216) == "16777216.0" && shown(1e10) == "10000000000.0")
    #expect(shown(.infinity) == "inf" && shown(.nan) == "nan")
    // Fake-quantized values from the engine.
    let s = CapturedSession()
    #expect(s.input("fake_quant([0.1, 0.5, 2.0], scale: 0.1, zero_point: 0)") == "[0.1, 0.5, 2.0]\n")
    // What is printed reads back as the same float32.
    var random = SeededRandom(seed: 7)
    for _ in 0..<10_000 {
      let x = Float(bitPattern: UInt32(truncatingIfNeeded: random.next()))
      guard x.isFinite, case .float(let d) = Value.float32(x) else { continue }
      #expect(Float(d) == x && Float(shown(x)) == x)
    }
  }

  @Test func tensorValuesPrintWithFloat32Precision() {
    let s = CapturedSession()
    s.input(
      "d = images(\"\(repoRoot.appendingPathComponent("samples/digits").path)\")",
      "net = model(d) { flatten(); dense(10) }")
    let values = s.input("net.layers[1].weight.values")
    #expect(values.hasPrefix("[") && values.hasSuffix("]\n"), "\(values)")
    // Kaiming-uniform weights are float32: at most 9 significant digits each, none of the 16–17 a
    // double would need.
    let numbers = values.dropFirst().dropLast(2).split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
    #expect(numbers.count == 640)
    #expect(numbers.allSatisfy { $0.count <= 15 && Float($0) != nil }, "\(values)")
  }

  @Test func longListsAreElidedWithTheirCount() {
    let s = CapturedSession()
    #expect(s.input("range(2000)") == "[0, 1, 2, …, 1997, 1998, 1999] (2,000 items)\n")
    let thousand = s.input("range(1000)")
    #expect(thousand.hasSuffix(", 998, 999]\n") && !thousand.contains("…"))
    #expect(s.input("[range(1001)]") == "[[0, 1, 2, …, 998, 999, 1000] (1,001 items)]\n")
  }

  @Test func lossesPrintWithFourSignificantDigits() {
    #expect(Units.loss(0.59674) == "0.5967" && Units.loss(0.169) == "0.1690")
    #expect(Units.loss(0.00081274) == "0.0008127" && Units.loss(0.0000123456) == "1.235e-05")
    #expect(Units.loss(1.5e30) == "1.500e+30")
    #expect(Units.loss(0) == "0.000")
    #expect(Units.loss(.nan) == "NaN" && Units.loss(.infinity) == "inf")
  }

  @Test func theLexerReadsTheUnicodeMinusAsMinus() {
    let s = CapturedSession()
    #expect(s.input("5 \u{2212} 3") == "2\n")
    #expect(s.input("\u{2212}1.5") == "-1.5\n")
    #expect(s.input("1e\u{2212}3") == "0.001\n")
    #expect(s.input("x = 4", "x \u{2212}= 1", "x") == "3\n")
    // Inside a string it stays as written.
    #expect(s.input("\"a \u{2212} b\"") == "a \u{2212} b\n")
  }
}
