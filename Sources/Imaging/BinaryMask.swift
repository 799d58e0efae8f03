/// A binary image, row-major like ``GrayImage``: the pixel of column `x`, row `y` is
/// `pixels[y * width + x]`, `true` for the foreground (for example the lungs).
///
/// The morphology isnetd needs for lung masks lives in extensions: connected components, keeping the
/// largest ones and filling holes (`BinaryMask+Components.swift`), and dilation by an exact Euclidean
/// distance (`BinaryMask+Distance.swift`). All of it is pure Swift, linear in the pixel count.
public struct BinaryMask: Sendable, Equatable {
  /// Columns.
  public let width: Int
  /// Rows.
  public let height: Int
  /// Row-major values, `true` for the foreground.
  public var pixels: [Bool]

  /// A mask from row-major values; `pixels.count` must be `width * height`.
  public init(width: Int, height: Int, pixels: [Bool]) {
    precondition(width > 0 && height > 0, "a mask has at least one pixel")
    precondition(pixels.count == width * height, "pixels must hold width x height values")
    self.width = width
    self.height = height
    self.pixels = pixels
  }

  /// A mask of `width` x `height` pixels all equal to `value`.
  public init(width: Int, height: Int, repeating value: Bool = false) {
    self.init(width: width, height: height, pixels: [Bool](repeating: value, count: width * height))
  }

  /// The pixels of `image` strictly above `threshold`.
  public init(_ image: GrayImage, above threshold: Float) {
    self.init(width: image.width, height: image.height, pixels: image.pixels.map { $0 > threshold })
  }

  /// The pixel of column `x`, row `y`.
  public subscript(x: Int, y: Int) -> Bool {
    get { pixels[y * width + x] }
    set { pixels[y * width + x] = newValue }
  }

  /// Number of foreground pixels.
  public var foregroundCount: Int {
    pixels.withUnsafeBufferPointer { buffer in
      var count = 0
      for value in buffer where value { count += 1 }
      return count
    }
  }

  /// Foreground pixels as a fraction of all pixels.
  public var foregroundFraction: Double { Double(foregroundCount) / Double(pixels.count) }

  /// The mask as a grey image: `foreground` where set, `background` elsewhere.
  public func grayImage(foreground: Float = 1, background: Float = 0) -> GrayImage {
    GrayImage(width: width, height: height, pixels: pixels.map { $0 ? foreground : background })
  }

  /// The mask as 8-bit grey samples (255 foreground, 0 background), for PNG files.
  public var bytes: [UInt8] { pixels.map { $0 ? 255 : 0 } }

  /// Pixels set in either mask; both must have the same size.
  public func union(_ other: BinaryMask) -> BinaryMask {
    precondition(width == other.width && height == other.height, "masks must have the same size")
    return BinaryMask(width: width, height: height, pixels: zip(pixels, other.pixels).map { $0 || $1 })
  }

  /// Pixels set in both masks; both must have the same size.
  public func intersection(_ other: BinaryMask) -> BinaryMask {
    precondition(width == other.width && height == other.height, "masks must have the same size")
    return BinaryMask(width: width, height: height, pixels: zip(pixels, other.pixels).map { $0 && $1 })
  }
}

extension BinaryMask {
  /// The mask sampled onto a `width` x `height` grid covering the same area: each grid pixel takes the
  /// mask pixel under its centre (nearest neighbour keeps it binary).
  public func sampled(width newWidth: Int, height newHeight: Int) -> BinaryMask {
    precondition(newWidth > 0 && newHeight > 0, "a mask has at least one pixel")
    let columns = (0..<newWidth).map { Swift.min(Int((Double($0) + 0.5) * Double(width) / Double(newWidth)), width - 1) }
    var result = BinaryMask(width: newWidth, height: newHeight)
    for y in 0..<newHeight {
      let row = Swift.min(Int((Double(y) + 0.5) * Double(height) / Double(newHeight)), height - 1)
      for (x, column) in columns.enumerated() { result[x, y] = self[column, row] }
    }
    return result
  }

  /// The pixels on the mask's edge: foreground pixels with a background 8-neighbour and background
  /// pixels with a foreground 4-neighbour, a line two pixels wide (the image border counts as
  /// background).
  public var outline: BinaryMask {
    var result = BinaryMask(width: width, height: height)
    func inside(_ x: Int, _ y: Int) -> Bool { x >= 0 && x < width && y >= 0 && y < height && self[x, y] }
    for y in 0..<height {
      for x in 0..<width {
        if self[x, y] {
          result[x, y] = (-1...1).contains { dy in (-1...1).contains { dx in !inside(x + dx, y + dy) } }
        } else {
          result[x, y] = inside(x - 1, y) || inside(x + 1, y) || inside(x, y - 1) || inside(x, y + 1)
        }
      }
    }
    return result
  }
}
