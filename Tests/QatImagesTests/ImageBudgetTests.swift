import Foundation
@testable import QatImages
import Testing

/// Loading refuses images whose pixels would not fit the memory budget, before taking the memory.
@Suite struct ImageBudgetTests {
  func folder() throws -> FolderBuilder {
    let f = try FolderBuilder()
    for c in ["a", "b"] { for i in 0..<3 { try f.gray("\(c)/\(i).png", UInt8(40 * i), width: 4, height: 4) } }
    return f
  }

  func memoryError(_ f: FolderBuilder, size: ImageSize?, budget: Int) -> ImageMemoryError? {
    do {
      _ = try ImageFolderLoader.load(f.root, options: ImageFolderOptions(size: size), budget: budget)
      return nil
    } catch let error as ImageMemoryError {
      return error
    } catch {
      return nil
    }
  }

  @Test func aSizeBeyondTheBudgetIsRefusedBeforeDecoding() throws {
    let f = try folder()
    defer { f.remove() }
    // 6 images × 1 channel × 64 × 64 × 4 bytes, twice (the dataset's and the engine's copy).
    let error = memoryError(f, size: ImageSize(height: 64, width: 64), budget: 100_000)
    #expect(error?.bytes == 6 * 64 * 64 * 4 * 2)
    #expect(error?.sizeGiven == true)
    #expect(error?.message == "loading 6 images at 64x64 needs 197 KB, more than the 100 KB budget")
    #expect(memoryError(f, size: ImageSize(height: 64, width: 64), budget: 200_000) == nil)
    // Sizes whose product overflows are refused, not trapped on.
    let huge = memoryError(f, size: ImageSize(height: Int.max / 2, width: 3), budget: 1 << 40)
    #expect(huge?.bytes == nil && huge?.message.contains("more bytes than a 64-bit size can count") == true)
  }

  @Test func decodedImagesAreCountedAgainstTheBudget() throws {
    let f = try folder()
    defer { f.remove() }
    // Each decoded image is 16 bytes; the floats at their own size 6 × 16 × 4 × 2 = 768 more.
    let error = memoryError(f, size: nil, budget: 40)
    #expect(error?.sizeGiven == false && error?.bytes == nil)
    let floats = memoryError(f, size: nil, budget: 500)
    #expect(floats?.bytes == 6 * 16 + 6 * 16 * 4 * 2)
    #expect(memoryError(f, size: nil, budget: 1_000) == nil)
  }
}
