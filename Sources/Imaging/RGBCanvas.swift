/// An 8-bit RGB raster to draw report pictures and charts on: filled rectangles, text in
/// ``BitmapFont``, pasted pictures. Drawing outside the raster is clipped.
public struct RGBCanvas: Sendable {
  public typealias Colour = (red: UInt8, green: UInt8, blue: UInt8)

  public let width: Int
  public let height: Int
  /// Row-major, three samples per pixel.
  public var pixels: [UInt8]

  /// A canvas filled with `background` (white by default).
  public init(width: Int, height: Int, background: Colour = (255, 255, 255)) {
    precondition(width > 0 && height > 0, "a canvas has at least one pixel")
    self.width = width
    self.height = height
    pixels = [UInt8](repeating: 0, count: width * height * 3)
    fill(x: 0, y: 0, width: width, height: height, colour: background)
  }

  /// Sets pixel (`x`, `y`) when it lies on the canvas.
  public mutating func set(x: Int, y: Int, colour: Colour) {
    guard x >= 0, x < width, y >= 0, y < height else { return }
    let index = (y * width + x) * 3
    (pixels[index], pixels[index + 1], pixels[index + 2]) = colour
  }

  public mutating func fill(x: Int, y: Int, width: Int, height: Int, colour: Colour) {
    let (left, right) = (Swift.max(x, 0), Swift.min(x + width, self.width))
    let (top, bottom) = (Swift.max(y, 0), Swift.min(y + height, self.height))
    guard left < right, top < bottom else { return }
    for row in top..<bottom {
      for column in left..<right {
        let index = (row * self.width + column) * 3
        (pixels[index], pixels[index + 1], pixels[index + 2]) = colour
      }
    }
  }

  /// Draws `text` (upper-cased; characters the font lacks stay blank) with its top-left corner at
  /// (`x`, `y`), each font pixel a `scale` x `scale` block.
  public mutating func text(_ text: String, x: Int, y: Int, scale: Int, colour: Colour = (20, 20, 20)) {
    BitmapFont.forEachPixel(of: text, left: x, top: y, scale: scale) { column, row in
      set(x: column, y: row, colour: colour)
    }
  }

  /// Copies an RGB raster (`width` x `height`, three samples per pixel) with its top-left corner at
  /// (`x`, `y`).
  public mutating func paste(rgb source: [UInt8], width sourceWidth: Int, height sourceHeight: Int, x: Int, y: Int) {
    precondition(source.count == sourceWidth * sourceHeight * 3, "the picture must hold width x height RGB pixels")
    for row in 0..<sourceHeight where y + row >= 0 && y + row < height {
      for column in 0..<sourceWidth where x + column >= 0 && x + column < width {
        let from = (row * sourceWidth + column) * 3
        let to = ((y + row) * width + x + column) * 3
        pixels[to] = source[from]
        pixels[to + 1] = source[from + 1]
        pixels[to + 2] = source[from + 2]
      }
    }
  }
}
