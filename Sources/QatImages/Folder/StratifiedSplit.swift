import QatSupport

/// A seeded split that keeps each class's share in both halves.
enum StratifiedSplit {
  /// Splits item indices (given with their class) into train and test. Each class's items are
  /// shuffled with a generator seeded by `seed`, and round(n · testFraction) of them go to test
  /// (at least one stays in train). Both halves come back in their original order, so the split
  /// depends only on the seed and the file list.
  static func split(classOf: [Int], classCount: Int, testFraction: Double, seed: UInt64) -> (train: [Int], test: [Int])
  {
    var byClass = [[Int]](repeating: [], count: classCount)
    for (item, c) in classOf.enumerated() { byClass[c].append(item) }
    var random = SeededRandom(seed: seed)
    var isTest = [Bool](repeating: false, count: classOf.count)
    for items in byClass where !items.isEmpty {
      var shuffled = items
      // Fisher–Yates with the session's generator: the same on every machine.
      for i in stride(from: shuffled.count - 1, to: 0, by: -1) {
        let j = Int(random.next() % UInt64(i + 1))
        shuffled.swapAt(i, j)
      }
      let testCount = min(items.count - 1, Int((Double(items.count) * testFraction).rounded()))
      for item in shuffled.prefix(max(0, testCount)) { isTest[item] = true }
    }
    var train: [Int] = [], test: [Int] = []
    for item in classOf.indices { if isTest[item] { test.append(item) } else { train.append(item) } }
    return (train, test)
  }
}
