/// A drawing surface of braille characters: each terminal cell holds a 2 × 4 grid of dots
/// (U+2800–U+28FF), so a line chart gets eight times the resolution of whole characters.
struct BrailleCanvas {
  let columns: Int
  let rows: Int
  private var dots: [UInt8]
  /// The series that last drew in each cell, for its colour.
  private var owner: [Int?]

  init(columns: Int, rows: Int) {
    self.columns = max(0, columns)
    self.rows = max(0, rows)
    dots = Array(repeating: 0, count: self.columns * self.rows)
    owner = Array(repeating: nil, count: self.columns * self.rows)
  }

  /// Dots across and down.
  var dotWidth: Int { columns * 2 }
  var dotHeight: Int { rows * 4 }

  /// The bit of each dot within a cell, indexed [x][y] (the braille numbering is column-major
  /// for the first three rows, with the fourth row added later as dots 7 and 8).
  private static let bit: [[UInt8]] = [[0x01, 0x02, 0x04, 0x40], [0x08, 0x10, 0x20, 0x80]]

  /// Sets the dot at (`x`, `y`), y counting down from the top; dots outside are ignored.
  mutating func set(_ x: Int, _ y: Int, series: Int) {
    guard x >= 0, y >= 0, x < dotWidth, y < dotHeight else { return }
    let cell = (y / 4) * columns + x / 2
    dots[cell] |= Self.bit[x % 2][y % 4]
    owner[cell] = series
  }

  /// A straight line of dots (Bresenham), both ends included.
  mutating func line(from a: (x: Int, y: Int), to b: (x: Int, y: Int), series: Int) {
    var x = a.x, y = a.y
    let dx = abs(b.x - a.x), dy = -abs(b.y - a.y)
    let sx = a.x < b.x ? 1 : -1, sy = a.y < b.y ? 1 : -1
    var err = dx + dy
    while true {
      set(x, y, series: series)
      if x == b.x && y == b.y { return }
      let e2 = 2 * err
      if e2 >= dy { err += dy; x += sx }
      if e2 <= dx { err += dx; y += sy }
    }
  }

  /// The character of cell (`column`, `row`) and the series that drew it, or nil when empty.
  func cell(_ column: Int, _ row: Int) -> (Character, Int)? {
    let i = row * columns + column
    guard dots[i] != 0, let scalar = Unicode.Scalar(0x2800 + UInt32(dots[i])) else { return nil }
    return (Character(scalar), owner[i] ?? 0)
  }
}
