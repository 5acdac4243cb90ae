import Testing
import QatShell
import QatsLanguage

/// `qparams` and `fake_quant` as a user meets them: exact printed values (scales as the Double
/// they convert to, fake-quantized float32 values as the shortest decimal that reads back as them) and a located message for every bad argument.
@Suite struct QuantMathBuiltinTests {
  @Test func qparamsPrintsPyTorchsParameters() {
    let s = CapturedSession()
    // scale = 2/255 in float32 = 0.007843137718737125; −1/scale = −127.49999 in float32, which
    // rounds to −127, so zero_point = 0 − (−127) = 127 (PyTorch's MinMaxObserver agrees).
    #expect(
      s.input("qparams(min: -1.0, max: 1.0)") == "{scale: 0.007843137718737125, zero_point: 127, qmin: 0, qmax: 255}\n")
    // Signed: zero_point = −128 + 127 = −1.
    #expect(
      s.input("qparams(min: -1.0, max: 1.0, signed: true)")
        == "{scale: 0.007843137718737125, zero_point: -1, qmin: -128, qmax: 127}\n")
    // Symmetric signed: scale = 1/127.5 (the same float32 as 2/255), zero point 0.
    #expect(
      s.input("qparams(min: -1.0, max: 0.5, symmetric: true, signed: true)")
        == "{scale: 0.007843137718737125, zero_point: 0, qmin: -128, qmax: 127}\n")
    // Symmetric unsigned 4 bits, integer arguments: scale = 1/7.5 = 0.13333334 in float32, zero point ⌊15/2⌋ = 7.
    #expect(
      s.input("qparams(min: -1, max: 1, bits: 4, symmetric: true)")
        == "{scale: 0.13333334028720856, zero_point: 7, qmin: 0, qmax: 15}\n")
    // A tie: [−2.5, 12.5] at 4 bits has scale 1 and min/scale = −2.5 → −2 (half to even) → zero point 2.
    #expect(s.input("qparams(min: -2.5, max: 12.5, bits: 4)") == "{scale: 1.0, zero_point: 2, qmin: 0, qmax: 15}\n")
    // min == max == 0: the scale is floored at float32's epsilon 2^−23.
    #expect(
      s.input("qparams(min: 0.0, max: 0.0)") == "{scale: 1.1920928955078125e-07, zero_point: 0, qmin: 0, qmax: 255}\n")
    // All-positive data: 0 is pulled into the range, so [2, 4] behaves as [0, 4] and zero_point is qmin.
    #expect(
      s.input("qparams(min: 2.0, max: 4.0, bits: 2)")
        == "{scale: 1.3333333730697632, zero_point: 0, qmin: 0, qmax: 3}\n")
    // 16 bits for teaching.
    #expect(s.input("qparams(min: 0, max: 65535, bits: 16)") == "{scale: 1.0, zero_point: 0, qmin: 0, qmax: 65535}\n")
    #expect(s.input("q = qparams(min: -1.0, max: 1.0)", "q.zero_point + q.qmax") == "382\n")
  }

  @Test func fakeQuantPrintsTheFloat32Results() {
    let s = CapturedSession()
    // scale 0.1 is 0.100000001490116… in float32 and 1/scale rounds to exactly 10, so the values map to
    // q = 1, 5, 20 and back to 1·0.1, 5·0.1 and 20·0.1 in float32: 0.1, 0.5, 2.0 as float32 prints them.
    #expect(s.input("fake_quant([0.1, 0.5, 2.0], scale: 0.1, zero_point: 0)") == "[0.1, 0.5, 2.0]\n")
    // A single number gives a single float.
    #expect(s.input("fake_quant(0.5, scale: 0.1, zero_point: 0)") == "0.5\n")
    #expect(s.input("fake_quant([], scale: 0.1, zero_point: 0)") == "[]\n")
    // Ties go to even: x·4 = 0.5, 1.5, 2.5, −0.5, −1.5 → 0, 2, 2, 0, −2.
    #expect(
      s.input("fake_quant([0.125, 0.375, 0.625, -0.125, -0.375], scale: 0.25, zero_point: 0, signed: true)")
        == "[0.0, 0.5, 0.5, 0.0, -0.5]\n")
    // Clipping: −1 → q = −10 → 0 → 0.0; 30 → q = 300 → 255 → 255·0.1 = 25.5 in float32.
    #expect(s.input("fake_quant([-1.0, 30.0], scale: 0.1, zero_point: 0)") == "[0.0, 25.5]\n")
    // Signed 4 bits [−8, 7] with scale 1/8: −1 → −8 (kept), 1 → 8 → 7 → 0.875.
    #expect(s.input("fake_quant([-1.0, 1.0], scale: 0.125, zero_point: 0, bits: 4, signed: true)") == "[-1.0, 0.875]\n")
    // Multiply by the reciprocal, as PyTorch: 2.25·(1/0.3) = 7.5 in float32 → 8 (2.25/0.3 would be
    // 7.4999995 → 7), and 8·0.3 = 2.4 in float32 (2.4000000953674316 as a double).
    #expect(s.input("fake_quant(2.25, scale: 0.3, zero_point: 0)") == "2.4\n")
    // Parameters from qparams: 0 is exactly representable, −0.8 is not on the grid.
    s.input("q = qparams(min: -0.8, max: 2.3)")
    #expect(
      s.input("fake_quant([-0.8, 0.0], scale: q.scale, zero_point: q.zero_point)") == "[-0.80235296, 0.0]\n")
  }

  @Test func badBitWidthsAreLocated() {
    let s = CapturedSession()
    let one = s.input("qparams(min: 0.0, max: 1.0, bits: 1)")
    #expect(one.contains(":1:29: error: `qparams`: bits must be 2–8 (or 16 for teaching), got 1"), "\(one)")
    #expect(
      s.input("qparams(min: 0.0, max: 1.0, bits: 9)").contains(
        "`qparams`: bits must be 2–8 (or 16 for teaching), got 9"))
    #expect(
      s.input("fake_quant(1.0, scale: 0.1, zero_point: 0, bits: 17)").contains(
        "`fake_quant`: bits must be 2–8 (or 16 for teaching), got 17"))
    #expect(s.input("fake_quant(1.0, scale: 0.1, zero_point: 0, bits: 0)").contains("got 0"))
  }

  @Test func badRangesAreLocated() {
    let s = CapturedSession()
    let reversed = s.input("qparams(min: 2.0, max: 1.0)")
    #expect(reversed.contains(":1:9: error: `qparams`: `min` (2.0) is above `max` (1.0)"), "\(reversed)")
    // Too large for float32 (it would become infinite there).
    #expect(
      s.input("qparams(min: -1e39, max: 1.0)").contains(
        "`qparams`: `min` is -1e+39, outside float32's range (±3.4028235e+38)"))
    #expect(s.input("qparams(min: 0.0, max: 1e39)").contains("`qparams`: `max` is 1e+39, outside float32's range"))
    // Infinite: stopped by the argument check every built-in shares.
    #expect(s.input("qparams(min: 0.0, max: exp(1000))").contains("`qparams`: `max` must be a number, got inf"))
  }

  @Test func badFakeQuantArgumentsAreLocated() {
    let s = CapturedSession()
    let zero = s.input("fake_quant(1.0, scale: 0.0, zero_point: 0)")
    #expect(zero.contains(":1:17: error: `fake_quant`: `scale` must be positive, got 0.0"), "\(zero)")
    #expect(s.input("fake_quant(1.0, scale: -0.1, zero_point: 0)").contains("`scale` must be positive, got -0.1"))
    #expect(
      s.input("fake_quant(1.0, scale: 1e-50, zero_point: 0)").contains(
        "`fake_quant`: `scale` 1e-50 is outside float32's normal range [1.1754944e-38, 3.4028235e+38]"))
    #expect(
      s.input("fake_quant(1.0, scale: 1e39, zero_point: 0)").contains("`scale` 1e+39 is outside float32's normal range")
    )
    #expect(
      s.input("fake_quant(1.0, scale: exp(1000), zero_point: 0)").contains(
        "`fake_quant`: `scale` must be a number, got inf"))
    let high = s.input("fake_quant(1.0, scale: 0.1, zero_point: 256)")
    #expect(
      high.contains(
        ":1:29: error: `fake_quant`: `zero_point` 256 is outside [0, 255], the range of 8-bit unsigned integers"),
      "\(high)")
    #expect(!high.contains("signed: true"))
    let negative = s.input("fake_quant(1.0, scale: 0.1, zero_point: -1)")
    #expect(negative.contains("`zero_point` -1 is outside [0, 255], the range of 8-bit unsigned integers"))
    #expect(negative.contains("a signed grid (`signed: true`) takes negative zero points"))
    #expect(
      s.input("fake_quant(1.0, scale: 0.125, zero_point: 8, bits: 4, signed: true)").contains(
        "`zero_point` 8 is outside [-8, 7], the range of 4-bit signed integers"))
    let big = s.input("fake_quant([1.0, 1e39], scale: 0.1, zero_point: 0)")
    #expect(
      big.contains(":1:12: error: `fake_quant`: `values` holds 1e+39 at position 1, outside float32's range"), "\(big)")
    #expect(
      s.input("fake_quant(-1e39, scale: 0.1, zero_point: 0)").contains("`values` holds -1e+39, outside float32's range")
    )
    #expect(
      s.input("fake_quant([1.0, exp(1000)], scale: 0.1, zero_point: 0)").contains(
        "`fake_quant`: `values` must be a number or a list of numbers, got [1.0, inf]"))
    #expect(
      s.input("fake_quant(\"x\", scale: 0.1, zero_point: 0)").contains("`values` must be a number or a list of numbers")
    )
  }

  @Test func helpListsTheQuantizationTopic() {
    let s = CapturedSession()
    let help = s.input(":help qparams")
    #expect(help.contains("qparams(min, max, bits: 8, symmetric: false, signed: false)"), "\(help)")
    #expect(help.contains("returns: record {scale, zero_point, qmin, qmax}"))
    #expect(s.input(":help fake_quant").contains("fake_quant(values, scale, zero_point, bits: 8, signed: false)"))
    #expect(s.input(":help quantization").contains("Quantization:"))
  }
}
