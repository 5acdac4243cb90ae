/// "Did you mean …?" suggestions by edit distance.
public enum Suggest {
  /// The candidate closest to `word`, if it is close enough to be a plausible typo.
  public static func nearest(to word: String, in candidates: some Sequence<String>) -> String? {
    let w = Array(word.lowercased())
    var best: (String, Int)?
    for c in candidates where c != word {
      let d = distance(w, Array(c.lowercased()))
      if let (bestName, bestDistance) = best, d > bestDistance || (d == bestDistance && c >= bestName) { continue }
      best = (c, d)
    }
    guard let (name, d) = best else { return nil }
    let limit = max(1, min(3, w.count / 3))
    return d <= limit ? name : nil
  }

  /// Damerau-Levenshtein (optimal string alignment) distance, so a swapped pair counts as one edit.
  static func distance(_ a: [Character], _ b: [Character]) -> Int {
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var prev2 = [Int](repeating: 0, count: b.count + 1)
    var prev = Array(0...b.count)
    var cur = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
      cur[0] = i
      for j in 1...b.count {
        let cost = a[i - 1] == b[j - 1] ? 0 : 1
        cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
        if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { cur[j] = min(cur[j], prev2[j - 2] + 1) }
      }
      (prev2, prev, cur) = (prev, cur, prev2)
    }
    return prev[b.count]
  }
}
