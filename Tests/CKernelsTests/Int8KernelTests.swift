import CKernels
import QatSupport
import Testing

/// The integer kernels (CKernelsInt8.h) against references written here from the header's definitions
/// in wide integers: every variant this CPU can run must agree exactly.
@Suite struct Int8KernelTests {
  static let variants = [QK_REFERENCE, QK_PORTABLE, QK_AVX512].filter { qk_variant_available($0) != 0 }

  // MARK: - References from the definitions

  /// ⌊(p + 2^(shift−1)) / 2^shift⌋ for a 128-bit p (high, low), computed in 128 bits: the sum may not
  /// fit in 64, the quotient does (|p| < 2^63 + 2^62 for every input the kernels accept).
  static func roundShift(_ p: (high: Int64, low: UInt64), _ shift: Int) -> Int64 {
    let (low, carry) = p.low.addingReportingOverflow(UInt64(1) << (shift - 1))
    let high = p.high &+ (carry ? 1 : 0)
    return Int64(bitPattern: (UInt64(bitPattern: high) << (64 - shift)) | (low >> shift))
  }

  static func wide(_ p: Int64) -> (high: Int64, low: UInt64) { (p < 0 ? -1 : 0, UInt64(bitPattern: p)) }

  static func clamp(_ v: Int64, _ low: Int32, _ high: Int32) -> UInt8 { UInt8(min(max(v, Int64(low)), Int64(high))) }

  /// The per-channel requantization parameters, kept alive for the C calls.
  struct Requant: Sendable {
    var bias: [Int32]?, multiplier: [Int32], shift: [Int32]
    var zeroPoint: Int32, low: Int32, high: Int32

    /// clamp(zp + ((acc + bias)·M + 2^(s−1)) >> s, low, high), the product in 128 bits.
    func apply(_ acc: Int64, _ c: Int) -> UInt8 {
      let x = acc + Int64(bias?[c] ?? 0)
      let q = roundShift(x.multipliedFullWidth(by: Int64(multiplier[c])), Int(shift[c]))
      return clamp(Int64(zeroPoint) + q, low, high)
    }

    func with<R>(_ body: (UnsafePointer<qk_requant>) -> R) -> R {
      multiplier.withUnsafeBufferPointer { m in
        shift.withUnsafeBufferPointer { s in
          func call(_ b: UnsafePointer<Int32>?) -> R {
            var rq = qk_requant(
              bias: b, multiplier: m.baseAddress, shift: s.baseAddress, zero_point: zeroPoint,
              low: low, high: high)
            return body(&rq)
          }
          guard let bias else { return call(nil) }
          return bias.withUnsafeBufferPointer { call($0.baseAddress) }
        }
      }
    }

    /// Typical layer parameters (M in [2^30, 2^31), s in 30…44, modest biases): the fused fast path.
    static func realistic(_ n: Int, _ r: inout SeededRandom) -> Requant {
      Requant(
        bias: (0..<n).map { _ in Int32(Int64(r.next() % 200_001) - 100_000) },
        multiplier: (0..<n).map { _ in Int32(1 << 30) + Int32(r.next() % (1 << 30)) },
        shift: (0..<n).map { _ in 30 + Int32(r.next() % 15) }, zeroPoint: Int32(r.next() % 256), low: 0, high: 255)
    }

    /// Anything the contract allows: shifts 1…62 (both ends), multipliers 0 and 2^31 − 1, int32 biases
    /// of every size, a clamp range narrower than [0, 255] and a zero point off the grid.
    static func extreme(_ n: Int, _ r: inout SeededRandom) -> Requant {
      Requant(
        bias: (0..<n).map { c in
          c % 5 == 1 ? Int32.min : Int32(truncatingIfNeeded: Int64(bitPattern: r.next()) >> (r.next() % 64))
        },
        multiplier: (0..<n).map { c in c % 4 == 0 ? Int32.max : c % 7 == 3 ? 0 : Int32(r.next() % (1 << 31)) },
        shift: (0..<n).map { c in c % 3 == 0 ? 1 : c % 3 == 1 ? 62 : 1 + Int32(r.next() % 62) },
        zeroPoint: Int32(r.next() % 600) - 300, low: 3, high: 250)
    }
  }

  static func bytes(_ count: Int, _ r: inout SeededRandom) -> [UInt8] {
    (0..<count).map { _ in UInt8(truncatingIfNeeded: r.next()) }
  }
  static func signedBytes(_ count: Int, _ r: inout SeededRandom) -> [Int8] {
    (0..<count).map { _ in Int8(truncatingIfNeeded: r.next()) }
  }

  // MARK: - GEMM

  struct GemmCase: CustomTestStringConvertible, Sendable {
    var m: Int, n: Int, k: Int, padA = 0, padC = 0
    var lda: Int { k + padA }
    var ldc: Int { n + padC }
    /// Exactly the bytes the contract lets the kernels read: the last row ends at its k-th byte.
    var aCount: Int { m == 0 ? 0 : (m - 1) * lda + k }
    var testDescription: String { "\(m)×\(n)×\(k) lda \(lda) ldc \(ldc)" }
  }

  static let gemmCases: [GemmCase] = {
    let sizes = [1, 2, 3, 4, 5, 7, 15, 16, 17, 31, 33, 63, 64, 65, 100, 257]
    var cases: [GemmCase] = []
    // A rotation through the sizes so every one appears as m, n and k, with and without padded strides.
    for (i, m) in sizes.enumerated() {
      for shift in [3, 7, 12] {
        let n = sizes[(i + shift) % sizes.count], k = sizes[(i + 2 * shift + 1) % sizes.count]
        if m * n * k > 400_000 { continue }
        cases.append(GemmCase(m: m, n: n, k: k, padA: shift % 2 * 5, padC: shift == 7 ? 3 : 0))
      }
    }
    cases += [
      GemmCase(m: 1024, n: 16, k: 9, padA: 3), GemmCase(m: 64, n: 32, k: 144), GemmCase(m: 32, n: 10, k: 128),
      GemmCase(m: 9, n: 70, k: 130, padA: 1, padC: 2), GemmCase(m: 13, n: 48, k: 20), GemmCase(m: 7, n: 96, k: 2),
      GemmCase(m: 6, n: 5, k: 0, padC: 1),
      GemmCase(m: 0, n: 5, k: 3), GemmCase(m: 3, n: 0, k: 3),
    ]
    return cases
  }()

  static let sentinel: UInt8 = 0xA5

  /// Runs qk_qgemm_u8 (rq) or qk_qgemm_s32 (bias) on a C prefilled with sentinels.
  static func gemm(_ v: qk_variant, _ t: GemmCase, _ a: [UInt8], _ packed: [Int8], rq: Requant?, bias: [Int32]?)
    -> (u8: [UInt8], s32: [Int32])
  {
    var u8 = [UInt8](repeating: sentinel, count: t.m * t.ldc), s32 = [Int32](repeating: -7, count: t.m * t.ldc)
    if let rq {
      rq.with { qk_qgemm_u8(v, Int32(t.m), Int32(t.n), Int32(t.k), a, Int32(t.lda), packed, $0, &u8, Int32(t.ldc)) }
    } else if let bias {
      qk_qgemm_s32(v, Int32(t.m), Int32(t.n), Int32(t.k), a, Int32(t.lda), packed, bias, &s32, Int32(t.ldc))
    } else {
      qk_qgemm_s32(v, Int32(t.m), Int32(t.n), Int32(t.k), a, Int32(t.lda), packed, nil, &s32, Int32(t.ldc))
    }
    return (u8, s32)
  }

  static func checkGemm(_ t: GemmCase, a: [UInt8], b: [Int8], requants: [Requant], bias: [Int32]) {
    var packed = [Int8](repeating: 99, count: max(1, Int(qk_qgemm_packed_size(Int32(t.k), Int32(t.n)))))
    qk_qgemm_pack(Int32(t.k), Int32(t.n), b, Int32(t.n), &packed)
    var acc = [Int64](repeating: 0, count: t.m * t.n)  // the exact product, from the unpacked B
    for i in 0..<t.m {
      for p in 0..<t.k {
        let x = Int64(a[i * t.lda + p])
        for j in 0..<t.n { acc[i * t.n + j] += x * Int64(b[p * t.n + j]) }
      }
    }
    for v in variants {
      for withBias in [true, false] {
        let got = gemm(v, t, a, packed, rq: nil, bias: withBias ? bias : nil).s32
        let want = (0..<(t.m * t.ldc)).map { i in
          i % t.ldc >= t.n ? -7 : Int32(acc[i / t.ldc * t.n + i % t.ldc] + (withBias ? Int64(bias[i % t.ldc]) : 0))
        }
        #expect(got == want, "s32 \(String(cString: qk_variant_name(v))) bias \(withBias) \(t)")
      }
      for rq in requants {
        let got = gemm(v, t, a, packed, rq: rq, bias: nil).u8
        let want = (0..<(t.m * t.ldc)).map { i in
          i % t.ldc >= t.n ? sentinel : rq.apply(acc[i / t.ldc * t.n + i % t.ldc], i % t.ldc)
        }
        #expect(got == want, "u8 \(String(cString: qk_variant_name(v))) \(t)")
      }
    }
  }

  @Test(arguments: gemmCases)
  func qgemmMatchesTheWideReference(_ t: GemmCase) {
    var r = SeededRandom(seed: UInt64(t.m * 1_000_003 + t.n * 1009 + t.k))
    let a = Self.bytes(t.aCount, &r), b = Self.signedBytes(t.k * t.n, &r)
    var noBias = Requant.realistic(t.n, &r)
    noBias.bias = nil
    noBias.low = 10
    noBias.high = 200
    let requants = [Requant.realistic(t.n, &r), Requant.extreme(t.n, &r), noBias]
    Self.checkGemm(
      t, a: a, b: b, requants: requants, bias: (0..<t.n).map { _ in Int32(truncatingIfNeeded: r.next()) >> 2 })
  }

  /// The largest products the operands allow (255 · −128 and 255 · 127 over long sums), with the
  /// extreme requantizations.
  @Test(arguments: [(1, 17, 257), (5, 16, 1000), (20, 33, 4097)])
  func qgemmExtremeOperands(_ shape: (Int, Int, Int)) {
    let t = GemmCase(m: shape.0, n: shape.1, k: shape.2)
    var r = SeededRandom(seed: 42)
    let a = [UInt8](repeating: 255, count: t.aCount)
    let b = (0..<(t.k * t.n)).map { i in i % t.n % 2 == 0 ? Int8.min : Int8.max }
    Self.checkGemm(
      t, a: a, b: b, requants: [Requant.extreme(t.n, &r), Requant.realistic(t.n, &r)],
      bias: (0..<t.n).map { $0 % 2 == 0 ? Int32.max - 100 : 12 })
  }

  // MARK: - Requantization on its own

  @Test func requantizeRoundsTiesUpwardsAndMatchesTheReference() {
    // M = 1, s = 1: acc/2 rounded with ties towards +∞ (1 → 1, −1 → 0, −3 → −1), then zp 100.
    let tie = Requant(bias: nil, multiplier: [1, 1, 1, 1], shift: [1, 1, 1, 1], zeroPoint: 100, low: 0, high: 255)
    var out = [UInt8](repeating: 0, count: 4)
    tie.with { qk_requantize([1, -1, -3, 3], 1, 4, 4, $0, &out, 4) }
    #expect(out == [101, 100, 99, 102])
    var r = SeededRandom(seed: 7)
    let rows = 9, n = 37, ldAcc = 40, ldOut = 41
    let acc = (0..<(rows * ldAcc)).map { i in
      i % 11 == 0
        ? Int32.min
        : i % 13 == 0 ? Int32.max : Int32(truncatingIfNeeded: Int64(bitPattern: r.next()) >> (r.next() % 64))
    }
    for rq in [Requant.realistic(n, &r), Requant.extreme(n, &r)] {
      var got = [UInt8](repeating: Self.sentinel, count: rows * ldOut)
      rq.with { qk_requantize(acc, Int32(rows), Int32(n), Int32(ldAcc), $0, &got, Int32(ldOut)) }
      for row in 0..<rows {
        for j in 0..<ldOut {
          let want = j < n ? rq.apply(Int64(acc[row * ldAcc + j]), j) : Self.sentinel
          #expect(got[row * ldOut + j] == want)
        }
      }
    }
  }

  // MARK: - im2col and depthwise

  static func shape(n: Int, h: Int, w: Int, c: Int, cout: Int, k: Int, stride: Int, pad: Int, groups: Int)
    -> qk_conv_shape
  {
    qk_conv_shape(
      n: Int32(n), h: Int32(h), w: Int32(w), c_in: Int32(c), c_out: Int32(cout), kernel: Int32(k),
      stride: Int32(stride), pad: Int32(pad), groups: Int32(groups),
      out_h: Int32((h + 2 * pad - k) / stride + 1), out_w: Int32((w + 2 * pad - k) / stride + 1))
  }

  /// The input byte under kernel tap (ky, kx) of output (oy, ox), or nil in the padding.
  static func tap(_ x: [UInt8], _ s: qk_conv_shape, img: Int, oy: Int, ox: Int, ky: Int, kx: Int, ch: Int) -> UInt8? {
    let iy = oy * Int(s.stride) - Int(s.pad) + ky, ix = ox * Int(s.stride) - Int(s.pad) + kx
    guard iy >= 0, iy < Int(s.h), ix >= 0, ix < Int(s.w) else { return nil }
    return x[((img * Int(s.h) + iy) * Int(s.w) + ix) * Int(s.c_in) + ch]
  }

  @Test(arguments: [
    shape(n: 2, h: 5, w: 7, c: 3, cout: 4, k: 3, stride: 1, pad: 1, groups: 1),
    shape(n: 1, h: 7, w: 6, c: 4, cout: 6, k: 3, stride: 2, pad: 1, groups: 2),
    shape(n: 2, h: 6, w: 5, c: 1, cout: 3, k: 3, stride: 1, pad: 2, groups: 1),
    shape(n: 1, h: 9, w: 9, c: 5, cout: 5, k: 3, stride: 1, pad: 0, groups: 5),
    shape(n: 2, h: 4, w: 5, c: 2, cout: 3, k: 2, stride: 3, pad: 2, groups: 1),
    shape(n: 1, h: 8, w: 8, c: 16, cout: 32, k: 3, stride: 1, pad: 1, groups: 1),
  ])
  func im2colMatchesTheDefinition(_ s: qk_conv_shape) {
    var s = s
    var r = SeededRandom(seed: 3)
    let k = Int(s.kernel), groups = Int(s.groups), cg = Int(s.c_in) / groups, columns = groups * k * k * cg
    let rows = Int(s.n * s.out_h * s.out_w), ldcol = columns + 5, pad: UInt8 = 77
    let x = Self.bytes(Int(s.n * s.h * s.w * s.c_in), &r)
    var col = [UInt8](repeating: Self.sentinel, count: rows * ldcol)
    qk_im2col_u8(&s, x, pad, &col, Int32(ldcol))
    var want = [UInt8](repeating: 0, count: rows * ldcol)  // the bytes past the columns are zeroed
    var row = 0
    for img in 0..<Int(s.n) {
      for oy in 0..<Int(s.out_h) {
        for ox in 0..<Int(s.out_w) {
          var at = row * ldcol
          for g in 0..<groups {
            for ky in 0..<k {
              for kx in 0..<k {
                for ci in 0..<cg {
                  want[at] = Self.tap(x, s, img: img, oy: oy, ox: ox, ky: ky, kx: kx, ch: g * cg + ci) ?? pad
                  at += 1
                }
              }
            }
          }
          row += 1
        }
      }
    }
    #expect(col == want)
  }

  static let depthwiseCases: [qk_conv_shape] = [1, 15, 16, 17, 33, 70].flatMap { c in
    [(3, 1, 1), (3, 2, 0), (5, 1, 2), (5, 2, 1)].map { k, stride, pad in
      shape(n: 2, h: 7, w: 6, c: c, cout: c, k: k, stride: stride, pad: pad, groups: c)
    }
  }

  @Test(arguments: depthwiseCases)
  func depthwiseMatchesTheDefinition(_ s: qk_conv_shape) {
    var s = s
    let c = Int(s.c_in), k = Int(s.kernel)
    var r = SeededRandom(seed: UInt64(c * 100 + k * 10 + Int(s.stride)))
    let x = Self.bytes(Int(s.n * s.h * s.w) * c, &r), w = Self.signedBytes(k * k * c, &r)
    // A zero point off the byte grid (c = 17) takes the AVX-512 kernel's portable fallback.
    let xZero = c == 17 ? -300 : Int32(r.next() % 256), outputs = Int(s.n * s.out_h * s.out_w)
    var acc = [Int64](repeating: 0, count: outputs * c)
    var o = 0
    for img in 0..<Int(s.n) {
      for oy in 0..<Int(s.out_h) {
        for ox in 0..<Int(s.out_w) {
          for ch in 0..<c {
            for ky in 0..<k {
              for kx in 0..<k {
                guard let v = Self.tap(x, s, img: img, oy: oy, ox: ox, ky: ky, kx: kx, ch: ch) else { continue }
                acc[o * c + ch] += (Int64(v) - Int64(xZero)) * Int64(w[(ky * k + kx) * c + ch])
              }
            }
          }
          o += 1
        }
      }
    }
    for rq in [Requant.realistic(c, &r), Requant.extreme(c, &r)] {
      let want = (0..<(outputs * c)).map { rq.apply(acc[$0], $0 % c) }
      for v in Self.variants {
        var y = [UInt8](repeating: Self.sentinel, count: outputs * c)
        rq.with { qk_qdepthwise(v, &s, x, xZero, w, $0, &y) }
        #expect(y == want, "\(String(cString: qk_variant_name(v)))")
      }
    }
  }

  // MARK: - Pooling

  /// Σ/d rounded to nearest, ties to even (as nearbyint rounds a float mean, and ONNX Runtime's
  /// QLinearAveragePool with it).
  static func rdiv(_ sum: Int64, _ d: Int64) -> Int64 {
    Int64((Double(sum) / Double(d)).rounded(.toNearestOrEven))
  }

  @Test(arguments: [(2, 2, 9), (2, 2, 35), (3, 1, 10), (3, 2, 17)])
  func poolingMatchesTheDefinition(_ p: (Int, Int, Int)) {
    let (kernel, stride, c) = p, n = 2, h = 7, w = 8
    let oh = (h - kernel) / stride + 1, ow = (w - kernel) / stride + 1
    var r = SeededRandom(seed: UInt64(c))
    let x = Self.bytes(n * h * w * c, &r), zero: Int32 = 37
    var maxY = [UInt8](repeating: 0, count: n * oh * ow * c), avgY = maxY
    qk_maxpool_u8(x, Int32(n), Int32(h), Int32(w), Int32(c), Int32(kernel), Int32(stride), Int32(oh), Int32(ow), &maxY)
    qk_avgpool_u8(
      x, Int32(n), Int32(h), Int32(w), Int32(c), Int32(kernel), Int32(stride), Int32(oh), Int32(ow), zero, &avgY)
    var o = 0
    for img in 0..<n {
      for oy in 0..<oh {
        for ox in 0..<ow {
          for ch in 0..<c {
            let window = (0..<(kernel * kernel)).map { t in
              Int64(x[((img * h + oy * stride + t / kernel) * w + ox * stride + t % kernel) * c + ch])
            }
            #expect(maxY[o] == UInt8(window.max() ?? 0))
            #expect(
              Int64(avgY[o]) == Int64(zero)
                + Self.rdiv(window.reduce(0) { $0 + $1 - Int64(zero) }, Int64(kernel * kernel)))
            o += 1
          }
        }
      }
    }
  }

  @Test func averagesRoundTiesToEven() {
    // One 2×2 window per channel, zero 10: Σ(x − 10) = 2 → 0.5 → 0, −2 → −0.5 → −0 = 0, 6 → 1.5 → 2.
    let x: [UInt8] = [11, 9, 12, 11, 9, 12, 10, 10, 11, 10, 10, 11]  // [position][channel], 3 channels
    var y = [UInt8](repeating: 0, count: 3)
    qk_avgpool_u8(x, 1, 2, 2, 3, 2, 2, 1, 1, 10, &y)
    #expect(y == [10, 10, 12])
    qk_global_avgpool_u8(x, 1, 4, 3, 10, &y)
    #expect(y == [10, 10, 12])
    // Global pooling against the reference over 49 positions.
    var r = SeededRandom(seed: 5)
    let n = 3, positions = 49, c = 20
    let big = Self.bytes(n * positions * c, &r)
    var g = [UInt8](repeating: 0, count: n * c)
    qk_global_avgpool_u8(big, Int32(n), Int32(positions), Int32(c), 128, &g)
    for img in 0..<n {
      for ch in 0..<c {
        let sum = (0..<positions).reduce(Int64(0)) { $0 + Int64(big[(img * positions + $1) * c + ch]) - 128 }
        #expect(Int64(g[img * c + ch]) == 128 + Self.rdiv(sum, Int64(positions)))
      }
    }
  }

  // MARK: - Element-wise

  @Test func residualAddMatchesTheDefinition() {
    var r = SeededRandom(seed: 11)
    let count = 301
    let a = Self.bytes(count, &r), b = Self.bytes(count, &r)
    for (ma, mb, shift, low, high) in [
      (Int32(1 << 30), Int32(1 << 29), Int32(31), Int32(0), Int32(255)),
      (Int32.max, 12345, 62, 5, 240), (1, 1, 1, 0, 255),
    ] {
      var y = [UInt8](repeating: 0, count: count)
      qk_qadd_u8(a, 120, ma, b, 131, mb, shift, 99, low, high, Int64(count), &y)
      for i in 0..<count {
        let p = (Int64(a[i]) - 120) * Int64(ma) + (Int64(b[i]) - 131) * Int64(mb)
        #expect(y[i] == Self.clamp(99 + Self.roundShift(Self.wide(p), Int(shift)), low, high))
      }
    }
    // Ties: (1·1 + 0·1 + 1) >> 1 = 1 and (−1 + 1) >> 1 = 0, towards +∞.
    var t = [UInt8](repeating: 0, count: 2)
    qk_qadd_u8([11, 9], 10, 1, [10, 10], 10, 1, 1, 50, 0, 255, 2, &t)
    #expect(t == [51, 50])
  }

  @Test func affineMatchesTheDefinitionWithNegativeMultipliers() {
    var r = SeededRandom(seed: 12)
    let rows = 23, c = 19
    let x = Self.bytes(rows * c, &r)
    let m = (0..<c).map { ch in
      ch % 3 == 0 ? -Int32.max : ch % 3 == 1 ? Int32(r.next() % (1 << 31)) : -Int32(r.next() % (1 << 20))
    }
    let bias = (0..<c).map { _ in Int64(bitPattern: r.next()) >> 24 }
    for (shift, low, high) in [(Int32(36), Int32(0), Int32(255)), (1, 20, 230), (62, 0, 255)] {
      var y = [UInt8](repeating: 0, count: rows * c)
      qk_qaffine_u8(x, Int64(rows), Int32(c), 140, m, bias, shift, 128, low, high, &y)
      for i in 0..<(rows * c) {
        let p = (Int64(x[i]) - 140) * Int64(m[i % c]) + bias[i % c]
        #expect(y[i] == Self.clamp(128 + Self.roundShift(Self.wide(p), Int(shift)), low, high))
      }
    }
  }

  @Test func quantizeIsFakeQuantsInteger() {
    let scale: Float = 0.5, inv = 1 / scale, zp: Int32 = 3
    var x: [Float] = [0.25, 0.75, 1.25, -0.25, 1, -1, .nan, .infinity, -.infinity, 100, -100, 0]
    var r = SeededRandom(seed: 13)
    x += (0..<200).map { _ in Float(r.nextUnit() * 16 - 4) }
    var q = [UInt8](repeating: 0, count: x.count), fake = [Float](repeating: 0, count: x.count)
    qk_quantize_u8(x, Int64(x.count), inv, zp, 0, 200, &q)
    qk_fake_quant(x, Int64(x.count), scale, inv, zp, 0, 200, &fake, nil)
    for i in x.indices {
      let v = (x[i] * inv).rounded(.toNearestOrEven) + Float(zp)
      let want = v.isNaN ? 0 : min(max(v, 0), 200)
      #expect(q[i] == UInt8(want))
      #expect(Float(q[i]) == (fake[i] / scale).rounded() + Float(zp))
    }
    // Ties go to even (x·inv = 0.5, 1.5, 2.5, −0.5 → 0, 2, 2, 0), NaN and −inf to qmin, +inf and large to qmax.
    #expect(Array(q[0..<12]) == [3, 5, 5, 3, 5, 1, 0, 200, 0, 200, 0, 3])
  }

  @Test func peakProbeReportsARate() {
    let rate = qk_int8_peak_probe(10_000)
    #expect(qk_cpu_has_avx512_vnni() != 0 ? rate > 0 : rate == 0)
  }
}
