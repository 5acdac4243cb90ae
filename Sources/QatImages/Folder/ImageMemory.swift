import Foundation
import Synchronization
import QatSupport

/// A folder whose images would not fit the memory budget at the size asked for: refused before
/// the memory is taken, instead of aborting the process.
public struct ImageMemoryError: Error, Sendable, Equatable, CustomStringConvertible {
  /// Bytes needed (nil: more than `Int` counts) and the budget they exceed.
  public let bytes: Int?
  public let budget: Int
  /// What needs them: "1,797 images at 2048x2048".
  public let what: String
  /// True when the images are refused at the size the user gave (else at their own size).
  public let sizeGiven: Bool

  public var message: String { "loading \(what) \(MemoryBudget.excess(bytes, budget: budget))" }

  public var hint: String {
    sizeGiven
      ? "use a smaller `size:`; small images (28 or 32) train in seconds"
      : "the images are large: give a smaller `size:`, e.g. images(path, size: 64)"
  }

  public var description: String { message }
}

/// The bytes a folder's images take once loaded, for `MemoryBudget` checks.
enum ImageMemory {
  /// Bytes of the float pixels of `images` images of `size` with `channels` channels: the dataset's
  /// and the engine's copy (a model converts the images to its own layout on first use), 4 bytes
  /// each. Nil when it overflows `Int`.
  static func floatBytes(images: Int, channels: Int, size: ImageSize) -> Int? {
    MemoryBudget.product([images, channels, size.height, size.width, MemoryLayout<Float>.size, 2])
  }

  /// Refuses loading when `bytes` exceeds `budget`.
  static func check(
    _ bytes: Int?, budget: Int, images: Int, size: ImageSize?, sizeGiven: Bool
  ) throws(ImageMemoryError) {
    guard !MemoryBudget.fits(bytes, budget: budget) else { return }
    let count = "\(Units.grouped(images)) \(images == 1 ? "image" : "images")"
    throw ImageMemoryError(
      bytes: bytes, budget: budget, what: size.map { "\(count) at \($0)" } ?? count, sizeGiven: sizeGiven)
  }
}

/// The bytes of decoded images so far, added up by the decoding workers: once past the budget,
/// the remaining files are not decoded. An atomic, not a lock: it is touched once per image.
final class DecodedBytes: Sendable {
  private let total = Atomic<Int>(0)
  let budget: Int

  init(budget: Int) { self.budget = budget }

  /// Adds `bytes` (saturating at `Int.max`); false once the total is over the budget.
  @discardableResult
  func add(_ bytes: Int) -> Bool {
    var current = total.load(ordering: .relaxed)
    while true {
      let next = current > Int.max - bytes ? Int.max : current + bytes
      let (exchanged, original) = total.compareExchange(
        expected: current, desired: next, ordering: .relaxed)
      if exchanged { return next <= budget }
      current = original
    }
  }

  var isOverBudget: Bool { total.load(ordering: .relaxed) > budget }

  var bytes: Int { total.load(ordering: .relaxed) }
}
