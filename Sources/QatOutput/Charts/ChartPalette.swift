/// The colours and markers every chart shares, so that series 0 is the same blue circle in the
/// terminal, in HTML and in a Markdown report's SVG files.
///
/// The colours are the Okabe–Ito palette, which stays distinguishable with the common forms of
/// colour blindness; each series also has its own marker shape, so charts read without colour
/// (a `--no-color` terminal, a black-and-white printout).
enum ChartPalette {
  /// SVG colours, in series order. Mid-luminance, so they show on light and dark backgrounds.
  static let svgColors = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9"]
  /// The matching ANSI foreground colours (blue, yellow, green, red, magenta, cyan).
  static let ansiColors = [34, 33, 32, 31, 35, 36]
  /// Terminal markers, in series order; the SVG draws the same shapes.
  static let markers: [Character] = ["●", "■", "▲", "◆", "▼", "○"]
  /// The colour for "clipped" and negative values (vermillion).
  static let alertSVG = "#D55E00"

  static func svgColor(_ series: Int) -> String { svgColors[series % svgColors.count] }
  static func marker(_ series: Int) -> Character { markers[series % markers.count] }
}

/// How a character of a terminal chart is coloured (only when colour is on).
enum ChartStyle: Equatable {
  /// The colour of series `n`.
  case series(Int)
  /// Axes and tick marks: dim, so the data stand out.
  case axis
  /// Values outside the representable range.
  case clipped
  /// The title: bold.
  case title

  /// The ANSI SGR parameters that switch this style on.
  var sgr: String {
    switch self {
    case .series(let n): return String(ChartPalette.ansiColors[n % ChartPalette.ansiColors.count])
    case .axis: return "2"
    case .clipped: return "31"
    case .title: return "1"
    }
  }
}
