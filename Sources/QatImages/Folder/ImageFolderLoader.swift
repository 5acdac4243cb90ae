import Foundation

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

  public init(size: ImageSize? = nil, color: ColorRequest = .auto, testFraction: Double = 0.2, seed: UInt64 = 0,
              threads: Int = 2) {
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

extension ColorRequest: Hashable {}

/// Loads `ROOT/<class>/*.png` or `ROOT/train|test/<class>/*.png` into normalized tensors.
public enum ImageFolderLoader {
  /// Scans, decodes on `options.threads` cores, splits, resizes and normalizes. Throws
  /// `ImageFolderError` for folder problems and `LoadInterrupted` when `isInterrupted` says so.
  /// Undecodable files are skipped and listed in the result, never fatal (unless a class is left empty).
  /// With a `cache`, an unchanged folder loaded with the same options is answered from it.
  public static func load(_ path: String, options: ImageFolderOptions, cache: DatasetCache? = nil,
                          isInterrupted: () -> Bool = { false }) throws -> ImageDataset {
    let start = DispatchTime.now().uptimeNanoseconds
    let scan = try FolderScan.scan(path)
    let key = DatasetCache.Key(path: path, options: options, files: scan.trainFiles + scan.testFiles)
    if let hit = cache?.lookup(key) {
      return hit.cached(seconds: elapsed(since: start), path: path)
    }

    let files = scan.trainFiles + scan.testFiles
    let decoded = try decodeAll(files.map(\.path), color: options.color, threads: options.threads, isInterrupted: isInterrupted)
    var skipped = scan.skipped
    var kept: [Int] = []  // indices into `files` that decoded
    for (i, result) in decoded.enumerated() {
      switch result {
      case .success: kept.append(i)
      case .failure(let error): skipped.append(SkippedFile(path: files[i].path, reason: error.reason))
      }
    }
    try checkEveryClassHasImages(scan: scan, kept: kept, files: files, skipped: skipped)

    let images: [PixelImage] = kept.map { i in
      if case .success(let image) = decoded[i] { return image }
      return PixelImage(width: 1, height: 1, channels: 1, pixels: [0])  // unreachable: kept holds successes
    }
    let size = options.size ?? mostCommonSize(images)
    let channels = options.color == .gray ? 1 : options.color == .rgb ? 3 : (images.allSatisfy { $0.channels == 1 } ? 1 : 3)
    let labels = kept.map { files[$0].classIndex }
    let paths = kept.map { files[$0].path }

    // Which kept images are train and which test.
    let trainCount = scan.trainFiles.count
    let trainItems: [Int], testItems: [Int]
    if scan.hasFixedSplit {
      trainItems = kept.indices.filter { kept[$0] < trainCount }
      testItems = kept.indices.filter { kept[$0] >= trainCount }
    } else {
      (trainItems, testItems) = StratifiedSplit.split(classOf: labels, classCount: scan.classes.count,
                                                      testFraction: options.testFraction, seed: options.seed)
    }

    var trainPixels = try tensor(trainItems.map { images[$0] }, size: size, channels: channels, threads: options.threads, isInterrupted: isInterrupted)
    var testPixels = try tensor(testItems.map { images[$0] }, size: size, channels: channels, threads: options.threads, isInterrupted: isInterrupted)
    let plane = size.height * size.width
    let stats = trainPixels.withUnsafeBufferPointer { buffer in
      ChannelStats.compute(buffer, count: trainItems.count, channels: channels,
                           plane: plane, threads: options.threads)
    }
    for i in [0, 1] {
      let count = i == 0 ? trainItems.count : testItems.count
      func run(_ buffer: inout UnsafeMutableBufferPointer<Float>) {
        guard let base = buffer.baseAddress else { return }
        ChannelStats.normalize(base, count: count, channels: channels, plane: plane, mean: stats.mean, std: stats.std, threads: options.threads)
      }
      if i == 0 { trainPixels.withUnsafeMutableBufferPointer(run) } else { testPixels.withUnsafeMutableBufferPointer(run) }
    }

    func split(_ name: String, _ items: [Int], _ pixels: [Float]) -> ImageSplit {
      ImageSplit(name: name, classes: scan.classes, channels: channels, height: size.height, width: size.width,
                 pixels: pixels, labels: items.map { labels[$0] }, paths: items.map { paths[$0] },
                 mean: stats.mean, std: stats.std)
    }
    let resized = images.filter { $0.width != size.width || $0.height != size.height }.count
    let dataset = ImageDataset(path: path, classes: scan.classes, train: split("train", trainItems, trainPixels),
                               test: split("test", testItems, testPixels), skipped: skipped,
                               hasFixedSplit: scan.hasFixedSplit, seconds: elapsed(since: start), fromCache: false,
                               resizedCount: resized)
    cache?.store(key, dataset)
    return dataset
  }

  static func elapsed(since start: UInt64) -> Double {
    Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
  }

  /// Decodes every file on `threads` cores; results are in file order.
  static func decodeAll(_ paths: [String], color: ColorRequest, threads: Int,
                        isInterrupted: () -> Bool) throws -> [Result<PixelImage, PNGError>] {
    let results = UnsafeMutablePointer<Result<PixelImage, PNGError>>.allocate(capacity: paths.count)
    let filler = Result<PixelImage, PNGError>.failure(PNGError(status: 1, message: "not decoded"))
    results.initialize(repeating: filler, count: paths.count)
    defer {
      results.deinitialize(count: paths.count)
      results.deallocate()
    }
    let shared = SharedBuffer(base: results)
    try Parallel.forEachChunk(count: paths.count, chunk: 32, threads: threads, isInterrupted: isInterrupted) { range in
      for i in range {
        do throws(PNGError) {
          shared.base[i] = .success(try PNGCodec.decode(path: paths[i], color: color))
        } catch {
          shared.base[i] = .failure(error)
        }
      }
    }
    return Array(UnsafeBufferPointer(start: results, count: paths.count))
  }

  /// A class whose every file was skipped is an error: the dataset would silently lose it.
  static func checkEveryClassHasImages(scan: FolderScan, kept: [Int], files: [FolderScan.File], skipped: [SkippedFile]) throws {
    var perSplitClass = Set<Int>()
    let trainCount = scan.trainFiles.count
    for i in kept { perSplitClass.insert(files[i].classIndex * 2 + (i < trainCount ? 0 : 1)) }
    for (c, name) in scan.classes.enumerated() {
      for (s, splitName) in (scan.hasFixedSplit ? [(0, "train/"), (1, "test/")] : [(0, "")]) {
        if perSplitClass.contains(c * 2 + s) { continue }
        let folder = (scan.hasFixedSplit ? "\(splitName)" : "") + name
        let reasons = skipped.filter { $0.path.contains("/\(folder)/") }
        let example = reasons.first.map { ": \(($0.path as NSString).lastPathComponent): \($0.reason)" } ?? ""
        throw ImageFolderError("the class folder '\(folder)' has no readable PNG images (\(reasons.count) files skipped\(example))",
                               hint: "add PNG images to it, or remove the folder")
      }
    }
  }

  /// The size most images have (ties go to the one met first), so a few odd files do not decide.
  static func mostCommonSize(_ images: [PixelImage]) -> ImageSize {
    var counts: [ImageSize: Int] = [:]
    var order: [ImageSize] = []
    for image in images {
      let size = ImageSize(height: image.height, width: image.width)
      if counts[size] == nil { order.append(size) }
      counts[size, default: 0] += 1
    }
    return order.max { (counts[$0] ?? 0) < (counts[$1] ?? 0) } ?? ImageSize(height: 1, width: 1)
  }

  /// Resizes every image to `size` with `channels` channels, as planar floats in 0…1.
  static func tensor(_ images: [PixelImage], size: ImageSize, channels: Int, threads: Int,
                     isInterrupted: () -> Bool) throws -> [Float] {
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
      try Parallel.forEachChunk(count: images.count, chunk: 64, threads: threads, isInterrupted: isInterrupted) { range in
        for i in range {
          let image = images[i].channels == channels ? images[i]
            : (channels == 3 ? images[i].asRGB() : images[i])  // gray was asked: decoding already gave 1 channel
          let plan = sharedPlans[ImageSize(height: image.height, width: image.width)]
            ?? ResizePlan(sourceWidth: image.width, sourceHeight: image.height, width: size.width, height: size.height)
          plan.apply(image, into: shared.base + i * perImage)
        }
      }
    }
    return out
  }
}
