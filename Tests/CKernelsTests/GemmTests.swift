import CKernels
import QatSupport
import Testing

/// Every GEMM variant this CPU can run against a double-precision product written from the
/// definition: all four transpose combinations, beta 0 (over NaN) and 1, tails, padded strides, k = 0,
/// the engine's real shapes, and bit-for-bit repeatability.
@Suite struct GemmTests {
  static let variants = [QK_REFERENCE, QK_PORTABLE, QK_AVX512].filter { qk_variant_available($0) != 0 }
  static let sizes = [1, 2, 3, 7, 15, 16, 17, 31, 33, 63, 65, 100]

  /// One product: shape, transposes, beta and the extra stride beyond the minimum.
  struct Case: CustomTestStringConvertible, Sendable {
    var m: Int, n: Int, k: Int
    var transA = false, transB = false, beta: Float = 0, pad = 0

    var lda: Int { (transA ? m : k) + pad }
    var ldb: Int { (transB ? k : n) + pad }
    var ldc: Int { n + pad }
    var aCount: Int { (transA ? k : m) * lda }
    var bCount: Int { (transB ? n : k) * ldb }
    var testDescription: String {
      "\(transA ? "T" : "N")\(transB ? "T" : "N") \(m)×\(n)×\(k) beta \(Int(beta)) pad \(pad)"
    }
  }

  static func randomValues(_ count: Int, seed: UInt64) -> [Float] {
    var random = SeededRandom(seed: seed)
    return (0..<count).map { _ in Float(random.nextUnit() * 2 - 1) }
  }

  /// C after `qk_sgemm` with exactly sized operands; C starts as NaN (beta 0) or random (beta 1),
  /// padding columns of C hold a sentinel.
  static func run(_ variant: qk_variant, _ t: Case, a: [Float], b: [Float], c0: [Float]) -> [Float] {
    var c = c0
    a.withUnsafeBufferPointer { a in
      b.withUnsafeBufferPointer { b in
        c.withUnsafeMutableBufferPointer { c in
          qk_sgemm(
            variant, t.transA ? 1 : 0, t.transB ? 1 : 0, Int32(t.m), Int32(t.n), Int32(t.k),
            a.baseAddress, Int32(t.lda), b.baseAddress, Int32(t.ldb), t.beta, c.baseAddress, Int32(t.ldc))
        }
      }
    }
    return c
  }

  static let sentinel: Float = 12345.5

  static func initialC(_ t: Case, seed: UInt64) -> [Float] {
    let random = randomValues(t.m * t.ldc, seed: seed)
    return (0..<(t.m * t.ldc)).map { i in i % t.ldc >= t.n ? sentinel : t.beta == 0 ? .nan : random[i] }
  }

  /// Checks every variant on one case. Large products check a strided sample of rows (every column),
  /// so that the double-precision loops stay cheap in a debug build.
  static func check(_ t: Case, seed: UInt64) {
    let a = randomValues(t.aCount, seed: seed), b = randomValues(t.bCount, seed: seed &+ 1)
    let c0 = initialC(t, seed: seed &+ 2)
    let rowStep = max(1, t.m * t.n * max(t.k, 1) / 400_000)
    for variant in variants {
      let c = run(variant, t, a: a, b: b, c0: c0)
      var failures = 0
      for i in stride(from: 0, to: t.m, by: rowStep) {
        for j in 0..<t.ldc {
          let got = c[i * t.ldc + j]
          if j >= t.n {
            if got != sentinel { failures += 1 }
            continue
          }
          var sum = 0.0, magnitude = 0.0
          for p in 0..<t.k {
            let x = Double(t.transA ? a[p * t.lda + i] : a[i * t.lda + p])
            let y = Double(t.transB ? b[j * t.ldb + p] : b[p * t.ldb + j])
            sum += x * y
            magnitude += abs(x * y)
          }
          if t.beta != 0 {
            sum += Double(c0[i * t.ldc + j])
            magnitude += abs(Double(c0[i * t.ldc + j]))
          }
          if !(abs(Double(got) - sum) <= Tolerance.gemmRelative * magnitude + Tolerance.gemmAbsolute) { failures += 1 }
        }
      }
      #expect(
        failures == 0, "\(String(cString: qk_variant_name(variant))) \(t.testDescription): \(failures) wrong entries")
    }
  }

  /// Every pair of sizes as (m, n), every k across the pairs, each transpose combination, beta 0 and 1.
  @Test(arguments: [(false, false), (false, true), (true, false), (true, true)])
  func tailsAllTransposes(_ transposes: (Bool, Bool)) {
    var index = 0
    for m in Self.sizes {
      for n in Self.sizes {
        // k cycles through the sizes; the largest products take a small k to keep the test quick.
        var k = Self.sizes[(index * 5) % Self.sizes.count]
        if m * n * k > 100_000 { k = Self.sizes[index % 4] }
        let t = Case(m: m, n: n, k: k, transA: transposes.0, transB: transposes.1, beta: Float(index % 2), pad: 0)
        Self.check(t, seed: UInt64(index))
        index += 1
      }
    }
  }

  /// Strides larger than the minimum (C's padding columns must keep their sentinel), both betas.
  @Test(arguments: [(false, false), (false, true), (true, false), (true, true)])
  func paddedStrides(_ transposes: (Bool, Bool)) {
    for (index, (m, n, k)) in [(17, 33, 65), (31, 16, 300), (100, 7, 15), (5, 65, 9), (16, 48, 257)].enumerated() {
      for beta: Float in [0, 1] {
        Self.check(
          Case(m: m, n: n, k: k, transA: transposes.0, transB: transposes.1, beta: beta, pad: 3 + index),
          seed: UInt64(100 + index))
      }
    }
  }

  /// The shapes the engine runs per chunk of 16 images (batch folded into m).
  static let engineCases: [Case] = [
    // forward
    Case(m: 1024, n: 16, k: 9), Case(m: 256, n: 32, k: 144), Case(m: 16, n: 10, k: 128), Case(m: 12544, n: 16, k: 9),
    Case(m: 3136, n: 32, k: 144), Case(m: 16, n: 64, k: 1568), Case(m: 16, n: 10, k: 64),
    // weight gradients
    Case(m: 9, n: 16, k: 1024, transA: true), Case(m: 144, n: 32, k: 256, transA: true, beta: 1),
    Case(m: 128, n: 10, k: 16, transA: true), Case(m: 144, n: 32, k: 3136, transA: true, beta: 1),
    Case(m: 1568, n: 64, k: 16, transA: true), Case(m: 64, n: 10, k: 16, transA: true, beta: 1),
    // input gradients
    Case(m: 256, n: 144, k: 32, transB: true), Case(m: 16, n: 128, k: 10, transB: true),
    Case(m: 3136, n: 144, k: 32, transB: true), Case(m: 16, n: 1568, k: 64, transB: true),
    Case(m: 16, n: 64, k: 10, transB: true),
  ]

  @Test(arguments: engineCases)
  func engineShapes(_ t: Case) {
    Self.check(t, seed: UInt64(t.m * 31 + t.n * 7 + t.k))
  }

  /// A product large enough for the AVX-512 variant's heap-blocked path (several k and row blocks).
  @Test(arguments: [(false, false), (false, true), (true, false), (true, true)])
  func largeBlockedProduct(_ transposes: (Bool, Bool)) {
    Self.check(Case(m: 350, n: 290, k: 600, transA: transposes.0, transB: transposes.1, beta: 1, pad: 5), seed: 77)
  }

  /// k = 0: beta 0 writes zeros over NaN, beta 1 leaves C as it was.
  @Test func emptyInnerDimension() {
    for variant in Self.variants {
      for beta: Float in [0, 1] {
        let t = Case(m: 5, n: 19, k: 0, beta: beta, pad: 2)
        let c0 = Self.initialC(t, seed: 9)
        let c = Self.run(variant, t, a: [0], b: [0], c0: c0)
        for i in 0..<t.m {
          for j in 0..<t.ldc {
            let expected = j >= t.n ? Self.sentinel : beta == 0 ? 0 : c0[i * t.ldc + j]
            #expect(c[i * t.ldc + j] == expected)
          }
        }
      }
    }
  }

  /// Two calls on the same inputs give the same bits (several k blocks, row and column tails).
  @Test(arguments: [(false, false), (false, true), (true, false), (true, true)])
  func deterministic(_ transposes: (Bool, Bool)) {
    for (m, n, k) in [(70, 50, 600), (13, 200, 40)] {
      let t = Case(m: m, n: n, k: k, transA: transposes.0, transB: transposes.1, beta: 1)
      let a = Self.randomValues(t.aCount, seed: 1), b = Self.randomValues(t.bCount, seed: 2)
      let c0 = Self.initialC(t, seed: 3)
      for variant in Self.variants {
        let first = Self.run(variant, t, a: a, b: b, c0: c0), second = Self.run(variant, t, a: a, b: b, c0: c0)
        #expect(first.map(\.bitPattern) == second.map(\.bitPattern), "\(String(cString: qk_variant_name(variant)))")
      }
    }
  }
}
