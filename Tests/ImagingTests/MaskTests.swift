import Testing

@testable import Imaging

/// Masks drawn from ASCII art: "#" foreground, anything else background.
func mask(_ rows: [String]) -> BinaryMask {
  let width = rows[0].count
  return BinaryMask(width: width, height: rows.count, pixels: rows.flatMap { $0.map { $0 == "#" } })
}

func art(_ mask: BinaryMask) -> [String] {
  (0..<mask.height).map { y in String((0..<mask.width).map { mask[$0, y] ? "#" : "." }) }
}

/// A deterministic pseudo-random mask with about `density` foreground.
func randomMask(width: Int, height: Int, density: Double, seed: UInt64) -> BinaryMask {
  var state = seed
  return BinaryMask(width: width, height: height, pixels: (0..<(width * height)).map { _ in
    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
    return Double(state >> 11) / Double(1 << 53) < density
  })
}

@Suite("binary mask regions")
struct MaskComponentTests {
  @Test("regions are counted with their areas, centroids and boxes, labelled in raster order")
  func components() {
    let image = mask([
      "##....#",
      "##....#",
      "......#",
      "..###..",
    ])
    let labelled = image.components()
    #expect(labelled.components.count == 3)
    let first = labelled.components[0]
    #expect(first.label == 1 && first.area == 4)
    #expect(first.centroidX == 1 && first.centroidY == 1)
    #expect(first.minX == 0 && first.maxX == 1 && first.minY == 0 && first.maxY == 1)
    #expect(labelled.components[1].area == 3 && labelled.components[1].minX == 6)
    #expect(labelled.components[2].area == 3 && labelled.components[2].centroidX == 3.5 && labelled.components[2].centroidY == 3.5)
    #expect(labelled.bySize.map(\.label) == [1, 2, 3])
    let labels = labelled.labelImage()
    #expect(labels[0] == 1 && labels[6] == 2 && labels[3 * 7 + 2] == 3 && labels[2 * 7] == 0)
  }

  @Test("a diagonal touch joins two regions with 8-connectivity but not with 4")
  func connectivity() {
    let image = mask([
      "##..",
      "##..",
      "..##",
      "..##",
    ])
    #expect(image.components(connectivity: .eight).components.count == 1)
    #expect(image.components(connectivity: .four).components.count == 2)
  }

  @Test("bars joined only by a later row get one label")
  func uShape() {
    let image = mask([
      "#.#.#",
      "#.#.#",
      "#.#.#",
      "#####",
    ])
    #expect(image.components(connectivity: .four).components.count == 1)
    #expect(image.components(connectivity: .four).components[0].area == image.foregroundCount)
  }

  @Test("the region count and areas match a flood fill on random masks", arguments: [(0.3, 1 as UInt64), (0.5, 2), (0.6, 3)])
  func matchesFloodFill(_ parameters: (Double, UInt64)) {
    let image = randomMask(width: 37, height: 23, density: parameters.0, seed: parameters.1)
    for connectivity in [Connectivity.four, .eight] {
      var seen = [Bool](repeating: false, count: image.pixels.count)
      var areas: [Int] = []
      for start in image.pixels.indices where image.pixels[start] && !seen[start] {
        var stack = [start]
        seen[start] = true
        var area = 0
        while let index = stack.popLast() {
          area += 1
          let (x, y) = (index % image.width, index / image.width)
          for dy in -1...1 {
            for dx in -1...1 where (dx != 0 || dy != 0) && (connectivity == .eight || dx == 0 || dy == 0) {
              let (nx, ny) = (x + dx, y + dy)
              guard nx >= 0, nx < image.width, ny >= 0, ny < image.height else { continue }
              let next = ny * image.width + nx
              if image.pixels[next] && !seen[next] {
                seen[next] = true
                stack.append(next)
              }
            }
          }
        }
        areas.append(area)
      }
      let labelled = image.components(connectivity: connectivity)
      #expect(labelled.components.map(\.area) == areas, "\(connectivity)")
      #expect(labelled.labelImage().map { $0 != 0 } == image.pixels)
    }
  }

  @Test("keeping the largest regions drops the rest, ties going to the earlier region")
  func keepLargest() {
    let image = mask([
      "###..##..#",
      "###..##...",
      "###.......",
    ])
    #expect(art(image.keepingLargestComponents(2)) == [
      "###..##...",
      "###..##...",
      "###.......",
    ])
    #expect(image.keepingLargestComponents(5) == image)
    #expect(image.keepingLargestComponents(0).foregroundCount == 0)
  }

  @Test("holes are filled, background open to the border is not")
  func fillHoles() {
    let image = mask([
      "#####...",
      "#...#.#.",
      "#.#.#...",
      "#...#...",
      "#####...",
      "......##",
      "......#.",
    ])
    #expect(art(image.fillingHoles()) == [
      "#####...",
      "#####.#.",
      "#####...",
      "#####...",
      "#####...",
      "......##",
      "......#.",
    ])
  }

  @Test("an 8-connected ring with a diagonal gap still encloses its 4-connected hole")
  func diagonalRing() {
    let image = mask([
      ".###.",
      "#...#",
      "#...#",
      ".###.",
    ])
    // The corners are open diagonally; the inside is a 4-connected hole of an 8-connected ring.
    #expect(art(image.fillingHoles(connectivity: .eight)) == [
      ".###.",
      "#####",
      "#####",
      ".###.",
    ])
    // With a 4-connected foreground the inside leaks out through the corners (8-connected background).
    #expect(image.fillingHoles(connectivity: .four) == image)
  }
}

@Suite("binary mask distance and dilation")
struct MaskDistanceTests {
  /// Brute force: squared distance from each pixel to the nearest foreground pixel.
  func bruteForce(_ image: BinaryMask) -> [Double] {
    let foreground = image.pixels.indices.filter { image.pixels[$0] }
    return image.pixels.indices.map { index in
      let (x, y) = (index % image.width, index / image.width)
      return foreground.map { other -> Double in
        let (dx, dy) = (Double(other % image.width - x), Double(other / image.width - y))
        return dx * dx + dy * dy
      }.min() ?? .infinity
    }
  }

  @Test("squared distances equal brute force on random masks", arguments: [(0.02, 4 as UInt64), (0.1, 5), (0.5, 6)])
  func distances(_ parameters: (Double, UInt64)) {
    let image = randomMask(width: 41, height: 29, density: parameters.0, seed: parameters.1)
    #expect(image.squaredDistancesToForeground() == bruteForce(image))
  }

  @Test("dilation by a disc equals brute force for whole and fractional radii",
        arguments: [0.5, 1, 1.5, 2.9, 4, 7.2])
  func dilation(_ radius: Double) {
    let image = randomMask(width: 33, height: 27, density: 0.01, seed: 7)
    let expected = bruteForce(image).map { $0 <= radius * radius }
    #expect(image.dilated(radius: radius).pixels == expected)
  }

  @Test("an empty mask stays empty, radius 0 changes nothing, a point becomes a disc")
  func edgeCases() {
    let empty = BinaryMask(width: 9, height: 7)
    #expect(empty.dilated(radius: 3) == empty)
    #expect(empty.squaredDistancesToForeground().allSatisfy { $0 == .infinity })
    var point = BinaryMask(width: 9, height: 9)
    point[4, 4] = true
    #expect(point.dilated(radius: 0) == point)
    #expect(art(point.dilated(radius: 2)) == [
      ".........",
      ".........",
      "....#....",
      "...###...",
      "..#####..",
      "...###...",
      "....#....",
      ".........",
      ".........",
    ])
  }
}

@Suite("masks through the letterbox")
struct MaskLetterboxTests {
  /// Two lung-like ellipses in the content of a model-size mask.
  func modelMask(_ geometry: LetterboxGeometry) -> BinaryMask {
    var mask = BinaryMask(width: geometry.targetWidth, height: geometry.targetHeight)
    for y in 0..<geometry.targetHeight {
      for x in 0..<geometry.targetWidth where geometry.isContent(x: x, y: y) {
        let u = (Double(x) + 0.5 - Double(geometry.contentX)) / Double(geometry.contentWidth)
        let v = (Double(y) + 0.5 - Double(geometry.contentY)) / Double(geometry.contentHeight)
        let left = ((u - 0.32) / 0.14) * ((u - 0.32) / 0.14) + ((v - 0.45) / 0.3) * ((v - 0.45) / 0.3)
        let right = ((u - 0.68) / 0.13) * ((u - 0.68) / 0.13) + ((v - 0.47) / 0.28) * ((v - 0.47) / 0.28)
        mask[x, y] = left < 1 || right < 1
      }
    }
    return mask
  }

  @Test("a model-size mask mapped to the original geometry and letterboxed again comes back exactly",
        arguments: [(500, 620, 224, 224), (2000, 2500, 224, 224), (900, 450, 128, 128), (1024, 1024, 256, 256), (700, 900, 160, 192)])
  func roundTrip(_ sizes: (Int, Int, Int, Int)) {
    let geometry = LetterboxGeometry(sourceWidth: sizes.0, sourceHeight: sizes.1, targetWidth: sizes.2, targetHeight: sizes.3)
    let original = modelMask(geometry)
    let source = geometry.maskToSource(original.grayImage())
    #expect(source.width == sizes.0 && source.height == sizes.1)
    #expect(geometry.letterbox(source) == original)
    // Padding stays background at the model's size, and the source mask's lungs sit where the model saw them.
    #expect(source.foregroundFraction > 0.1)
  }

  @Test("letterboxing follows the target pixel centres and leaves the padding empty")
  func letterbox() {
    // 4x2 source into 4x4: content rows 1...2, each target pixel the source pixel under its centre.
    let geometry = LetterboxGeometry(sourceWidth: 4, sourceHeight: 2, targetWidth: 4, targetHeight: 4)
    let source = mask(["#..#", ".##."])
    #expect(art(geometry.letterbox(source)) == ["....", "#..#", ".##.", "...."])
    #expect(art(geometry.contentMask) == ["....", "####", "####", "...."])
  }
}
