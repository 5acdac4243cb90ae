import Testing
@testable import QatImages

/// The conversion rules of SPEC §6 against hand-computed values, on files built byte by byte.
@Suite struct PNGColorTests {
  func decode(_ bytes: [UInt8], _ color: ColorRequest = .auto) throws -> PixelImage {
    try PNGCodec.decode(data: bytes, color: color)
  }

  @Test func sixteenBitSamplesKeepTheirHighByte() throws {
    let samples = [0x1234, 0xABFF, 0x00FF, 0xFF00]
    let file = PNGBytes.file(width: 4, height: 1, bitDepth: 16, colorType: 0, rows: [samples.flatMap(PNGBytes.be16)])
    let image = try decode(file)
    #expect(image.channels == 1)
    #expect(image.pixels == [0x12, 0xAB, 0x00, 0xFF])
    let rgb16 = PNGBytes.file(
      width: 1, height: 1, bitDepth: 16, colorType: 2,
      rows: [[0x80, 0xFF, 0x01, 0x02, 0xFE, 0x00]])
    #expect(try decode(rgb16).pixels == [0x80, 0x01, 0xFE])
  }

  @Test func lowBitDepthsScaleToEightBits() throws {
    for depth in [1, 2, 4] {
      let maxValue = (1 << depth) - 1
      let samples = Array(0...maxValue)
      let file = PNGBytes.file(
        width: samples.count, height: 1, bitDepth: depth, colorType: 0,
        rows: [PNGBytes.pack(samples, bitDepth: depth)])
      let image = try decode(file)
      #expect(image.pixels == samples.map { UInt8($0 * 255 / maxValue) }, "depth \(depth)")
    }
  }

  @Test func alphaIsCompositedOverBlack() throws {
    // gray+alpha: 200 at alpha 128 -> 200*128/255 = 100.39 -> 100; 255 at 255 stays; any at 0 -> 0.
    let ga = PNGBytes.file(width: 3, height: 1, bitDepth: 8, colorType: 4, rows: [[200, 128, 255, 255, 90, 0]])
    #expect(try decode(ga).pixels == [100, 255, 0])
    // RGBA (10, 200, 30, 51): 10*51/255 = 2, 200*51/255 = 40, 30*51/255 = 6.
    let rgba = PNGBytes.file(width: 1, height: 1, bitDepth: 8, colorType: 6, rows: [[10, 200, 30, 51]])
    #expect(try decode(rgba).pixels == [2, 40, 6])
    // Gray of the composited colour: (299*2 + 587*40 + 114*6 + 500) / 1000 = 25.262 -> 25.
    #expect(try decode(rgba, .gray).pixels == [25])
  }

  @Test func grayFromColourUsesRec601() throws {
    let rgb = PNGBytes.file(
      width: 3, height: 1, bitDepth: 8, colorType: 2,
      rows: [[10, 200, 30, 255, 0, 0, 255, 255, 255]])
    // (2990 + 117400 + 3420 + 500) / 1000 = 124; red 299*255 = 76245 -> 76; white 255.
    #expect(try decode(rgb, .gray).pixels == [124, 76, 255])
    #expect(try decode(rgb).channels == 3)
  }

  @Test func grayBecomesRGBByReplication() throws {
    let gray = PNGBytes.file(width: 2, height: 1, bitDepth: 8, colorType: 0, rows: [[7, 250]])
    #expect(try decode(gray, .rgb).pixels == [7, 7, 7, 250, 250, 250])
  }

  @Test func paletteWithTransparencyExpands() throws {
    let palette: [UInt8] = [255, 0, 0, 0, 255, 0, 77, 77, 77]
    let file = PNGBytes.file(
      width: 3, height: 1, bitDepth: 8, colorType: 3, rows: [[0, 1, 2]],
      palette: palette, transparency: [255, 0])
    // Entry 1 is fully transparent (black over black); entry 2 has no tRNS value, so it is opaque.
    #expect(try decode(file).pixels == [255, 0, 0, 0, 0, 0, 77, 77, 77])
    #expect(try decode(file).channels == 3)
  }

  @Test func allGrayPaletteDecodesAsGrayInAutoMode() throws {
    let palette: [UInt8] = [0, 0, 0, 128, 128, 128, 255, 255, 255]
    let file = PNGBytes.file(
      width: 4, height: 1, bitDepth: 2, colorType: 3,
      rows: [PNGBytes.pack([0, 1, 2, 1], bitDepth: 2)], palette: palette)
    let image = try decode(file)
    #expect(image.channels == 1)
    #expect(image.pixels == [0, 128, 255, 128])
  }

  @Test func grayWithTransparentKeyBecomesBlack() throws {
    // tRNS on gray names one transparent gray value.
    let file = PNGBytes.file(width: 2, height: 1, bitDepth: 8, colorType: 0, rows: [[40, 90]], transparency: [0, 40])
    #expect(try decode(file).pixels == [0, 90])
  }

  @Test func multiRowImagesKeepRowOrder() throws {
    let file = PNGBytes.file(width: 2, height: 3, bitDepth: 8, colorType: 0, rows: [[1, 2], [3, 4], [5, 6]])
    let image = try decode(file)
    #expect(image.pixels == [1, 2, 3, 4, 5, 6])
    #expect(image[2, 1, 0] == 6)
  }

  @Test func encodeThenDecodeRoundTrips() throws {
    for channels in [1, 3] {
      let pixels = (0..<(5 * 3 * channels)).map { UInt8(($0 * 37) % 256) }
      let image = PixelImage(width: 5, height: 3, channels: channels, pixels: pixels)
      #expect(try PNGCodec.decode(data: PNGCodec.encode(image)) == image)
    }
    let rgba = PixelImage(width: 1, height: 1, channels: 4, pixels: [100, 50, 200, 255])
    #expect(try PNGCodec.decode(data: PNGCodec.encode(rgba)).pixels == [100, 50, 200])
  }

  @Test func encodingNonsenseIsAnErrorNotACrash() {
    #expect(throws: PNGError.self) { try PNGCodec.encode(PixelImage(width: 0, height: 3, channels: 1, pixels: [])) }
    #expect(throws: PNGError.self) { try PNGCodec.encode(PixelImage(width: 2, height: 2, channels: 1, pixels: [1])) }
  }
}
