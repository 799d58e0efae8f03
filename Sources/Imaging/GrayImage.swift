/// A single-channel image of Float32 samples, row-major: the sample of column `x`, row `y` is
/// `pixels[y * width + x]`.
///
/// Pixel `(x, y)` covers the square `[x, x + 1) × [y, y + 1)` of the image plane, so its centre is at
/// `(x + 0.5, y + 0.5)`. ``LetterboxGeometry`` maps points of that plane between images.
public struct GrayImage: Sendable, Equatable {
  public let width: Int
  public let height: Int
  public var pixels: [Float]

  /// An image from row-major samples; `pixels.count` must be `width * height`.
  public init(width: Int, height: Int, pixels: [Float]) {
    precondition(width > 0 && height > 0, "an image has at least one pixel")
    precondition(pixels.count == width * height, "pixels must hold width x height samples")
    self.width = width
    self.height = height
    self.pixels = pixels
  }

  /// An image of `width` x `height` samples all equal to `value`.
  public init(width: Int, height: Int, repeating value: Float) {
    self.init(width: width, height: height, pixels: [Float](repeating: value, count: width * height))
  }

  public subscript(x: Int, y: Int) -> Float {
    get { pixels[y * width + x] }
    set { pixels[y * width + x] = newValue }
  }

  /// The smallest and largest sample.
  public var range: ClosedRange<Float> {
    pixels.withUnsafeBufferPointer { buffer in
      // Eight lanes at a time: a scalar min/max loop waits on its own result at every sample.
      var low = SIMD8<Float>(repeating: buffer[0])
      var high = low
      var index = 0
      let raw = UnsafeRawPointer(buffer.baseAddress!)
      while index + 8 <= buffer.count {
        let lanes = raw.loadUnaligned(fromByteOffset: index * 4, as: SIMD8<Float>.self)
        low = pointwiseMin(low, lanes)
        high = pointwiseMax(high, lanes)
        index += 8
      }
      var (lowest, highest) = (low.min(), high.max())
      for value in buffer[index...] {
        lowest = Swift.min(lowest, value)
        highest = Swift.max(highest, value)
      }
      return lowest...highest
    }
  }
}
