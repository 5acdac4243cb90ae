/// The data a chart draws, independent of how it is drawn. Each chart type renders itself as
/// Unicode text in the terminal (fitting `width`, coloured only when `color` is true), as inline
/// SVG in HTML, and as an SVG file beside a Markdown report (see `Figure`).

/// One (x, y) point, with an error bar of ± `spread` when it is a mean over repeated runs.
public struct ChartPoint: Sendable, Equatable {
  public var x: Double
  public var y: Double
  /// Half the error bar (a standard deviation), drawn from y − spread to y + spread; nil for none.
  public var spread: Double?
  public init(x: Double, y: Double, spread: Double? = nil) {
    self.x = x
    self.y = y
    self.spread = spread
  }
}

/// A named line of points, drawn in one colour and marker and listed in the legend.
public struct ChartSeries: Sendable, Equatable {
  public var name: String
  public var points: [ChartPoint]
  /// A reference level (fp32 in a chart over bits): drawn as a labelled dashed horizontal line at
  /// each point's y across the whole plot; its x values neither place it nor widen the x axis.
  public var reference: Bool
  public init(name: String, points: [ChartPoint], reference: Bool = false) {
    self.name = name
    self.points = points
    self.reference = reference
  }
}

/// How axis ticks and values are written.
public enum AxisFormat: Sendable, Equatable {
  /// Shortest readable number ("4", "0.25", "1.5e-3").
  case number
  /// A fraction written as a percentage ("98.6 %").
  case percent
  /// Bytes ("7.30 KB").
  case bytes
  /// Microseconds ("1.7 µs").
  case microseconds
  /// Decibels ("32.1 dB").
  case decibels
}

/// Lines over a shared x axis: accuracy against bits (one line per method), loss against epoch.
public struct LineChart: Sendable, Equatable {
  public var title: String?
  public var xLabel: String
  public var yLabel: String
  public var xFormat: AxisFormat
  public var yFormat: AxisFormat
  public var series: [ChartSeries]
  /// When true the x axis runs from high to low (bits: 8 on the left, 2 on the right).
  public var xDescending: Bool
  /// The y range to show; nil fits the data.
  public var yRange: ClosedRange<Double>?

  public init(
    title: String? = nil, xLabel: String, yLabel: String, xFormat: AxisFormat = .number,
    yFormat: AxisFormat = .number, series: [ChartSeries], xDescending: Bool = false,
    yRange: ClosedRange<Double>? = nil
  ) {
    self.title = title
    self.xLabel = xLabel
    self.yLabel = yLabel
    self.xFormat = xFormat
    self.yFormat = yFormat
    self.series = series
    self.xDescending = xDescending
    self.yRange = yRange
  }
}

/// One labelled bar.
public struct ChartBar: Sendable, Equatable {
  public var label: String
  public var value: Double
  /// Extra text shown after the value ("−12 images").
  public var note: String?
  public init(label: String, value: Double, note: String? = nil) {
    self.label = label
    self.value = value
    self.note = note
  }
}

/// Horizontal bars, one per label, in the given order (sensitivity rankings, sizes).
public struct BarChart: Sendable, Equatable {
  public var title: String?
  public var valueLabel: String
  public var format: AxisFormat
  public var bars: [ChartBar]
  public init(title: String? = nil, valueLabel: String, format: AxisFormat = .number, bars: [ChartBar]) {
    self.title = title
    self.valueLabel = valueLabel
    self.format = format
    self.bars = bars
  }
}

/// A distribution drawn against a quantization grid: equal-width bins over `lower…upper`, the
/// grid's levels as markers, and the representable range (values outside it are clipped).
public struct HistogramChart: Sendable, Equatable {
  public var title: String?
  public var valueLabel: String
  /// The left edge of the first bin and the right edge of the last.
  public var lower: Double
  public var upper: Double
  /// Counts per bin; bin i covers lower + i·w ..< lower + (i+1)·w with w = (upper − lower) / counts.count.
  public var counts: [Int]
  /// The quantization levels (dequantized values) to mark; may be empty.
  public var levels: [Double]
  /// The representable range [lowest level, highest level]; nil when there is no grid.
  public var clipRange: ClosedRange<Double>?
  /// Other ranges to compare on the same values (each observer's choice), one row each under the axis.
  public var spans: [Span] = []

  /// A named range drawn under the histogram as ├────┤ name.
  public struct Span: Sendable, Equatable {
    public var name: String
    public var lower, upper: Double
    public init(name: String, lower: Double, upper: Double) {
      self.name = name
      self.lower = lower
      self.upper = upper
    }
  }

  public init(
    title: String? = nil, valueLabel: String, lower: Double, upper: Double, counts: [Int],
    levels: [Double] = [], clipRange: ClosedRange<Double>? = nil
  ) {
    self.title = title
    self.valueLabel = valueLabel
    self.lower = lower
    self.upper = upper
    self.counts = counts
    self.levels = levels
    self.clipRange = clipRange
  }
}
