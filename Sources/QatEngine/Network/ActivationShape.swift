/// The shape of one image's activations: [C, H, W] for feature maps, [F] after `flatten`/`dense`.
public struct ActivationShape: Sendable, Equatable, CustomStringConvertible {
  public let channels: Int
  public let height: Int
  public let width: Int
  /// True for a flat vector of `channels` features.
  public let isFlat: Bool

  public init(channels: Int, height: Int, width: Int) {
    self.channels = channels
    self.height = height
    self.width = width
    self.isFlat = false
  }

  public init(features: Int) {
    channels = features
    height = 1
    width = 1
    isFlat = true
  }

  /// Values per image: channels × height × width, or `Int.max` when that overflows (an input
  /// shape a user asked for, refused by the network builder).
  public var elements: Int {
    let (area, overflow1) = height.multipliedReportingOverflow(by: width)
    let (count, overflow2) = channels.multipliedReportingOverflow(by: area)
    return overflow1 || overflow2 ? Int.max : count
  }

  /// "[16, 8, 8]" or "[128]".
  public var description: String { isFlat ? "[\(channels)]" : "[\(channels), \(height), \(width)]" }

  /// As a list of dimensions, NCHW order without N.
  public var dimensions: [Int] { isFlat ? [channels] : [channels, height, width] }
}
