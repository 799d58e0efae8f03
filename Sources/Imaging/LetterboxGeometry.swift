/// A point of an image plane, in pixels: pixel `(x, y)` covers `[x, x + 1) × [y, y + 1)`.
public struct Point: Sendable, Equatable, Codable {
  public var x: Double
  public var y: Double

  public init(x: Double, y: Double) {
    self.x = x
    self.y = y
  }
}

/// How an image was fitted into the model's input: scaled by the same factor on both axes (up to
/// rounding the content to whole pixels) so that it fits, centred, and padded on the two remaining
/// sides. Maps points both ways, so heatmaps and masks computed at the model's size can be brought
/// back onto the original pixels.
///
/// The content occupies target columns `contentX ..< contentX + contentWidth` and rows
/// `contentY ..< contentY + contentHeight`; source point `(x, y)` lands on
/// `(contentX + x × scaleX, contentY + y × scaleY)`.
public struct LetterboxGeometry: Sendable, Equatable, Codable {
  public let sourceWidth: Int
  public let sourceHeight: Int
  public let targetWidth: Int
  public let targetHeight: Int
  public let contentX: Int
  public let contentY: Int
  public let contentWidth: Int
  public let contentHeight: Int

  /// Fits a `sourceWidth` x `sourceHeight` image into `targetWidth` x `targetHeight`.
  public init(sourceWidth: Int, sourceHeight: Int, targetWidth: Int, targetHeight: Int) {
    precondition(sourceWidth > 0 && sourceHeight > 0 && targetWidth > 0 && targetHeight > 0,
                 "images have at least one pixel")
    self.sourceWidth = sourceWidth
    self.sourceHeight = sourceHeight
    self.targetWidth = targetWidth
    self.targetHeight = targetHeight
    let scale = Swift.min(Double(targetWidth) / Double(sourceWidth), Double(targetHeight) / Double(sourceHeight))
    contentWidth = Swift.min(targetWidth, Swift.max(1, Int((Double(sourceWidth) * scale).rounded())))
    contentHeight = Swift.min(targetHeight, Swift.max(1, Int((Double(sourceHeight) * scale).rounded())))
    contentX = (targetWidth - contentWidth) / 2
    contentY = (targetHeight - contentHeight) / 2
  }

  /// Target pixels per source pixel, horizontally.
  public var scaleX: Double { Double(contentWidth) / Double(sourceWidth) }
  /// Target pixels per source pixel, vertically.
  public var scaleY: Double { Double(contentHeight) / Double(sourceHeight) }

  /// Where source point `point` lands in the target.
  public func targetPoint(fromSource point: Point) -> Point {
    Point(x: Double(contentX) + point.x * scaleX, y: Double(contentY) + point.y * scaleY)
  }

  /// The source point that target point `point` shows (outside the source for points in the padding).
  public func sourcePoint(fromTarget point: Point) -> Point {
    Point(x: (point.x - Double(contentX)) / scaleX, y: (point.y - Double(contentY)) / scaleY)
  }

  /// Whether target pixel `(x, y)` shows the image rather than padding.
  public func isContent(x: Int, y: Int) -> Bool {
    x >= contentX && x < contentX + contentWidth && y >= contentY && y < contentY + contentHeight
  }

  /// A map computed at the target's size (a heatmap, a mask) brought back to the source's size: each
  /// source pixel takes the bilinear interpolation of `map` at the target point its centre lands on,
  /// with the map's edge values extended outward.
  public func mapToSource(_ map: GrayImage) -> GrayImage {
    mapToSource(map, width: sourceWidth, height: sourceHeight)
  }

  /// ``mapToSource(_:)`` onto a `width` x `height` grid covering the source image (the source scaled,
  /// for example for a picture of it): grid pixel centres map to source points, then to the target.
  public func mapToSource(_ map: GrayImage, width: Int, height: Int) -> GrayImage {
    precondition(map.width == targetWidth && map.height == targetHeight, "the map must have the target's size")
    precondition(width > 0 && height > 0, "the grid has at least one pixel")
    let columns = Self.taps(count: width, offset: Double(contentX), scale: scaleX * Double(sourceWidth) / Double(width), limit: targetWidth)
    let rows = Self.taps(count: height, offset: Double(contentY), scale: scaleY * Double(sourceHeight) / Double(height), limit: targetHeight)
    var result = [Float](repeating: 0, count: width * height)
    map.pixels.withUnsafeBufferPointer { source in
      result.withUnsafeMutableBufferPointer { target in
        for y in 0..<height {
          let row = rows[y]
          let upper = row.index * targetWidth
          let lower = row.next * targetWidth
          for x in 0..<width {
            let column = columns[x]
            let top = source[upper + column.index] * (1 - column.weight) + source[upper + column.next] * column.weight
            let bottom = source[lower + column.index] * (1 - column.weight) + source[lower + column.next] * column.weight
            target[y * width + x] = top * (1 - row.weight) + bottom * row.weight
          }
        }
      }
    }
    return GrayImage(width: width, height: height, pixels: result)
  }

  /// For each source pixel centre along one axis: the two target samples around its target position and
  /// the weight of the second.
  private static func taps(count: Int, offset: Double, scale: Double, limit: Int)
    -> [(index: Int, next: Int, weight: Float)]
  {
    (0..<count).map { position in
      // Target sample centres sit at i + 0.5; find the pair around the mapped centre.
      let mapped = offset + (Double(position) + 0.5) * scale - 0.5
      let clamped = Swift.min(Swift.max(mapped, 0), Double(limit - 1))
      let index = Int(clamped.rounded(.down))
      let next = Swift.min(index + 1, limit - 1)
      return (index, next, Float(clamped - Double(index)))
    }
  }
}
