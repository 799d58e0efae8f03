public import Imaging
public import PNG

/// Renders a relevance heatmap over its grey image as an RGB picture: the image in grey, positive
/// relevance blended towards red and negative towards blue, both scaled by the largest |R| (or a
/// given scale), so one picture shows where the evidence for (red) and against (blue) the explained
/// class lies.
public struct HeatmapImage: Sendable {
  /// How strongly the relevance colour covers the grey image at |R| = scale (0...1).
  public var opacity: Float

  public init(opacity: Float = 0.85) {
    self.opacity = opacity
  }

  /// The overlay of `heatmap` (same size as `image`, any sign) on `image` (values in [0, 1]).
  public func render(image: GrayImage, heatmap: GrayImage) throws -> PNGImage {
    try PNGImage(width: image.width, height: image.height, format: .rgb, pixels: blend(image: image, heatmap: heatmap))
  }

  /// RGB samples of the overlay, three per pixel. `scale` is the |R| that gets full colour (larger
  /// values are clamped); the largest |R| by default.
  public func blend(image: GrayImage, heatmap: GrayImage, scale: Float? = nil) -> [UInt8] {
    precondition(image.width == heatmap.width && image.height == heatmap.height, "the heatmap must match the image")
    let scale = scale ?? heatmap.pixels.reduce(Float(0)) { Swift.max($0, Swift.abs($1)) }
    var pixels = [UInt8](repeating: 0, count: image.width * image.height * 3)
    for index in image.pixels.indices {
      let grey = Swift.min(Swift.max(image.pixels[index], 0), 1)
      let relevance = scale > 0 ? heatmap.pixels[index] / scale : 0
      let weight = Swift.min(Swift.abs(relevance), 1) * opacity
      let colour: (Float, Float, Float) = relevance >= 0 ? (1, 0.1, 0.05) : (0.05, 0.3, 1)
      pixels[index * 3] = Self.byte(grey * (1 - weight) + colour.0 * weight)
      pixels[index * 3 + 1] = Self.byte(grey * (1 - weight) + colour.1 * weight)
      pixels[index * 3 + 2] = Self.byte(grey * (1 - weight) + colour.2 * weight)
    }
    return pixels
  }

  static func byte(_ value: Float) -> UInt8 {
    UInt8(Swift.min(Swift.max(value * 255, 0), 255).rounded())
  }
}
