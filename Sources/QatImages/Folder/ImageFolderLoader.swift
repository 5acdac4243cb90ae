import Foundation
import QatSupport

/// How to load an image folder.
public struct ImageFolderOptions: Sendable, Hashable {
  /// Height and width to resize to; nil keeps the most common size in the folder.
  public var size: ImageSize?
  /// Gray, RGB, or whatever the files are (gray only if every image is gray).
  public var color: ColorRequest
  /// The share of each class held out for testing when the folder has no train/ and test/.
  public var testFraction: Double
  /// Seeds the split.
  public var seed: UInt64
  /// Decoding threads (the result does not depend on it).
  public var threads: Int

  public init(
    size: ImageSize? = nil, color: ColorRequest = .auto, testFraction: Double = 0.2, seed: UInt64 = 0,
    threads: Int = 2
  ) {
    self.size = size
    self.color = color
    self.testFraction = testFraction
    self.seed = seed
    self.threads = threads
  }
}

/// Rows and columns.
public struct ImageSize: Sendable, Hashable, CustomStringConvertible {
  public var height: Int, width: Int
  public init(height: Int, width: Int) {
    self.height = height
    self.width = width
  }
  /// "28x28".
  public var description: String { "\(width)x\(height)" }
}

/// Loads `ROOT/<class>/*.png` or `ROOT/train|test/<class>/*.png` into normalized tensors.
public enum ImageFolderLoader {
  /// Scans, decodes on `options.threads` cores, splits, resizes and normalizes. Throws
  /// `ImageFolderError` for folder problems and `LoadInterrupted` when `isInterrupted` says so.
  /// Undecodable files are skipped and listed in the result, never fatal (unless a class is left empty).
  /// With a `cache`, an unchanged folder loaded with the same options is answered from it.
  /// Images whose decoded and float pixels would exceed `budget` bytes are refused with
  /// `ImageMemoryError` before that memory is taken.
  public static func load(
    _ path: String, options: ImageFolderOptions, cache: DatasetCache? = nil,
    isInterrupted: () -> Bool = { false }, budget: Int = MemoryBudget.bytes
  ) throws -> ImageDataset {
    try load(path, options: options, cache: cache, isInterrupted: isInterrupted, budget: budget, direct: true)
  }

  /// `load`, with `direct: false` forcing the general path (tests compare the two).
  static func load(
    _ path: String, options: ImageFolderOptions, cache: DatasetCache?, isInterrupted: () -> Bool, budget: Int,
    direct: Bool
  ) throws -> ImageDataset {
    let start = MonotonicClock.seconds()
    // Sizes and times are compared only when the cache holds this folder and options; a first load
    // takes them from the decoder's fstat instead of a stat per file.
    let compare = cache?.mayHold(path: path, options: options) ?? false
    let scan = try FolderScan.scan(path, threads: options.threads, statFiles: compare)
    let files = scan.trainFiles + scan.testFiles
    let key = compare ? DatasetCache.Key(path: path, options: options, files: files) : nil
    if let key, let hit = cache?.lookup(key) {
      return hit.cached(seconds: MonotonicClock.seconds() - start, path: PrintableName.of(path))
    }

    if let size = options.size {
      // At least one channel of float pixels per image (three for RGB), before anything is decoded.
      let channels = options.color == .rgb ? 3 : 1
      try ImageMemory.check(
        ImageMemory.floatBytes(images: files.count, channels: channels, size: size), budget: budget,
        images: files.count, size: size, sizeGiven: true)
    }
    let scanned = MonotonicClock.seconds()
    if direct,
      let (dataset, stamps) = try DirectLoad.load(
        path, scan: scan, files: files, options: options, budget: budget, isInterrupted: isInterrupted,
        started: start, scanned: scanned)
    {
      cache?.store(
        key ?? DatasetCache.Key(path: path, options: options, files: FolderScan.stamped(files, stamps)), dataset)
      return dataset
    }
    return try generalLoad(
      path, scan: scan, files: files, options: options, key: key, cache: cache, isInterrupted: isInterrupted,
      budget: budget, start: start, scanned: MonotonicClock.seconds())
  }

  /// The general path: every file decoded to a `PixelImage`, then resized into the tensors. It
  /// takes any folder (mixed sizes and colours); `DirectLoad` hands it the folders it cannot guess.
  static func generalLoad(
    _ path: String, scan: FolderScan, files: [FolderScan.File], options: ImageFolderOptions,
    key: DatasetCache.Key?, cache: DatasetCache?, isInterrupted: () -> Bool, budget: Int, start: Double,
    scanned: Double
  ) throws -> ImageDataset {
    let decodedBytes = DecodedBytes(budget: budget)
    let decoded = try decodeAll(
      files.map(\.raw), color: options.color, threads: options.threads, isInterrupted: isInterrupted,
      tally: decodedBytes)
    if decodedBytes.isOverBudget {
      try ImageMemory.check(nil, budget: budget, images: files.count, size: nil, sizeGiven: options.size != nil)
    }
    let decodedAt = MonotonicClock.seconds()
    try checkEveryClassHasImages(scan: scan, files: files) { i in
      if case .failure(let error) = decoded[i] { return error } else { return nil }
    }
    var skipped = scan.skipped
    var images: [PixelImage] = []
    var kept: [Int] = []  // indices into `files` of the images that decoded
    for (i, result) in decoded.enumerated() {
      switch result {
      case .success(let image): images.append(image); kept.append(i)
      case .failure(let error): skipped.append(SkippedFile(path: files[i].path, reason: error.reason))
      }
    }
    let size = options.size ?? mostCommonSize(images.map { ImageSize(height: $0.height, width: $0.width) })
    let channels =
      options.color == .gray ? 1 : options.color == .rgb ? 3 : (images.allSatisfy { $0.channels == 1 } ? 1 : 3)
    // The decoded images and the float pixels made from them are held at once.
    try ImageMemory.check(
      MemoryBudget.sum([
        decodedBytes.bytes, ImageMemory.floatBytes(images: images.count, channels: channels, size: size) ?? Int.max,
      ]), budget: budget, images: images.count, size: size, sizeGiven: options.size != nil)
    let labels = kept.map { files[$0].classIndex }
    let paths = kept.map { files[$0].path }

    // Which kept images are train and which test.
    let trainCount = scan.trainFiles.count
    let trainItems: [Int], testItems: [Int]
    if scan.hasFixedSplit {
      trainItems = kept.indices.filter { kept[$0] < trainCount }
      testItems = kept.indices.filter { kept[$0] >= trainCount }
    } else {
      (trainItems, testItems) = StratifiedSplit.split(
        classOf: labels, classCount: scan.classes.count,
        testFraction: options.testFraction, seed: options.seed)
    }

    var trainPixels = try tensor(
      trainItems.map { images[$0] }, size: size, channels: channels, threads: options.threads,
      isInterrupted: isInterrupted)
    var testPixels = try tensor(
      testItems.map { images[$0] }, size: size, channels: channels, threads: options.threads,
      isInterrupted: isInterrupted)
    let plane = size.height * size.width
    let stats = ChannelStats.compute(trainPixels, channels: channels, plane: plane, threads: options.threads)
    ChannelStats.normalize(
      &trainPixels, channels: channels, plane: plane, mean: stats.mean, std: stats.std, threads: options.threads)
    ChannelStats.normalize(
      &testPixels, channels: channels, plane: plane, mean: stats.mean, std: stats.std, threads: options.threads)

    func split(_ name: String, _ items: [Int], _ pixels: [Float]) -> ImageSplit {
      ImageSplit(
        name: name, classes: scan.classes, channels: channels, height: size.height, width: size.width,
        pixels: pixels, labels: items.map { labels[$0] }, paths: items.map { paths[$0] },
        mean: stats.mean, std: stats.std)
    }
    let resized = images.filter { $0.width != size.width || $0.height != size.height }.count
    let end = MonotonicClock.seconds()
    let dataset = ImageDataset(
      path: PrintableName.of(path), classes: scan.classes, train: split("train", trainItems, trainPixels),
      test: split("test", testItems, testPixels), skipped: skipped,
      hasFixedSplit: scan.hasFixedSplit, seconds: end - start, fromCache: false,
      resizedCount: resized,
      phases: LoadPhases(scan: scanned - start, decode: decodedAt - scanned, finish: end - decodedAt))
    cache?.store(key ?? DatasetCache.Key(path: path, options: options, files: FolderScan.stamped(files)), dataset)
    return dataset
  }

  /// Decodes every file on `threads` cores; results are in file order. Ctrl-C (`isInterrupted`)
  /// is noticed between files. With a `tally`, decoding stops once the decoded bytes exceed its budget.
  static func decodeAll(
    _ paths: [RawPath], color: ColorRequest, threads: Int,
    isInterrupted: () -> Bool, tally: DecodedBytes? = nil
  ) throws -> [Result<PixelImage, PNGError>] {
    let results = UnsafeMutablePointer<Result<PixelImage, PNGError>>.allocate(capacity: paths.count)
    let filler = Result<PixelImage, PNGError>.failure(PNGError(status: 1, message: "not decoded"))
    results.initialize(repeating: filler, count: paths.count)
    defer {
      results.deinitialize(count: paths.count)
      results.deallocate()
    }
    let shared = SharedBuffer(base: results)
    try Parallel.forEachChunk(count: paths.count, chunk: 1, threads: threads, isInterrupted: isInterrupted) { range in
      for i in range {
        if tally?.isOverBudget == true { return }
        do throws(PNGError) {
          let image = try PNGCodec.decode(rawPath: paths[i], color: color)
          _ = tally?.add(image.pixels.count)
          shared.base[i] = .success(image)
        } catch {
          shared.base[i] = .failure(error)
        }
      }
    }
    return Array(UnsafeBufferPointer(start: results, count: paths.count))
  }

  /// A class (in either split) whose every file failed to decode is an error: the dataset would
  /// silently lose it. `failure(i)` is file i's decoding error, nil if it decoded.
  static func checkEveryClassHasImages(
    scan: FolderScan, files: [FolderScan.File], failure: (Int) -> PNGError?
  ) throws {
    let splits = scan.hasFixedSplit ? ["train/", "test/"] : [""]
    var groups = [[Int]](repeating: [], count: scan.classes.count * splits.count)  // file indices by (class, split)
    for (i, file) in files.enumerated() {
      let split = i < scan.trainFiles.count ? 0 : 1  // without a fixed split every file is a "train" file
      groups[file.classIndex * splits.count + split].append(i)
    }
    for (g, members) in groups.enumerated() where !members.isEmpty {
      guard !members.contains(where: { failure($0) == nil }) else { continue }
      let folder = splits[g % splits.count] + scan.classes[g / splits.count]
      var example = ""
      if let error = failure(members[0]) {
        example = ": \((files[members[0]].path as NSString).lastPathComponent): \(error.reason)"
      }
      throw ImageFolderError(
        "the class folder '\(folder)' has no readable PNG images (\(members.count) files skipped\(example))",
        hint: "add PNG images to it, or remove the folder")
    }
  }

  /// The size most images have (ties go to the one met first), so a few odd files do not decide.
  static func mostCommonSize(_ sizes: [ImageSize]) -> ImageSize {
    var counts: [ImageSize: Int] = [:]
    var order: [ImageSize] = []
    for size in sizes {
      if counts[size] == nil { order.append(size) }
      counts[size, default: 0] += 1
    }
    return order.max { (counts[$0] ?? 0) < (counts[$1] ?? 0) } ?? ImageSize(height: 1, width: 1)
  }

  /// Resizes every image to `size` with `channels` channels, as planar floats in 0…1.
  static func tensor(
    _ images: [PixelImage], size: ImageSize, channels: Int, threads: Int,
    isInterrupted: () -> Bool
  ) throws -> [Float] {
    let perImage = channels * size.height * size.width
    var out = [Float](repeating: 0, count: images.count * perImage)
    // One plan per source size: the weight tables are built once, not once per image.
    var plans: [ImageSize: ResizePlan] = [:]
    for image in images where plans[ImageSize(height: image.height, width: image.width)] == nil {
      plans[ImageSize(height: image.height, width: image.width)] =
        ResizePlan(sourceWidth: image.width, sourceHeight: image.height, width: size.width, height: size.height)
    }
    let sharedPlans = plans
    try out.withUnsafeMutableBufferPointer { buffer in
      guard let base = buffer.baseAddress else { return }
      let shared = SharedBuffer(base: base)
      try Parallel.forEachChunk(count: images.count, chunk: 64, threads: threads, isInterrupted: isInterrupted) {
        range, shouldStop in
        for i in range {
          // Only gray-to-RGB can be needed: when gray is asked for, decoding already gave one channel.
          let image = channels == 3 ? images[i].asRGB() : images[i]
          sharedPlans[ImageSize(height: image.height, width: image.width)]?.apply(
            image, into: shared.base + i * perImage, isInterrupted: shouldStop)
        }
      }
    }
    return out
  }
}
