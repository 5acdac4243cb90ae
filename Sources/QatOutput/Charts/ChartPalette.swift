/// The colours and markers every chart shares, so that series 0 is the same blue circle in the
/// terminal, in HTML and in a Markdown report's SVG files.
///
/// The colours are Tableau 10's, chosen so that the first four (a sweep's ptq, qat, fp32 and
/// control) are clearly different hues — blue, orange, green, purple, at least 70° apart — where
/// Okabe–Ito's blue and bluish green (37° apart) were easily confused; red and teal, each close
/// to one of those, come only fifth and sixth. Each series also has its own marker shape, so
/// charts read with colour blindness or without colour (a `--no-color` terminal, a printout).
enum ChartPalette {
  /// SVG colours, in series order. Mid-luminance, so they show on light and dark backgrounds.
  static let svgColors = ["#4E79A7", "#F28E2B", "#59A14F", "#B07AA1", "#E15759", "#76B7B2"]
  /// The matching ANSI foreground colours (blue, yellow, green, magenta, red, cyan).
  static let ansiColors = [34, 33, 32, 35, 31, 36]
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
