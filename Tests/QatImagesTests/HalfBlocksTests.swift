import Testing
@testable import QatImages

@Suite struct HalfBlocksTests {
  @Test func plainCellsCombineTwoRows() {
    // Rows [0, 255] over [0, 0]: only the top-right pixel is ink.
    #expect(
      HalfBlocks.lines(PixelImage(width: 2, height: 2, channels: 1, pixels: [0, 255, 0, 0]), color: false) == [" ▀"])
    // Rows [0, 255] over [255, 0]... a tie (two bright, two dark) keeps bright as ink.
    #expect(
      HalfBlocks.lines(PixelImage(width: 2, height: 2, channels: 1, pixels: [0, 255, 255, 0]), color: false) == ["▄▀"])
    let odd = PixelImage(width: 3, height: 3, channels: 1, pixels: [0, 255, 0, 0, 0, 0, 0, 0, 255])
    // Minority-bright: ink where 255. Row pairs (0,1) then (2, nothing).
    #expect(HalfBlocks.lines(odd, color: false) == [" ▀ ", "  ▀"])
  }

  @Test func darkShapeOnLightBackgroundIsTheInk() {
    let image = PixelImage(width: 2, height: 2, channels: 1, pixels: [255, 0, 255, 255])
    #expect(HalfBlocks.lines(image, color: false) == [" ▀"])
  }

  @Test func constantImagesAreBlank() {
    #expect(
      HalfBlocks.lines(PixelImage(width: 2, height: 2, channels: 1, pixels: [9, 9, 9, 9]), color: false) == ["  "])
  }

  @Test func colourUsesTrueColourForegroundAndBackground() {
    let image = PixelImage(width: 1, height: 2, channels: 3, pixels: [255, 0, 10, 1, 2, 3])
    #expect(HalfBlocks.lines(image, color: true) == ["\u{1B}[38;2;255;0;10m\u{1B}[48;2;1;2;3m▀\u{1B}[0m"])
    let odd = PixelImage(width: 1, height: 1, channels: 1, pixels: [200])
    #expect(HalfBlocks.lines(odd, color: true) == ["\u{1B}[38;2;200;200;200m\u{1B}[48;2;0;0;0m▀\u{1B}[0m"])
  }

  @Test func everyLineHasTheImageWidth() {
    let image = PixelImage(width: 5, height: 7, channels: 3, pixels: (0..<105).map { UInt8($0 * 2) })
    for color in [false, true] {
      let lines = HalfBlocks.lines(image, color: color)
      #expect(lines.count == 4)
      #expect(lines.allSatisfy { ThumbnailGrid.visibleWidth($0) == 5 })
    }
  }

  @Test func thumbnailsScaleByWholeFactorsOrShrink() {
    let small = PixelImage(width: 8, height: 8, channels: 1, pixels: [UInt8](repeating: 1, count: 64))
    #expect(HalfBlocks.thumbnail(small).width == 16)
    #expect(
      HalfBlocks.thumbnail(PixelImage(width: 5, height: 3, channels: 1, pixels: [UInt8](repeating: 1, count: 15))).width
        == 15)
    let large = PixelImage(width: 64, height: 32, channels: 1, pixels: [UInt8](repeating: 1, count: 2048))
    let thumb = HalfBlocks.thumbnail(large)
    #expect(thumb.width == 16 && thumb.height == 8)
  }

  @Test func gridWrapsAndTruncatesLabels() {
    let image = PixelImage(width: 4, height: 2, channels: 1, pixels: [0, 255, 0, 255, 0, 255, 0, 255])
    let grid = ThumbnailGrid(cells: [("one", image), ("a-long-label", image), ("c", image)], gap: 2)
    let lines = grid.lines(color: false, width: 10)
    // Two per row (4 + 2 + 4 = 10), the third wraps.
    #expect(lines == [" █ █   █ █", "one   a-l…", " █ █", "c"])
    #expect(grid.lines(color: true, width: 10).allSatisfy { ThumbnailGrid.visibleWidth($0) <= 10 })
  }
}
