@testable import QatImages
import QatSupport
import QatsLanguage
import Testing

/// Resizing against hand-computed values (SPEC §6: centres at (i + 0.5)·scale, area when shrinking,
/// bilinear when growing).
@Suite struct ResizeTests {
  func planar(_ image: PixelImage, _ width: Int, _ height: Int) -> [Float] {
    var out = [Float](repeating: -1, count: image.channels * width * height)
    out.withUnsafeMutableBufferPointer { Resize.planar(image, width: width, height: height, into: $0.baseAddress!) }
    return out.map { $0 * 255 }  // back to sample units for readable expectations
  }

  func gray(_ width: Int, _ height: Int, _ pixels: [UInt8]) -> PixelImage {
    PixelImage(width: width, height: height, channels: 1, pixels: pixels)
  }

  func close(_ a: [Float], _ b: [Float], _ tolerance: Float = Tolerance.resizedPixel) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= tolerance }
  }

  @Test func identityCopiesExactly() {
    let image = gray(3, 2, [0, 1, 2, 253, 254, 255])
    var out = [Float](repeating: -1, count: 6)
    out.withUnsafeMutableBufferPointer { Resize.planar(image, width: 3, height: 2, into: $0.baseAddress!) }
    #expect(out == [0, 1, 2, 253, 254, 255].map { Float($0) * (1 / 255) })
  }

  @Test func halvingAveragesPairs() {
    #expect(close(planar(gray(4, 1, [10, 20, 100, 200]), 2, 1), [15, 150]))
  }

  @Test func nonIntegerShrinkWeighsPartialPixels() {
    // 3 → 2: scale 1.5; dst0 covers [0, 1.5): p0 + half of p1; dst1 covers [1.5, 3): half of p1 + p2.
    let out = planar(gray(3, 1, [30, 90, 150]), 2, 1)
    #expect(close(out, [(30 + 0.5 * 90) / 1.5, (0.5 * 90 + 150) / 1.5]))
  }

  @Test func doublingInterpolatesBetweenCentres() {
    // 2 → 4: scale 0.5; centres map to -0.25, 0.25, 0.75, 1.25 → clamped, then bilinear.
    let out = planar(gray(2, 1, [0, 200]), 4, 1)
    #expect(close(out, [0, 50, 150, 200]))
  }

  @Test func onePixelGrowsToAConstant() {
    #expect(planar(gray(1, 1, [77]), 3, 3) == [Float](repeating: 77, count: 9))
  }

  @Test func shrinkInXAndGrowInY() {
    // 2×1 → 1×2: x averages the two columns, y repeats the only row.
    #expect(close(planar(gray(2, 1, [40, 100]), 1, 2), [70, 70]))
    // 4×2 → 2×4: x pairs averaged per row (rows 20 and 100), y: 2 → 4 bilinear as above.
    let out = planar(gray(4, 2, [10, 30, 50, 70, 90, 110, 130, 150]), 2, 4)
    #expect(close(out, [20, 60, 40, 80, 80, 120, 100, 140]))
  }

  @Test func colourPlanesAreSeparate() {
    let rgb = PixelImage(width: 2, height: 1, channels: 3, pixels: [10, 20, 30, 50, 60, 70])
    #expect(close(planar(rgb, 1, 1), [30, 40, 50]))
    #expect(close(planar(rgb, 2, 1), [10, 50, 20, 60, 30, 70]))
  }

  @Test func integerAreaShrinkPreservesTheMean() {
    var generator = SeededRandom(seed: 9)
    let pixels = (0..<(12 * 12)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
    let image = gray(12, 12, pixels)
    for side in [1, 2, 3, 4, 6] {
      let out = planar(image, side, side)
      let meanIn = Float(pixels.map(Int.init).reduce(0, +)) / Float(pixels.count)
      let meanOut = out.reduce(0, +) / Float(out.count)
      #expect(abs(meanIn - meanOut) < Tolerance.shrunkImageMean, "side \(side)")
    }
  }

  @Test func eightBitResizeRounds() {
    #expect(Resize.resized(gray(3, 1, [30, 90, 150]), width: 2, height: 1).pixels == [50, 130])
    #expect(Resize.resized(gray(2, 1, [0, 201]), width: 4, height: 1).pixels == [0, 50, 151, 201])
  }

  /// A huge image shrunk to a thumbnail stops within 64 rows once interrupted (Ctrl-C during a
  /// decompression bomb's resize), and the loader then reports the interruption.
  @Test func resizingStopsWhenInterrupted() throws {
    let side = 2_048
    let image = PixelImage(width: side, height: side, channels: 1, pixels: [UInt8](repeating: 7, count: side * side))
    var asked = 0
    var out: [Float] = [0]
    ResizePlan(sourceWidth: side, sourceHeight: side, width: 1, height: 1).apply(image, into: &out) {
      asked += 1
      return true
    }
    #expect(asked == 1, "stopped at the first check, after 64 of \(side) rows")
    var calls = 0
    #expect(throws: LoadInterrupted.self) {
      _ = try ImageFolderLoader.tensor(
        [image, image], size: ImageSize(height: 1, width: 1), channels: 1, threads: 1,
        isInterrupted: {
          calls += 1
          return calls > 1
        })
    }
    #expect(calls < 10, "\(calls) checks: the second image was not resized after the interruption")
  }
}
