import Testing

@testable import Imaging

@Suite("area-averaging resize")
struct ResamplingTests {
  static func ramp(width: Int, height: Int) -> GrayImage {
    GrayImage(width: width, height: height, pixels: (0..<width * height).map { Float(($0 * 7919) % 1000) })
  }

  @Test("an integer factor gives the mean of each block")
  func integerFactor() {
    let image = Self.ramp(width: 6, height: 4)
    let small = AreaResampler.resize(image, width: 3, height: 2)
    for y in 0..<2 {
      for x in 0..<3 {
        let block = [image[2 * x, 2 * y], image[2 * x + 1, 2 * y], image[2 * x, 2 * y + 1], image[2 * x + 1, 2 * y + 1]]
        #expect(abs(small[x, y] - block.reduce(0, +) / 4) < 1e-3)
      }
    }
  }

  @Test("a fractional factor weights partly covered pixels by their share")
  func fractionalFactor() {
    // 3 -> 2: output 0 covers [0, 1.5): pixel 0 fully, half of pixel 1.
    let image = GrayImage(width: 3, height: 1, pixels: [10, 20, 40])
    let small = AreaResampler.resize(image, width: 2, height: 1)
    #expect(abs(small[0, 0] - (10 + 0.5 * 20) / 1.5) < 1e-4)
    #expect(abs(small[1, 0] - (0.5 * 20 + 40) / 1.5) < 1e-4)
  }

  @Test("the mean is preserved and a constant image stays constant, shrinking or growing",
        arguments: [(2000, 2500, 179, 224), (37, 53, 224, 224), (640, 480, 224, 168)])
  func meanPreserved(_ sizes: (Int, Int, Int, Int)) {
    let image = Self.ramp(width: sizes.0, height: sizes.1)
    let resized = AreaResampler.resize(image, width: sizes.2, height: sizes.3)
    let before = image.pixels.reduce(0.0) { $0 + Double($1) } / Double(image.pixels.count)
    let after = resized.pixels.reduce(0.0) { $0 + Double($1) } / Double(resized.pixels.count)
    #expect(abs(before - after) < 1e-3 * before)
    let constant = AreaResampler.resize(GrayImage(width: sizes.0, height: sizes.1, repeating: 42), width: sizes.2, height: sizes.3)
    #expect(constant.pixels.allSatisfy { abs($0 - 42) < 1e-3 })
  }
}

@Suite("letterbox geometry")
struct LetterboxGeometryTests {
  @Test("a portrait 2000 x 2500 image fills the height and is centred with equal padding")
  func portrait() {
    let geometry = LetterboxGeometry(sourceWidth: 2000, sourceHeight: 2500, targetWidth: 224, targetHeight: 224)
    #expect(geometry.contentHeight == 224 && geometry.contentY == 0)
    #expect(geometry.contentWidth == 179)  // 2000 x 224 / 2500 = 179.2
    #expect(geometry.contentX == 22)
    #expect(abs(geometry.scaleX - geometry.scaleY) < 0.002, "aspect kept up to rounding the content to pixels")
    #expect(geometry.isContent(x: 22, y: 0) && !geometry.isContent(x: 21, y: 0) && !geometry.isContent(x: 201, y: 5))
  }

  @Test("points map to the target and back exactly, corners onto the content's corners")
  func roundTrip() {
    let geometry = LetterboxGeometry(sourceWidth: 1841, sourceHeight: 1955, targetWidth: 512, targetHeight: 384)
    for point in [Point(x: 0, y: 0), Point(x: 1841, y: 1955), Point(x: 920.5, y: 17.25)] {
      let back = geometry.sourcePoint(fromTarget: geometry.targetPoint(fromSource: point))
      #expect(abs(back.x - point.x) < 1e-9 && abs(back.y - point.y) < 1e-9)
    }
    let far = geometry.targetPoint(fromSource: Point(x: 1841, y: 1955))
    #expect(far.x == Double(geometry.contentX + geometry.contentWidth))
    #expect(far.y == Double(geometry.contentY + geometry.contentHeight))
    #expect(geometry.targetPoint(fromSource: Point(x: 0, y: 0)) == Point(x: Double(geometry.contentX), y: Double(geometry.contentY)))
  }

  @Test("a map made at the model's size comes back onto every source pixel")
  func mapToSource() {
    let geometry = LetterboxGeometry(sourceWidth: 300, sourceHeight: 200, targetWidth: 64, targetHeight: 64)
    // A map whose value is its own x coordinate (pixel centre): bilinear sampling reproduces it.
    var map = GrayImage(width: 64, height: 64, repeating: 0)
    for y in 0..<64 { for x in 0..<64 { map[x, y] = Float(x) + 0.5 } }
    let back = geometry.mapToSource(map)
    #expect(back.width == 300 && back.height == 200)
    for x in [3, 150, 296] {
      let expected = geometry.targetPoint(fromSource: Point(x: Double(x) + 0.5, y: 0)).x
      #expect(abs(Double(back[x, 100]) - expected) < 1e-3, "column \(x)")
    }
    // A mask lit on the content's left half comes back lit on the source's left half.
    var mask = GrayImage(width: 64, height: 64, repeating: 0)
    for y in 0..<64 { for x in geometry.contentX..<(geometry.contentX + geometry.contentWidth / 2) { mask[x, y] = 1 } }
    let source = geometry.mapToSource(mask)
    #expect(source[10, 100] == 1 && source[290, 100] == 0)
  }
}
