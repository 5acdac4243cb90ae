/// Where a folder load spent its time: what the benchmark prints, so a slow load can be traced
/// to the directory scan, the decoding or the work after it.
public struct LoadPhases: Sendable, Equatable {
  /// Listing the folders (names, sizes and modification times) and the cache lookup.
  public var scan: Double
  /// Reading and decoding the files, and turning their pixels into floats.
  public var decode: Double
  /// Everything after: splitting, statistics, normalization.
  public var finish: Double

  public init(scan: Double = 0, decode: Double = 0, finish: Double = 0) {
    self.scan = scan
    self.decode = decode
    self.finish = finish
  }
}
