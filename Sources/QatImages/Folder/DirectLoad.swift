#if canImport(Glibc)
  import Glibc
#endif
import QatSupport

/// The folder loader's fast path: each image is decoded straight into its slot of the final train
/// or test tensor (floats in 0…1) and its statistics are taken while it is in cache, so no decoded
/// image is kept and the pixels are not walked again before normalization. Memory: the final
/// tensors, a few bytes of bookkeeping per file, and one decoded image per worker.
///
/// Slots need the layout before decoding: the size and channels (given, or those of the first file
/// of each class folder) and the split (the folder's own, or the stratified split of every file).
/// When decoding proves the guess wrong (another most common size, a colour image where gray was
/// guessed), `load` returns nil and the general path loads the folder, so the result never differs.
enum DirectLoad {
  /// What decoding one file gave.
  enum Outcome: Sendable {
    case pending
    /// Written to its slot, from an image of this size and channel count.
    case placed(ImageSize, channels: Int)
    /// Decoded at a size other than the guessed one when no size was given: kept until the most
    /// common size is known (few, or the guess was wrong and the general path takes over).
    case odd(PixelImage)
    case failed(PNGError)
  }

  /// Where the images go, decided before decoding.
  struct Layout: Sendable {
    var size: ImageSize
    var channels: Int
    /// File indices in tensor order.
    var trainItems: [Int], testItems: [Int]
    /// For each file: whether it goes to test, and its image index in that split's tensor.
    var inTest: [Bool], slot: [Int]
    var plane: Int { size.height * size.width }
    var perImage: Int { channels * plane }
  }

  /// Bytes of odd-sized images kept before the guess is given up on.
  static let oddLimit = 64 << 20

  /// Loads the folder, or returns nil when the general path must (see above). Throws what that path
  /// throws, for the same reasons: `LoadInterrupted`, `ImageMemoryError`, `ImageFolderError`. With
  /// the dataset come the files' sizes and times as the decoder saw them, for the cache.
  static func load(
    _ path: String, scan: FolderScan, files: [FolderScan.File], options: ImageFolderOptions, budget: Int,
    isInterrupted: () -> Bool, started: Double, scanned: Double
  ) throws -> (dataset: ImageDataset, stamps: [FileStamp])? {
    guard let folders = FolderFiles(scan: scan, files: files),
      let layout = try guessLayout(scan: scan, files: files, folders: folders, options: options, isInterrupted)
    else { return nil }
    // The guess must fit the budget as the general path counts it (every image decoded, plus the
    // floats); when it does not, that path decides, with its own message.
    let decodedChannels = options.color == .rgb ? 3 : options.color == .gray ? 1 : layout.channels
    let floats = ImageMemory.floatBytes(images: files.count, channels: layout.channels, size: layout.size)
    let decoded = MemoryBudget.product([files.count, layout.plane, decodedChannels])
    guard MemoryBudget.fits(MemoryBudget.sum([decoded ?? Int.max, floats ?? Int.max]), budget: budget) else {
      return nil
    }
    var pass = Pass(files: files.count, layout: layout, budget: budget)
    try pass.run(folders: folders, options: options, isInterrupted: isInterrupted)
    if pass.abandoned.isSet { return nil }
    let dataset = try pass.finish(
      path, scan: scan, files: files, options: options, isInterrupted: isInterrupted, started: started,
      scanned: scanned)
    return dataset.map { ($0, pass.stamps) }
  }

  /// The size and channels of the first file of each class folder (the most common size, colour if
  /// any is), unless given, and the split of all files. Nil when none of those files decodes.
  static func guessLayout(
    scan: FolderScan, files: [FolderScan.File], folders: FolderFiles, options: ImageFolderOptions,
    _ isInterrupted: () -> Bool
  ) throws(LoadInterrupted) -> Layout? {
    var seen = Set<Int>()
    var sizes: [ImageSize] = []
    var colour = false
    for (i, file) in files.enumerated() where seen.insert(file.folder).inserted {
      if isInterrupted() { throw LoadInterrupted() }
      guard let (size, channels) = try? folders.withDecoded(i, color: options.color, { ($0.size, $0.channels) })
      else { continue }
      sizes.append(size)
      colour = colour || channels == 3
    }
    guard !sizes.isEmpty else { return nil }
    let size = options.size ?? ImageFolderLoader.mostCommonSize(sizes)
    let channels = options.color == .gray ? 1 : options.color == .rgb ? 3 : (colour ? 3 : 1)
    let trainItems: [Int], testItems: [Int]
    if scan.hasFixedSplit {
      trainItems = Array(0..<scan.trainFiles.count)
      testItems = Array(scan.trainFiles.count..<files.count)
    } else {
      (trainItems, testItems) = StratifiedSplit.split(
        classOf: files.map(\.classIndex), classCount: scan.classes.count, testFraction: options.testFraction,
        seed: options.seed)
    }
    var inTest = [Bool](repeating: false, count: files.count), slot = [Int](repeating: 0, count: files.count)
    for (j, i) in trainItems.enumerated() { slot[i] = j }
    for (j, i) in testItems.enumerated() {
      slot[i] = j
      inTest[i] = true
    }
    return Layout(
      size: size, channels: channels, trainItems: trainItems, testItems: testItems, inTest: inTest, slot: slot)
  }

  /// An array whose elements the caller writes before reading any: the pages of a large tensor are
  /// then first touched by the decoding workers, in parallel, and never zeroed in vain. Its whole
  /// 2 MiB pieces are marked for huge pages: 220 MB in 4 KiB pages is 54,000 page faults.
  static func uninitializedFloats(_ count: Int) -> [Float] {
    [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
      initialized = count
      #if os(Linux)
        guard let base = buffer.baseAddress, count > 0 else { return }
        let huge: UInt = 2 << 20
        let start = (UInt(bitPattern: base) + huge - 1) & ~(huge - 1)
        let end = UInt(bitPattern: base + count) & ~(huge - 1)
        if end > start, let first = UnsafeMutableRawPointer(bitPattern: start) {
          _ = madvise(first, Int(end - start), MADV_HUGEPAGE)  // a hint: refused is fine
        }
      #endif
    }
  }
}
