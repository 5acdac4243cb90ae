import CPNG
import Foundation
import QatImages
import QatSupport

/// Loading an MNIST-sized folder: 70,000 generated 28×28 gray PNGs in train/ (6,000 per class) and
/// test/ (1,000 per class), by phase, with the peak memory, beside libpng's raw decode rate.
/// Target (issue 17): ≤ 0.6 s on 2 threads with a warm file cache, holding only the final tensors
/// and a bounded working set.
enum DatasetLoadingBenchmark {
  static let classes = 10, trainPerClass = 6_000, testPerClass = 1_000, side = ImageLoadingBenchmark.side

  static func run(threads: Int) throws {
    let root = try folder()
    let files = ImageLoadingBenchmark.listPNGs(root)
    let bytes = try files.map { try [UInt8](Data(contentsOf: URL(fileURLWithPath: $0))) }
    print("image loading at MNIST size: \(files.count) PNG files in \(root) (kept between runs)")

    // libpng alone, from memory: the ceiling for the decoding part.
    let shim = Timing.median(runs: 3) { ImageLoadingBenchmark.decodeInShim(bytes) }
    var table = ReportTable()
    table.add("", "median", "range", "images/s", "peak RSS growth")
    table.add("libpng decode (C shim), memory, 1 core", ms(shim), "", rate(Double(files.count) / shim), "")
    let tensors = files.count * side * side * MemoryLayout<Float>.size
    for t in Array(Set([1, threads])).sorted() {
      let peak = try MemoryProbe.peakGrowth { _ = try load(root, threads: t) }
      var runs: [ImageDataset] = []
      var seconds: [Double] = [], cpu: [Double] = []
      for _ in 0..<5 {
        let start = MonotonicClock.seconds(), startCPU = MemoryProbe.cpuSeconds()
        runs.append(try load(root, threads: t))
        seconds.append(MonotonicClock.seconds() - start)
        cpu.append(MemoryProbe.cpuSeconds() - startCPU)
        runs.removeAll()  // one dataset alive at a time, as in a session that reloads
      }
      let phases = try (0..<3).map { _ in try load(root, threads: t).phases }
      let name = "images() load, \(t) thread\(t == 1 ? "" : "s")"
      table.add(
        name, ms(median(seconds)), range(seconds), rate(Double(files.count) / median(seconds)),
        MemoryProbe.megabytes(peak))
      table.add("  CPU time (user + system)", ms(median(cpu)), range(cpu), "", "")
      table.add("  directory scan", ms(median(phases.map(\.scan))), range(phases.map(\.scan)), "", "")
      table.add("  read + decode", ms(median(phases.map(\.decode))), range(phases.map(\.decode)), "", "")
      table.add("  split + normalize", ms(median(phases.map(\.finish))), range(phases.map(\.finish)), "", "")
    }
    print(table.render())
    print("final tensors: \(MemoryProbe.megabytes(tensors)); target ≤ 600 ms on 2 threads")
  }

  static func load(_ root: String, threads: Int) throws -> ImageDataset {
    try ImageFolderLoader.load(root, options: ImageFolderOptions(threads: threads))
  }

  static func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
  static func range(_ values: [Double]) -> String {
    String(format: "%.0f–%.0f ms", (values.min() ?? 0) * 1e3, (values.max() ?? 0) * 1e3)
  }
  static func ms(_ seconds: Double) -> String { ImageLoadingBenchmark.ms(seconds) }

  /// The folder, generated once under the temporary directory and named by its parameters (a
  /// marker file written last says it is complete), so later runs measure a warm file cache.
  static func folder() throws -> String {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent(
      "qat-bench-mnist-\(trainPerClass)-\(testPerClass)-\(side)-v1"
    ).path
    let marker = root + "/.complete"
    if FileManager.default.fileExists(atPath: marker) { return root }
    try? FileManager.default.removeItem(atPath: root)
    var generator = SeededRandom(seed: 2025)
    _ = try ImageLoadingBenchmark.makeFolder(root + "/train", perClass: trainPerClass, generator: &generator)
    _ = try ImageLoadingBenchmark.makeFolder(root + "/test", perClass: testPerClass, generator: &generator)
    try Data().write(to: URL(fileURLWithPath: marker))
    return root
  }
}
