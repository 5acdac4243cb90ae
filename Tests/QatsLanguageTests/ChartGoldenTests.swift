import Foundation
import Testing
@testable import QatsLanguage

/// The terminal drawing of each chart kind, exactly, at a wide and a narrow width.
///
/// To regenerate after an intended change: `QAT_PRINT_CHARTS=1 swift test --filter
/// ChartGoldenTests/printCharts`, check the printed charts by eye, and paste them here.
@Suite struct ChartGoldenTests {
  static let goldens: [(String, Int, String)] = [
    (
      "sweep", 100,
      #"""
      accuracy against bits
      accuracy
      100 % ┤●■⠒⠒⠒⠒⠒⠒⠒⠒⠒⠒⠒⠒⠒⠒⠒⠒⠒⠒⠒⠒⠒⠒⠒⠒⠒⠒⠒⠒⠒●■⠒⠒⠒⠒⠒⠒⠒⠒⠒⠒⠒⠒⠒⠲⠶⠶⠶⠶⠶⠶⠶⠶⠶⠶⠶⠶⠶⠶●■⣒⣒⡒⠒⠒⠒⠢⠤⠤⠤⠤⠤⠤⠤■⠤⣀⣀⣀⣀
            │                                                                 ⠈⠉⠉⠒⠒⠒⠤⠤⢄⣀⣀       ⠉⠉⠉⠉⠒⠒⠒⠒⠤■
       75 % ┤                                                                            ⠉●⠢⣀
            │                                                                                ⠑⠢⢄
            │                                                                                   ⠉⠢⢄
       50 % ┤                                                                                      ⠉⠢⢄⡀
            │                                                                                         ⠈⠒⢄⡀
       25 % ┤                                                                                            ●
            └┬──────────────────────────────┬─────────────────────────────┬───────────────┬──────────────┬
             8                              6                             4               3              2
                                                         bits
             ● ptq   ■ qat
      """#
    ),
    (
      "sweep", 40,
      #"""
      accuracy against bits
      accuracy
      100 % ┤●■⠛⠛⠛⠛⠒⠒⠒⠒⠒●■⠒⠒⠒⠲⠶⠶⠶⠶●■⡒⠒⠒⠒■⠤⢄⡀
            │                       ⠈⠑⠢⢄●  ⠈⠉■
       75 % ┤                           ⠘⢄
            │                            ⠈⢢
       50 % ┤                              ⠣⡀
            │                               ⠑⡄
       25 % ┤                                ●
            └┬──────────┬─────────┬─────┬────┬
             8          6         4     3    2
                           bits
             ● ptq   ■ qat
      """#
    ),
    (
      "loss", 100,
      #"""
      loss
      0.6 ┤●⢄
          │  ⠑⢄
      0.4 ┤    ⠑⢄
          │      ⠑⢄
          │        ⠑⢄
      0.2 ┤          ⠑⢄
          │            ⠑●⣀⣀
      0.0 ┤                ⠉⠉⠉⠉⠑⠒⠒⠒⠒⠤⠤●⠤⠤⠤⠤⠤⠤⠤⠤⠤⠤⠤⠤●⠤⠤⠤⠤⠤⠤⠤⠤⠤⠤⠤⠤⠤●⠤⠤⠤⠤⠤⠤⣀⣀⣀⣀⣀⣀●⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀●⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀●
          └┬────────────┬─────────────┬────────────┬─────────────┬────────────┬─────────────┬────────────┬
           1            2             3            4             5            6             7            8
                                                        epoch
      """#
    ),
    (
      "loss", 40,
      #"""
      loss
      0.6 ┤●
          │ ⢣
      0.4 ┤ ⠈⢆
          │  ⠈⢆
      0.2 ┤   ⠘⡄
          │    ⠘●
      0.0 ┤      ⠉⠑⠒⠢●⠤⠤⠤⠤●⠤⢄⣀●⣀⣀⣀⣀●⣀⣀⣀⣀●⣀⣀⣀⣀●
          └┬────┬────┬────┬───┬────┬────┬────┬
           1    2    3    4   5    6    7    8
                          epoch
      """#
    ),
    (
      "sensitivity", 100,
      #"""
      accuracy drop when one layer is 4-bit
                                                                                          drop
        conv1       │█████████████████████████████████████████████████████████████████  4.20 %  -15 images
        conv2       │█████████████████                                                  1.10 %  -4 images
        dense       │████▍                                                              0.28 %
        fc_out  ████│                                                                  -0.28 %  +1 image
      """#
    ),
    (
      "sensitivity", 40,
      #"""
      accuracy drop when one layer is 4-bit
                              drop
        conv1    │████████  4.20 %  -15 images
        conv2    │██▏       1.10 %  -4 images
        dense    │▌         0.28 %
        fc_out  █│         -0.28 %  +1 image
      """#
    ),
    (
      "weights", 100,
      #"""
      conv1 weights
      count
      400 ┤                                         ▁▂▅▅▇███▇▅▅▂▁
          │                                      ▄▄▇█████████████▇▄▄
          │                                   ▁▅▅███████████████████▅▅▁
      200 ┤                                 ▅▇█████████████████████████▇▅
          │                             ▂▃█████████████████████████████████▃▂
          │                        ▁▁▅▅███████████████████████████████████████▅▅▁▁
          │    ▁▁▁▁▁▁▁▁▁▁▁▁▂▃▃▄▄▅▆▇███████████████████████████████████████████████▇▆▅▄▄▃▃▂▁▁▁▁▁▁▁▁▁▁▁▁
        0 └───────────────────────────────────────────────────────────────────────────────────────────────
           ░░░░░░░░░░░┆    ┆     ┆    ┆    ┆    ┆    ┆    ┆    ┆    ┆    ┆    ┆    ┆     ┆    ┆░░░░░░░░░░░
           -1.2      -0.9                                                                    0.9       1.2
                                                       weight
        ┆ 15 levels   ░ clipped: 0.24 % of values
      """#
    ),
    (
      "weights", 40,
      #"""
      conv1 weights
      count
      400 ┤               ▂▆█▆▂
          │              ▅█████▅
          │             ▅███████▅
      200 ┤            ▅█████████▅
          │           ▆███████████▆
          │         ▃███████████████▃
          │ ▁▁▁▁▁▂▄▇█████████████████▇▄▂▁▁▁▁▁
        0 └───────────────────────────────────
           ░░░░┆ ┆ ┆ ┆┆ ┆ ┆ ┆ ┆ ┆ ┆ ┆┆ ┆ ┆░░░░
           -1.2                            1.2
                         weight
        ┆ 15 levels
        ░ clipped: 0.24 % of values
      """#
    ),
    (
      "dense", 100,
      #"""
      count
      100 ┤                        ▂▂▂▂▂▂▂▂▂▂▂
          │                        ███████████▄
          │                        ████████████▂▂▂▂▂▂▂▂▂▂▂
       50 ┤                       ▅███████████████████████▁
          │            ▆▆▆▆▆▆▆▆▆▆▆█████████████████████████▁▁▁▁▁▁▁▁▁▁▁
          │            ███████████████████████████████████████████████▃
          │▃▃▃▃▃▃▃▃▃▃▃▅████████████████████████████████████████████████▇▇▇▇▇▇▇▇▇▇▇▃▂▂▂▂▂▂▂▂▂▂▂▁▁▁▁▁▁▁▁▁▁▁▁
        0 └───────────────────────────────────────────────────────────────────────────────────────────────
           0                                                                                             6
                                                     activation
        256 levels (too dense to mark)   ░ clipped: 0.00 % of values
      """#
    ),
    (
      "dense", 40,
      #"""
      count
      100 ┤         ▂▂▂▂
          │         ████
          │         ████▄▂▂▂
       50 ┤        ▅████████▁
          │     ▆▆▆██████████▁▁▁
          │    ▇█████████████████
          │▃▃▃▃██████████████████▇▇▇▇▃▂▂▂▂▁▁▁▁
        0 └───────────────────────────────────
           0                                 6
                       activation
        256 levels (too dense to mark)
        ░ clipped: 0.00 % of values
      """#
    ),
  ]

  @Test func everyChartKindMatchesItsGolden() {
    let figures = Dictionary(uniqueKeysWithValues: ChartFixtures.all.map { ($0.0, $0.1) })
    for (name, width, expected) in Self.goldens {
      guard let figure = figures[name] else {
        Issue.record("no fixture \(name)")
        continue
      }
      let actual = figure.render(.text(color: false, width: width))
      #expect(actual == expected, "\(name) at width \(width):\n\(actual)")
    }
  }

  @Test func printCharts() {
    guard ProcessInfo.processInfo.environment["QAT_PRINT_CHARTS"] == "1" else { return }
    for (name, figure) in ChartFixtures.all {
      for width in [100, 40] {
        print("=== \(name) @\(width)\n" + figure.render(.text(color: false, width: width)) + "\n===")
      }
    }
  }
}
