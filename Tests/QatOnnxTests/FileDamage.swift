import Foundation
import QatSupport

/// Seeded damage to a valid file, as the importers' never-crash tests apply it: 1–4 edits, each a flipped
/// bit, a replaced byte or a cut, by round (so every kind is tried equally often).
enum FileDamage {
  static func damaged(_ valid: Data, round: Int, random: inout SeededRandom) -> Data {
    var bytes = [UInt8](valid)
    for _ in 0..<(1 + Int(random.nextUnit() * 4)) {
      let at = Int(random.nextUnit() * Double(bytes.count - 1))
      switch round % 3 {
      case 0: bytes[at] ^= UInt8(1 << Int(random.nextUnit() * 8) & 0xFF)
      case 1: bytes[at] = UInt8(Int(random.nextUnit() * 256) & 0xFF)
      default: bytes = Array(bytes[..<max(1, at)])
      }
    }
    return Data(bytes)
  }
}
