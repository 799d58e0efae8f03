public import Engine
import Imaging
public import PNG
import Screening
public import Torch

/// Side-by-side heatmaps for the report: one row per image, the input then each model's LRP-Flex
/// heatmap of its predicted class over the image (red: evidence for, blue: against), with the
/// predicted class above each map.
public struct HeatmapPanel {
  public var models: [(name: String, model: any Classifier)]
  public var classNames: [String]

  public init(models: [(name: String, model: any Classifier)], classNames: [String]) {
    self.models = models
    self.classNames = classNames
  }

  /// `images` are [1, C, H, W] model inputs in [0, 1].
  public func render(images: [Tensor]) throws -> PNGImage {
    guard let first = images.first else { throw EngineError.invalidInput("a heatmap panel needs at least one image") }
    let (height, width) = (first.shape[2], first.shape[3])
    let header = 14
    let columns = models.count + 1
    var canvas = RGBCanvas(width: columns * (width + 4), height: images.count * (height + header + 4) + header)
    canvas.text("INPUT", x: 2, y: 2, scale: 1)
    for (index, entry) in models.enumerated() {
      canvas.text(entry.name.uppercased(), x: (index + 1) * (width + 4) + 2, y: 2, scale: 1)
    }
    let renderer = HeatmapImage()
    for (row, image) in images.enumerated() {
      let top = header + row * (height + header + 4)
      let grey = GrayImage(width: width, height: height, pixels: Array(try image.floats().prefix(width * height)))
      canvas.paste(try renderer.render(image: grey, heatmap: GrayImage(width: width, height: height, repeating: 0)),
                   x: 0, y: top + header)
      for (column, entry) in models.enumerated() {
        let result = try LRPFlex().heatmaps(of: entry.model, input: image, explaining: .predicted)
        let relevance = try result.maps.sum(dims: [1, 2]).floats()  // channels summed
        let predicted = result.explainedClasses?.first ?? 0
        let left = (column + 1) * (width + 4)
        canvas.text(classNames[predicted].uppercased(), x: left + 2, y: top + 3, scale: 1)
        canvas.paste(try renderer.render(image: grey, heatmap: GrayImage(width: width, height: height, pixels: relevance)),
                     x: left, y: top + header)
      }
    }
    return try PNGImage(width: canvas.width, height: canvas.height, format: .rgb, pixels: canvas.pixels)
  }
}

extension RGBCanvas {
  mutating func paste(_ image: PNGImage, x: Int, y: Int) {
    paste(rgb: image.pixels, width: image.width, height: image.height, x: x, y: y)
  }
}
