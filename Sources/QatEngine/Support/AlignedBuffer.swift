import Foundation

/// A fixed-size, 64-byte-aligned, zero-initialized array of numbers for the kernels: stable
/// pointers, no copy-on-write, no bounds checks in the hot loops.
public final class AlignedBuffer<Element: Numeric>: @unchecked Sendable {
  public let count: Int
  public let pointer: UnsafeMutablePointer<Element>

  public init(count: Int) {
    self.count = max(0, count)
    let bytes = max(64, self.count * MemoryLayout<Element>.stride)
    let raw = UnsafeMutableRawPointer.allocate(byteCount: (bytes + 63) / 64 * 64, alignment: 64)
    pointer = raw.bindMemory(to: Element.self, capacity: max(1, self.count))
    pointer.initialize(repeating: 0, count: self.count)
  }

  public convenience init(_ values: [Element]) {
    self.init(count: values.count)
    values.withUnsafeBufferPointer { source in
      if let base = source.baseAddress { pointer.update(from: base, count: values.count) }
    }
  }

  deinit { UnsafeMutableRawPointer(pointer).deallocate() }

  public subscript(i: Int) -> Element {
    get { pointer[i] }
    set { pointer[i] = newValue }
  }

  /// The contents as an array.
  public var array: [Element] { Array(UnsafeBufferPointer(start: pointer, count: count)) }

  /// Sets every element to zero.
  public func zero() { pointer.update(repeating: 0, count: count) }

  /// Copies `other`'s contents (same count) into this buffer.
  public func copy(from other: AlignedBuffer<Element>) {
    pointer.update(from: other.pointer, count: min(count, other.count))
  }

  /// An independent copy.
  public func clone() -> AlignedBuffer<Element> {
    let c = AlignedBuffer<Element>(count: count)
    c.copy(from: self)
    return c
  }
}

public typealias FloatBuffer = AlignedBuffer<Float>

extension AlignedBuffer where Element == Float {
  /// True when no element is NaN or infinite.
  public var allFinite: Bool {
    for i in 0..<count where !pointer[i].isFinite { return false }
    return true
  }
}
