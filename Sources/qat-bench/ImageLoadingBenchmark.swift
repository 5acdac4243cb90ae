import CPNG
import Foundation
import QatImages
import QatSupport

/// Loading a folder of 5,000 28×28 gray PNGs (10 classes), next to libpng's raw decode rate.
/// Target (SPEC §8): under 0.25 s on 2 cores with a warm file cache.
enum ImageLoadingBenchmark {
  static let classes = 10, perClass = 500, side = 28

  static func run(threads: Int) throws {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("qat-bench-images-\(getpid())").path
    defer { try? FileManager.default.removeItem(atPath: root) }
    var generator = SeededRandom(seed: 2024)  // the same folder every run
    let files = try makeFolder(root, perClass: perClass, generator: &generator)
    let bytes = try files.map { try [UInt8](Data(contentsOf: URL(fileURLWithPath: $0))) }
    let averageBytes = bytes.map(\.count).reduce(0, +) / max(1, bytes.count)
    print(
      """
      image loading: \(files.count) PNG files, \(side)x\(side) gray, \(classes) classes, \(averageBytes) bytes each \
      on average
      """
    )

    // libpng alone, one core: the C shim straight, then through Swift from memory and from files.
    let shim = Timing.median(runs: 5) { decodeInShim(bytes) }
    let memory = Timing.median(runs: 5) {
      for data in bytes { _ = try? PNGCodec.decode(data: data) }
    }
    let fromFiles = Timing.median(runs: 5) {
      for path in files { _ = try? PNGCodec.decode(path: path) }
    }
    // The whole loader: scan, decode in parallel, split, normalize (no cache).
    var table = ReportTable()
    table.add("", "time", "images/s", "reference")
    table.add(
      "libpng decode (C shim), memory, 1 core", ms(shim), rate(Double(files.count) / shim),
      "367 k/s per core (NOTES.md)")
    table.add("PNGCodec.decode, memory, 1 core", ms(memory), rate(Double(files.count) / memory), "")
    table.add("PNGCodec.decode, files, 1 core", ms(fromFiles), rate(Double(files.count) / fromFiles), "")
    for t in Array(Set([1, threads])).sorted() {
      let load = try Timing.median(runs: 5) {
        _ = try ImageFolderLoader.load(root, options: ImageFolderOptions(threads: t))
      }
      table.add(
        "images() load, \(t) thread\(t == 1 ? "" : "s")", ms(load), rate(Double(files.count) / load),
        t >= 2 ? "target < 250 ms on 2 cores" : "")
    }
    let cache = DatasetCache()
    let cached = try Timing.median(runs: 5) {
      _ = try ImageFolderLoader.load(root, options: ImageFolderOptions(threads: threads), cache: cache)
    }
    table.add("images() again (session cache)", ms(cached), rate(Double(files.count) / cached), "")
    print(table.render())
  }

  static func ms(_ seconds: Double) -> String { String(format: "%.1f ms", seconds * 1e3) }

  /// Decodes every PNG held in memory with the C shim alone, on this thread.
  static func decodeInShim(_ files: [[UInt8]]) {
    for data in files {
      var image = qpng_image()
      data.withUnsafeBufferPointer {
        _ = qpng_decode_memory($0.baseAddress, $0.count, Int32(QPNG_GRAY), qpng_default_limits(), &image)
      }
      qpng_free(image.pixels)
    }
  }

  /// The PNG files under `root`: in its class folders, or in those of its train/ and test/.
  static func listPNGs(_ root: String) -> [String] {
    func sorted(_ path: String) -> [String] {
      ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [])
        .filter { !$0.hasPrefix(".") }.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
    }
    return sorted(root).flatMap { top in
      sorted(root + "/" + top).flatMap { entry -> [String] in
        let path = root + "/" + top + "/" + entry
        return entry.hasSuffix(".png") ? [path] : sorted(path).map { path + "/" + $0 }
      }
    }
  }

  /// Writes the benchmark folder: each image a few soft random blobs on black, like a handwritten
  /// digit's PNG in size and entropy (MNIST files are ~250–350 bytes).
  static func makeFolder(_ root: String, perClass: Int, generator: inout SeededRandom) throws -> [String] {
    var paths: [String] = []
    for c in 0..<classes {
      let folder = "\(root)/\(c)"
      try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
      for i in 0..<perClass {
        var pixels = [UInt8](repeating: 0, count: side * side)
        for _ in 0..<4 {
          let cx = Double(6 + Int(generator.next() % 16)), cy = Double(6 + Int(generator.next() % 16))
          let r = 2.0 + Double(generator.next() % 3)
          for y in 0..<side {
            for x in 0..<side {
              let d = ((Double(x) - cx) * (Double(x) - cx) + (Double(y) - cy) * (Double(y) - cy)).squareRoot()
              let v = max(0, min(255, (r + 1 - d) * 128))
              pixels[y * side + x] = max(pixels[y * side + x], UInt8(v))
            }
          }
        }
        let path = "\(folder)/\(String(format: "%05d", i)).png"
        let png = try PNGCodec.encode(
          PixelImage(width: side, height: side, channels: 1, pixels: pixels), compressionLevel: 9)
        try Data(png).write(to: URL(fileURLWithPath: path))
        paths.append(path)
      }
    }
    return paths
  }
}
