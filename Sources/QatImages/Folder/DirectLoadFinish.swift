import QatSupport

extension DirectLoad.Pass {
  /// After decoding: the general path's checks, in its order and with its numbers; then the odd-sized
  /// images resized into their slots, the files that failed taken out, the statistics and the
  /// normalization. Nil when decoding proved the guessed size or channels wrong.
  mutating func finish(
    _ path: String, scan: FolderScan, files: [FolderScan.File], options: ImageFolderOptions,
    isInterrupted: () -> Bool, started: Double, scanned: Double
  ) throws -> ImageDataset? {
    let decodedAt = MonotonicClock.seconds()
    let sizeGiven = options.size != nil
    if tally.isOverBudget {
      try ImageMemory.check(nil, budget: tally.budget, images: files.count, size: nil, sizeGiven: sizeGiven)
    }
    let outcomes = self.outcomes
    try ImageFolderLoader.checkEveryClassHasImages(scan: scan, files: files) { i in
      if case .failed(let error) = outcomes[i] { return error } else { return nil }
    }
    var kept: [Int] = [], sizes: [ImageSize] = [], odd: [(file: Int, image: PixelImage)] = []
    var skipped = scan.skipped
    var allGray = true
    kept.reserveCapacity(files.count)
    sizes.reserveCapacity(files.count)
    for i in files.indices {
      switch outcomes[i] {
      case .pending: return nil
      case .failed(let error): skipped.append(SkippedFile(path: files[i].path, reason: error.reason))
      case .placed(let size, let channels):
        kept.append(i)
        sizes.append(size)
        allGray = allGray && channels == 1
      case .odd(let image):
        kept.append(i)
        sizes.append(ImageSize(height: image.height, width: image.width))
        allGray = allGray && image.channels == 1
        odd.append((i, image))
      }
    }
    let size = options.size ?? ImageFolderLoader.mostCommonSize(sizes)
    let channels = options.color == .gray ? 1 : options.color == .rgb ? 3 : (allGray ? 1 : 3)
    guard size == layout.size, channels == layout.channels else { return nil }
    try ImageMemory.check(
      MemoryBudget.sum([
        tally.bytes, ImageMemory.floatBytes(images: kept.count, channels: channels, size: size) ?? Int.max,
      ]), budget: tally.budget, images: kept.count, size: size, sizeGiven: sizeGiven)
    try placeOdd(odd, isInterrupted: isInterrupted)

    // Which kept images are train and which test, as indices into `kept`.
    let plane = layout.plane
    var trainItems = layout.trainItems, testItems = layout.testItems
    var stats: (mean: [Double], std: [Double])
    if kept.count == files.count {
      stats = sums.withUnsafeBufferPointer {
        ChannelStats.combine($0.baseAddress, count: trainItems.count, channels: channels, plane: plane)
      }
    } else if scan.hasFixedSplit {
      let trainCount = scan.trainFiles.count
      trainItems = kept.indices.filter { kept[$0] < trainCount }
      testItems = kept.indices.filter { kept[$0] >= trainCount }
      let isKept = outcomes.map { if case .failed = $0 { false } else { true } }
      Self.compact(&train, items: layout.trainItems, isKept: isKept, floats: layout.perImage)
      Self.compact(&sums, items: layout.trainItems, isKept: isKept, floats: channels * 2)
      Self.compact(&test, items: layout.testItems, isKept: isKept, floats: layout.perImage)
      stats = sums.withUnsafeBufferPointer {
        ChannelStats.combine($0.baseAddress, count: trainItems.count, channels: channels, plane: plane)
      }
    } else {
      // A file that failed changes the seeded split of what is left: the images move to new slots.
      (trainItems, testItems) = StratifiedSplit.split(
        classOf: kept.map { files[$0].classIndex }, classCount: scan.classes.count,
        testFraction: options.testFraction, seed: options.seed)
      (train, test) = (gather(trainItems.map { kept[$0] }), gather(testItems.map { kept[$0] }))
      stats = ChannelStats.compute(train, channels: channels, plane: plane, threads: options.threads)
    }
    ChannelStats.normalize(
      &train, channels: channels, plane: plane, mean: stats.mean, std: stats.std, threads: options.threads)
    ChannelStats.normalize(
      &test, channels: channels, plane: plane, mean: stats.mean, std: stats.std, threads: options.threads)

    func split(_ name: String, _ items: [Int], _ pixels: [Float]) -> ImageSplit {
      ImageSplit(
        name: name, classes: scan.classes, channels: channels, height: size.height, width: size.width,
        pixels: pixels, labels: items.map { files[kept[$0]].classIndex }, paths: items.map { files[kept[$0]].path },
        mean: stats.mean, std: stats.std)
    }
    let end = MonotonicClock.seconds()
    return ImageDataset(
      path: PrintableName.of(path), classes: scan.classes, train: split("train", trainItems, train),
      test: split("test", testItems, test), skipped: skipped, hasFixedSplit: scan.hasFixedSplit,
      seconds: end - started, fromCache: false, resizedCount: sizes.filter { $0 != size }.count,
      phases: LoadPhases(scan: scanned - started, decode: decodedAt - scanned, finish: end - decodedAt))
  }

  /// Resizes the odd-sized images into their slots, as the general path resizes them.
  private mutating func placeOdd(_ odd: [(file: Int, image: PixelImage)], isInterrupted: () -> Bool)
    throws(LoadInterrupted)
  {
    guard !odd.isEmpty else { return }
    let layout = self.layout
    try train.withUnsafeMutableBufferPointer { train throws(LoadInterrupted) in
      try test.withUnsafeMutableBufferPointer { test throws(LoadInterrupted) in
        try sums.withUnsafeMutableBufferPointer { sums throws(LoadInterrupted) in
          let slots = DirectLoad.Slots(train: train.baseAddress, test: test.baseAddress, sums: sums.baseAddress)
          var plans: [ImageSize: ResizePlan] = [:]
          let flag = StopFlag()
          for (file, image) in odd {
            if isInterrupted() { throw LoadInterrupted() }
            let pixels = image.pixels
            _ = pixels.withUnsafeBufferPointer { buffer in
              buffer.baseAddress.map { base in
                slots.place(
                  DecodedPixels(width: image.width, height: image.height, channels: image.channels, pixels: base),
                  file: file, layout: layout, resizeAll: true, plans: &plans, odd: DecodedBytes(budget: 0),
                  abandoned: flag, shouldStop: isInterrupted)
              }
            }
          }
          if isInterrupted() { throw LoadInterrupted() }
        }
      }
    }
  }

  /// Moves the kept images of `items` (file indices, in slot order) down over those that failed, in
  /// place, and drops the tail: no second tensor is made.
  static func compact<T>(_ values: inout [T], items: [Int], isKept: [Bool], floats: Int) {
    var written = 0
    values.withUnsafeMutableBufferPointer { buffer in
      guard let base = buffer.baseAddress else { return }
      for (slot, file) in items.enumerated() where isKept[file] {
        if slot != written { (base + written * floats).update(from: base + slot * floats, count: floats) }
        written += 1
      }
    }
    values.removeLast((items.count - written) * floats)
  }

  /// A new tensor of the images of `files`, copied from their slots.
  private func gather(_ files: [Int]) -> [Float] {
    let perImage = layout.perImage
    var out = DirectLoad.uninitializedFloats(files.count * perImage)
    out.withUnsafeMutableBufferPointer { out in
      guard let target = out.baseAddress else { return }
      for (j, file) in files.enumerated() {
        let source = layout.inTest[file] ? test : train
        source.withUnsafeBufferPointer { source in
          guard let base = source.baseAddress else { return }
          (target + j * perImage).update(from: base + layout.slot[file] * perImage, count: perImage)
        }
      }
    }
    return out
  }
}
