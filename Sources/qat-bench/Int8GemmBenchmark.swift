import CKernels
import Foundation
import QatSupport

/// Single-thread int8 GEMM throughput (qk_qgemm_u8: u8 × s8 → s32, requantized to u8 in the epilogue)
/// of the C variants on 256³ and on the shapes the integer engine runs per chunk of 16–32 images,
/// against the one-core `vpdpbusd` peak of NOTES.md and against this host's own, probed here (the
/// NOTES machine is a Zen 4; an Intel core with two 512-bit VNNI ports has a higher ceiling).
enum Int8GemmBenchmark {
  /// One-core int8 AVX-512 VNNI peak from NOTES.md "The ceiling" (GOP/s).
  static let notesPeak = 473.0

  struct Shape {
    var label: String
    var m: Int, n: Int, k: Int
    var ops: Double { 2 * Double(m) * Double(n) * Double(k) }
  }

  static let shapes: [Shape] = [
    Shape(label: "square", m: 256, n: 256, k: 256),
    Shape(label: "Net A conv1 (16 images)", m: 1024, n: 16, k: 9),
    Shape(label: "Net A conv2 (16 images)", m: 256, n: 32, k: 144),
    Shape(label: "Net A dense (16 images)", m: 16, n: 10, k: 128),
    Shape(label: "Net A dense (32 images)", m: 32, n: 10, k: 128),
    Shape(label: "Net B conv1 (4 images)", m: 3136, n: 16, k: 9),
    Shape(label: "Net B conv1 (16 images)", m: 12544, n: 16, k: 9),
    Shape(label: "Net B conv2 (16 images)", m: 3136, n: 32, k: 144),
    Shape(label: "Net B conv2 (64 images)", m: 12544, n: 32, k: 144),
    Shape(label: "Net B dense1 (32 images)", m: 32, n: 64, k: 1568),
  ]

  /// Median GOP/s of `variant` on `shape` (each sample ≥ 5·10⁸ operations), with a requantization of
  /// the kind real layers have (M ≈ 2^30, shift 38), so the fused epilogue runs as in the engine.
  static func gops(_ variant: qk_variant, _ s: Shape) -> Double {
    var random = SeededRandom(seed: 5)
    let a = (0..<(s.m * s.k)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
    let b = (0..<(s.k * s.n)).map { _ in Int8(truncatingIfNeeded: random.next()) }
    // Packed B 64-byte aligned, as the engine keeps it: each k group is one 64-byte load, and a load
    // that straddles two cache lines costs two.
    let packedBytes = Int(qk_qgemm_packed_size(Int32(s.k), Int32(s.n)))
    let packedRaw = UnsafeMutableRawPointer.allocate(byteCount: max(packedBytes, 1), alignment: 64)
    defer { packedRaw.deallocate() }
    let packed = packedRaw.bindMemory(to: Int8.self, capacity: max(packedBytes, 1))
    qk_qgemm_pack(Int32(s.k), Int32(s.n), b, Int32(s.n), packed)
    let bias = (0..<s.n).map { _ in Int32(random.next() % 20_001) - 10_000 }
    let multiplier = (0..<s.n).map { _ in Int32(1 << 30) + Int32(random.next() % (1 << 30)) }
    let shift = [Int32](repeating: 38, count: s.n)
    var c = [UInt8](repeating: 0, count: s.m * s.n)
    let calls = min(100_000, max(1, Int(5e8 / s.ops)))
    let seconds = bias.withUnsafeBufferPointer { bias in
      multiplier.withUnsafeBufferPointer { multiplier in
        shift.withUnsafeBufferPointer { shift in
          var rq = qk_requant(
            bias: bias.baseAddress, multiplier: multiplier.baseAddress, shift: shift.baseAddress,
            zero_point: 128, low: 0, high: 255)
          return Timing.median(runs: 7) {
            for _ in 0..<calls {
              qk_qgemm_u8(variant, Int32(s.m), Int32(s.n), Int32(s.k), a, Int32(s.k), packed, &rq, &c, Int32(s.n))
            }
          }
        }
      }
    }
    return s.ops * Double(calls) / seconds / 1e9
  }

  /// This host's register-only `vpdpbusd` rate (the best of 7: a shared host only ever slows a probe
  /// down), 0 without VNNI.
  static func probedPeak() -> Double {
    (0..<7).map { _ in qk_int8_peak_probe(20_000_000) }.max() ?? 0
  }

  static func run() {
    let vnni = qk_cpu_has_avx512_vnni() != 0
    let host = probedPeak()
    print("int8: single-thread qk_qgemm_u8 GOP/s (median of 7; 2·m·n·k operations, requantization fused)")
    print(
      String(
        format: "one-core vpdpbusd peak: %.0f GOP/s (NOTES.md machine), %@ (this host, register-only probe)",
        notesPeak, vnni ? String(format: "%.0f GOP/s", host) : "no AVX-512 VNNI"))
    var table = ReportTable()
    table.add(
      "shape", "m×n×k", "reference", "portable", vnni ? "avx512-vnni" : "avx512-vnni (n/a)",
      "% of NOTES peak", "% of host peak")
    for s in shapes {
      let reference = s.label == "square" ? String(format: "%.1f", gops(QK_REFERENCE, s)) : ""
      let portable = gops(QK_PORTABLE, s)
      let fast = vnni ? gops(QK_AVX512, s) : portable
      table.add(
        s.label, "\(s.m)×\(s.n)×\(s.k)", reference, String(format: "%.1f", portable),
        vnni ? String(format: "%.1f", fast) : "–", String(format: "%.0f %%", 100 * fast / notesPeak),
        vnni ? String(format: "%.0f %%", 100 * fast / host) : "–")
    }
    print(table.render())
  }
}
