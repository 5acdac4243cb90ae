import Foundation
import QatOutput
import QatsLanguage

/// The charts the chart tests draw: one of each kind, shaped like what the session produces
/// (a bits sweep, a sensitivity ranking with a negative value, a weight histogram on a 4-bit grid).
enum ChartFixtures {
  static let sweep = LineChart(
    title: "accuracy against bits", xLabel: "bits", yLabel: "accuracy", xFormat: .number, yFormat: .percent,
    series: [
      ChartSeries(
        name: "ptq",
        points: [(8, 0.986), (6, 0.983), (4, 0.95), (3, 0.81), (2, 0.32)].map { ChartPoint(x: $0.0, y: $0.1) }),
      ChartSeries(
        name: "qat",
        points: [(8, 0.987), (6, 0.985), (4, 0.978), (3, 0.96), (2, 0.85)].map { ChartPoint(x: $0.0, y: $0.1) }),
    ],
    xDescending: true)

  static let loss = LineChart(
    xLabel: "epoch", yLabel: "loss",
    series: [
      ChartSeries(
        name: "loss",
        points: [0.597, 0.085, 0.027, 0.023, 0.0097, 0.0032, 0.0018, 0.0013]
          .enumerated().map { ChartPoint(x: Double($0.offset + 1), y: $0.element) })
    ])

  static let sensitivity = BarChart(
    title: "accuracy drop when one layer is 4-bit", valueLabel: "drop", format: .percent,
    bars: [
      ChartBar(label: "conv1", value: 0.042, note: "-15 images"),
      ChartBar(label: "conv2", value: 0.011, note: "-4 images"),
      ChartBar(label: "dense", value: 0.0028),
      ChartBar(label: "fc_out", value: -0.0028, note: "+1 image"),
    ])

  /// A bell of 40 bins over −1.2…1.2 against a symmetric 4-bit grid that clips at ±0.9.
  static let weights: HistogramChart = {
    let counts = (0..<40).map { i -> Int in
      let x = -1.2 + (Double(i) + 0.5) * 0.06
      return Int((400 * exp(-x * x / 0.18)).rounded())
    }
    let scale = 0.9 / 7
    return HistogramChart(
      title: "conv1 weights", valueLabel: "weight", lower: -1.2, upper: 1.2, counts: counts,
      levels: (-7...7).map { Double($0) * scale }, clipRange: -0.9...0.9)
  }()

  /// An 8-bit grid: 256 levels, more than any terminal has columns.
  static let dense = HistogramChart(
    valueLabel: "activation", lower: 0, upper: 6, counts: [5, 40, 90, 60, 30, 12, 4, 1],
    levels: (0..<256).map { Double($0) * 6 / 255 }, clipRange: 0...6)

  static var all: [(String, any Figure)] {
    [
      ("sweep", sweep), ("loss", loss), ("sensitivity", sensitivity), ("weights", weights), ("dense", dense),
    ]
  }
}
