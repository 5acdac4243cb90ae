import Foundation
import Testing

@testable import QatEngine

/// The arithmetic and the observers against values PyTorch itself computed
/// (scripts/pytorch/make-references → Fixtures/pytorch-quantization.json, floats stored as their
/// float32 bit patterns): every scale, zero point and fake-quantized value must match bit for bit.
@Suite struct PyTorchConformanceTests {
  struct Case: Decodable {
    let min, max: UInt32
    let bits: Int
    let signed, symmetric: Bool
    let scale: UInt32
    let zero_point: Int32
    let x, y: [UInt32]
  }
  struct Moving: Decodable {
    let batches: [[UInt32]]
    let min, max: UInt32
  }
  struct HistogramCase: Decodable {
    let lower, upper: UInt32
    let counts: [[Int64]]
    let min, max: UInt32
  }
  struct References: Decodable {
    let torch: String
    let qparams_and_fake_quant: [Case]
    let moving_average: [Moving]
    let histogram_l2_8bit: [HistogramCase]
  }

  static let references: References? = {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
      "Fixtures/pytorch-quantization.json")
    guard let data = try? Data(contentsOf: url) else { return nil }
    return try? JSONDecoder().decode(References.self, from: data)
  }()

  static func float(_ bits: UInt32) -> Float { Float(bitPattern: bits) }

  @Test func qparamsAndFakeQuantizationMatchPyTorchBitForBit() throws {
    let references = try #require(Self.references)
    #expect(references.qparams_and_fake_quant.count > 400)
    var mismatches = 0
    for c in references.qparams_and_fake_quant {
      let range = QuantRange(bits: c.bits, signed: c.signed)
      let p = QuantParams.fromRange(
        min: Self.float(c.min), max: Self.float(c.max), range: range, symmetric: c.symmetric)
      if p.scale.bitPattern != c.scale || p.zeroPoint != c.zero_point {
        mismatches += 1
        if mismatches < 5 {
          Issue.record(
            """
            qparams [\(Self.float(c.min)), \(Self.float(c.max))] \(range) symmetric \(c.symmetric): \(p.scale) \
            \(p.zeroPoint), PyTorch \(Self.float(c.scale)) \(c.zero_point)
            """
          )
        }
        continue
      }
      let x = c.x.map(Self.float)
      var y = [Float](repeating: 0, count: x.count)
      x.withUnsafeBufferPointer { xs in
        y.withUnsafeMutableBufferPointer { ys in
          if let xb = xs.baseAddress, let yb = ys.baseAddress { p.fakeQuantize(xb, count: x.count, into: yb) }
        }
      }
      for (i, expected) in c.y.enumerated() where y[i].bitPattern != expected {
        mismatches += 1
        if mismatches < 5 { Issue.record("fake_quant(\(x[i])) with \(p): \(y[i]), PyTorch \(Self.float(expected))") }
      }
      // The scalar path agrees with the kernel.
      #expect(p.fakeQuantize(x[0]).bitPattern == c.y[0])
    }
    #expect(mismatches == 0)
  }

  @Test func movingAverageMatchesPyTorch() throws {
    let references = try #require(Self.references)
    for m in references.moving_average {
      var tracker = RangeTracker(averagingConstant: 0.01)
      for batch in m.batches { tracker.observe(min: Self.float(batch[0]), max: Self.float(batch[1])) }
      #expect(tracker.min.bitPattern == m.min && tracker.max.bitPattern == m.max)
    }
  }

  /// The L2 range search at 8 bits (where PyTorch's 256 target bins are ours too) on PyTorch's own
  /// 2048-bin histograms.
  @Test func histogramRangeSearchMatchesPyTorchAtEightBits() throws {
    let references = try #require(Self.references)
    for h in references.histogram_l2_8bit {
      var histogram = Histogram(lower: Self.float(h.lower), upper: Self.float(h.upper))
      for pair in h.counts { histogram.counts[Int(pair[0])] = pair[1] }
      let (low, high) = histogram.l2OptimalRange(bits: 8)
      #expect(
        low.bitPattern == h.min && high.bitPattern == h.max,
        "ours [\(low), \(high)], PyTorch [\(Self.float(h.min)), \(Self.float(h.max))]")
    }
  }
}
