extension LetterboxGeometry {
  /// A mask covering the source brought into the target: each content pixel takes the mask pixel
  /// under its centre (nearest neighbour keeps it binary), padding is background. The rule isnetd uses
  /// for lung masks drawn on original images. The mask is at the source's size, or on a grid of another
  /// size covering the same image (a mask made at a smaller scale).
  public func letterbox(_ mask: BinaryMask) -> BinaryMask {
    let (scaleX, scaleY) = (Double(mask.width) / Double(sourceWidth), Double(mask.height) / Double(sourceHeight))
    var result = BinaryMask(width: targetWidth, height: targetHeight)
    let columns = (0..<contentWidth).map { column in
      Swift.min(Swift.max(Int(sourcePoint(fromTarget: Point(x: Double(contentX + column) + 0.5, y: 0)).x * scaleX), 0), mask.width - 1)
    }
    for row in 0..<contentHeight {
      let y = contentY + row
      let sourceRow = Swift.min(Swift.max(Int(sourcePoint(fromTarget: Point(x: 0, y: Double(y) + 0.5)).y * scaleY), 0), mask.height - 1)
      for (column, sourceColumn) in columns.enumerated() {
        result[contentX + column, y] = mask[sourceColumn, sourceRow]
      }
    }
    return result
  }

  /// A map of foreground probabilities at the target's size (a segmenter's output) as a mask at the
  /// source's size: the map is interpolated bilinearly at every source pixel centre (``mapToSource(_:)``)
  /// and thresholded (strictly above `threshold`), so boundaries stay smooth at the original
  /// resolution. For a binary map (0 and 1) and a source with at least twice the target's pixels along
  /// each axis, letterboxing the result again (``letterbox(_:)``) gives back the map's content pixels
  /// exactly: the source pixel under a target pixel's centre lies within a quarter target pixel of it,
  /// where that target pixel's bilinear weight is at least 0.75 x 0.75 > 1/2.
  public func maskToSource(_ map: GrayImage, above threshold: Float = 0.5) -> BinaryMask {
    BinaryMask(mapToSource(map), above: threshold)
  }

  /// The target pixels that show the image (true) rather than padding (false).
  public var contentMask: BinaryMask {
    var mask = BinaryMask(width: targetWidth, height: targetHeight)
    for y in contentY..<(contentY + contentHeight) {
      for x in contentX..<(contentX + contentWidth) { mask[x, y] = true }
    }
    return mask
  }
}
