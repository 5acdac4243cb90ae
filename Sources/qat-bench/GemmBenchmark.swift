import CKernels
import Foundation
import QatSupport

/// Single-thread fp32 GEMM throughput of the C variants on 256³ and on the shapes the engine runs per
/// chunk of 16 images (batch folded into m), against the one-core FMA peak of NOTES.md.
enum GemmBenchmark {
  /// One-core fp32 FMA peak from NOTES.md "The ceiling" (GFLOP/s).
  static let peak = 117.0

  struct Shape {
    var label: String
    var transA = false, transB = false
    var m: Int, n: Int, k: Int
    var flops: Double { 2 * Double(m) * Double(n) * Double(k) }
  }

  static let shapes: [Shape] = [
    Shape(label: "square", m: 256, n: 256, k: 256),
    Shape(label: "conv1 fwd", m: 12544, n: 16, k: 9),
    Shape(label: "conv1 fwd (small)", m: 1024, n: 16, k: 9),
    Shape(label: "conv2 fwd", m: 3136, n: 32, k: 144),
    Shape(label: "conv2 fwd (small)", m: 256, n: 32, k: 144),
    Shape(label: "dense fwd", m: 16, n: 64, k: 1568),
    Shape(label: "out fwd", m: 16, n: 10, k: 128),
    Shape(label: "out fwd (64)", m: 16, n: 10, k: 64),
    Shape(label: "conv1 dW", transA: true, m: 9, n: 16, k: 1024),
    Shape(label: "conv2 dW", transA: true, m: 144, n: 32, k: 3136),
    Shape(label: "conv2 dW (small)", transA: true, m: 144, n: 32, k: 256),
    Shape(label: "dense dW", transA: true, m: 1568, n: 64, k: 16),
    Shape(label: "out dW", transA: true, m: 128, n: 10, k: 16),
    Shape(label: "conv2 dX", transB: true, m: 3136, n: 144, k: 32),
    Shape(label: "conv2 dX (small)", transB: true, m: 256, n: 144, k: 32),
    Shape(label: "dense dX", transB: true, m: 16, n: 1568, k: 64),
    Shape(label: "out dX", transB: true, m: 16, n: 128, k: 10),
  ]

  /// Median GFLOP/s of `variant` on `shape`, each sample long enough (≥ 5·10⁸ flops) to time well.
  static func gflops(_ variant: qk_variant, _ s: Shape) -> Double {
    let lda = s.transA ? s.m : s.k, ldb = s.transB ? s.k : s.n
    var random = SeededRandom(seed: 5)
    let a = UnsafeMutablePointer<Float>.allocate(capacity: s.m * s.k)
    let b = UnsafeMutablePointer<Float>.allocate(capacity: s.k * s.n)
    let c = UnsafeMutablePointer<Float>.allocate(capacity: s.m * s.n)
    defer { a.deallocate(); b.deallocate(); c.deallocate() }
    for i in 0..<(s.m * s.k) { a[i] = Float(random.nextUnit() - 0.5) }
    for i in 0..<(s.k * s.n) { b[i] = Float(random.nextUnit() - 0.5) }
    let calls = min(100_000, max(1, Int(5e8 / s.flops)))
    let seconds = Timing.median(runs: 7) {
      for _ in 0..<calls {
        qk_sgemm(
          variant, s.transA ? 1 : 0, s.transB ? 1 : 0, Int32(s.m), Int32(s.n), Int32(s.k),
          a, Int32(lda), b, Int32(ldb), 0, c, Int32(s.n))
      }
    }
    return s.flops * Double(calls) / seconds / 1e9
  }

  static func run() {
    let avx512 = qk_variant_available(QK_AVX512) != 0
    print("gemm: single-thread fp32 GFLOP/s (median of 7), one-core FMA peak \(Int(peak)) GFLOP/s (NOTES.md)")
    var table = ReportTable()
    table.add("shape", "op", "m×n×k", "reference", "portable", avx512 ? "avx512" : "avx512 (n/a)", "% of peak")
    for s in shapes {
      let op = (s.transA ? "T" : "N") + (s.transB ? "T" : "N")
      let reference = s.label == "square" ? String(format: "%.1f", gflops(QK_REFERENCE, s)) : ""
      let portable = gflops(QK_PORTABLE, s)
      let fast = avx512 ? gflops(QK_AVX512, s) : 0
      table.add(
        s.label, op, "\(s.m)×\(s.n)×\(s.k)", reference, String(format: "%.1f", portable),
        avx512 ? String(format: "%.1f", fast) : "–",
        String(format: "%.0f %%", 100 * (avx512 ? fast : portable) / peak))
    }
    print(table.render())
    // What every call costs besides the arithmetic (dispatch included): a 1×1×1 product.
    let one = Shape(label: "", m: 1, n: 1, k: 1)
    for (name, variant) in [("portable", QK_PORTABLE), ("avx512", QK_AVX512)] where variant != QK_AVX512 || avx512 {
      print(
        String(
          format: "qk_sgemm call overhead, %@: %.2f µs (a 1×1×1 product)", name, one.flops / gflops(variant, one) / 1e3)
      )
    }
    if let family = cpuFamily(), family >= 26 {
      print(
        "note: this CPU reports family \(family) (Zen 5 or later), whose 512-bit FMA units are full width: its one-core"
      )
      print(
        """
              zmm peak is about twice the NOTES.md figure (a register-only zmm FMA loop ran at 268 GFLOP/s on such \
        a host)
        """
      )
    }
  }

  /// The x86 "cpu family" from /proc/cpuinfo (Linux), if any.
  static func cpuFamily() -> Int? {
    guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return nil }
    for line in info.split(separator: "\n") where line.hasPrefix("cpu family") {
      return line.split(separator: ":").last.flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
    }
    return nil
  }
}
