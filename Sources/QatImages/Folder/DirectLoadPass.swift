import QatSupport

extension DirectLoad {
  /// One load's tensors and bookkeeping, filled by the decoding workers.
  struct Pass {
    let layout: Layout
    var train: [Float], test: [Float]
    /// `ChannelStats.imageSums` of each training slot (2 per channel).
    var sums: [Double]
    var outcomes: [Outcome]
    /// Each file's size and time from the decoder's `fstat`, for the cache.
    var stamps: [FileStamp]
    /// Bytes of every decoded image, counted as the general path counts them (for the same refusals).
    let tally: DecodedBytes
    /// Bytes of the odd-sized images kept.
    let odd = DecodedBytes(budget: DirectLoad.oddLimit)
    /// Set when the guessed layout is wrong: the rest is not decoded.
    let abandoned = StopFlag()

    init(files: Int, layout: Layout, budget: Int) {
      self.layout = layout
      train = DirectLoad.uninitializedFloats(layout.trainItems.count * layout.perImage)
      test = DirectLoad.uninitializedFloats(layout.testItems.count * layout.perImage)
      sums = [Double](repeating: 0, count: layout.trainItems.count * layout.channels * 2)
      outcomes = [Outcome](repeating: .pending, count: files)
      stamps = [FileStamp](repeating: FileStamp(), count: files)
      tally = DecodedBytes(budget: budget)
    }

    /// Decodes every file into its slot on `options.threads` cores. Ctrl-C is noticed between files
    /// (and inside the resize of a huge one); the budget and a wrong guess stop the rest.
    mutating func run(folders: FolderFiles, options: ImageFolderOptions, isInterrupted: () -> Bool)
      throws(LoadInterrupted)
    {
      let layout = self.layout, tally = self.tally, odd = self.odd, abandoned = self.abandoned
      let color = options.color, resizeAll = options.size != nil
      let count = outcomes.count
      try train.withUnsafeMutableBufferPointer { train throws(LoadInterrupted) in
        try test.withUnsafeMutableBufferPointer { test throws(LoadInterrupted) in
          try sums.withUnsafeMutableBufferPointer { sums throws(LoadInterrupted) in
            try outcomes.withUnsafeMutableBufferPointer { outcomes throws(LoadInterrupted) in
              try stamps.withUnsafeMutableBufferPointer { stamps throws(LoadInterrupted) in
                let shared = Slots(train: train.baseAddress, test: test.baseAddress, sums: sums.baseAddress)
                guard let first = outcomes.baseAddress, let firstStamp = stamps.baseAddress else { return }
                let results = SharedBuffer(base: first), stamped = SharedBuffer(base: firstStamp)
                // Chunks of 64 files: few enough hand-offs, and a stop is seen within 64 small files.
                try Parallel.forEachChunk(
                  count: count, chunk: 64, threads: options.threads, isInterrupted: isInterrupted
                ) { range, shouldStop in
                  var plans: [ImageSize: ResizePlan] = [:]  // per source size, for this chunk
                  var placed: [Int] = []  // training slots written in this chunk, for their sums
                  placed.reserveCapacity(range.count)
                  var open = OpenFolder()
                  defer {
                    open.release()
                    shared.sums(of: placed, layout: layout)
                  }
                  for i in range {
                    if tally.isOverBudget || abandoned.isSet || shouldStop() { return }
                    do throws(PNGError) {
                      results.base[i] = try folders.withDecoded(i, color: color, in: &open, stamp: stamped.base + i) {
                        image in
                        tally.add(image.byteCount)
                        return shared.place(
                          image, file: i, layout: layout, resizeAll: resizeAll, plans: &plans, odd: odd,
                          abandoned: abandoned, shouldStop: shouldStop, sumsAfter: &placed)
                      }
                    } catch {
                      results.base[i] = .failed(error)
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
  }

  /// The tensors' and the sums' memory, written by the workers at distinct slots.
  struct Slots: @unchecked Sendable {
    let train: UnsafeMutablePointer<Float>?, test: UnsafeMutablePointer<Float>?
    let sums: UnsafeMutablePointer<Double>?

    /// Writes a decoded image to file `file`'s slot and returns its outcome: floats straight from
    /// the bytes when it already has the layout's size and channels (as `ResizePlan.apply` writes
    /// them), else exactly what the general path does (gray replicated to RGB, resized by a plan).
    func place(
      _ image: DecodedPixels, file: Int, layout: Layout, resizeAll: Bool, plans: inout [ImageSize: ResizePlan],
      odd: DecodedBytes, abandoned: StopFlag, shouldStop: () -> Bool, sumsAfter: UnsafeMutablePointer<[Int]>? = nil
    ) -> Outcome {
      // A colour image where gray was guessed makes the whole dataset RGB: the guess is wrong.
      guard image.channels <= layout.channels else {
        abandoned.set()
        return .pending
      }
      let isTest = layout.inTest[file], slot = layout.slot[file]
      guard let base = isTest ? test : train else { return .pending }
      let out = base + slot * layout.perImage
      let plane = layout.plane
      if image.size == layout.size && image.channels == 1 && layout.channels == 1 {
        let p = image.pixels
        for i in 0..<plane { out[i] = Float(p[i]) * (1 / 255) }  // one channel: a loop the compiler vectorizes
      } else if image.size == layout.size && image.channels == layout.channels {
        let channels = image.channels, p = image.pixels
        for i in 0..<plane { for c in 0..<channels { out[c * plane + i] = Float(p[i * channels + c]) * (1 / 255) } }
      } else if image.size == layout.size || resizeAll {
        let converted = layout.channels == 3 ? image.image.asRGB() : image.image
        let plan =
          plans[image.size]
          ?? ResizePlan(
            sourceWidth: image.width, sourceHeight: image.height, width: layout.size.width,
            height: layout.size.height)
        plans[image.size] = plan
        plan.apply(converted, into: out, isInterrupted: shouldStop)
      } else {
        // No size was given and this one differs from the guess: kept until the size is known.
        guard odd.add(image.byteCount) else {
          abandoned.set()
          return .pending
        }
        return .odd(image.image)
      }
      if !isTest, let sumsAfter {
        sumsAfter.pointee.append(slot)
      } else if !isTest, let sums {
        ChannelStats.imageSums(out, channels: layout.channels, plane: plane, into: sums + slot * layout.channels * 2)
      }
      return .placed(image.size, channels: image.channels)
    }

    /// The sums of the training `slots`, four images at a time while they are still in cache.
    func sums(of slots: [Int], layout: Layout) {
      guard let train, let sums else { return }
      let channels = layout.channels, plane = layout.plane, perImage = layout.perImage
      var k = 0
      while k + 4 <= slots.count {
        func image(_ n: Int) -> UnsafePointer<Float> { UnsafePointer(train + slots[k + n] * perImage) }
        func target(_ n: Int) -> UnsafeMutablePointer<Double> { sums + slots[k + n] * channels * 2 }
        ChannelStats.imageSums(
          (image(0), image(1), image(2), image(3)), channels: channels, plane: plane,
          into: (target(0), target(1), target(2), target(3)))
        k += 4
      }
      for slot in slots[k...] {
        ChannelStats.imageSums(
          train + slot * perImage, channels: channels, plane: plane, into: sums + slot * channels * 2)
      }
    }
  }
}
