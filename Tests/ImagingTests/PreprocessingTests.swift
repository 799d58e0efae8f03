import Testing

@testable import Imaging

@Suite("intensity window and model input")
struct PreprocessingTests {
  /// Deterministic pseudo-random samples.
  static func samples(_ count: Int, seed: UInt64 = 3) -> [Float] {
    var state = seed
    return (0..<count).map { _ in
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return Float(state >> 40) / Float(1 << 24) * 30_000 - 2_000
    }
  }

  @Test("histogram percentiles are within one bin width of the exact order statistics")
  func percentiles() {
    let values = Self.samples(200_000)
    let image = GrayImage(width: 400, height: 500, pixels: values)
    let window = PercentileWindow(lowerPercentile: 0.5, upperPercentile: 99.5).window(of: image)
    let sorted = values.sorted()
    func exact(_ p: Double) -> Float {
      let rank = p / 100 * Double(sorted.count - 1)
      let low = Int(rank.rounded(.down))
      return sorted[low] + Float(rank - Double(low)) * (sorted[min(low + 1, sorted.count - 1)] - sorted[low])
    }
    let bin = (sorted.last! - sorted.first!) / Float(PercentileWindow.binCount)
    #expect(abs(window.lower - exact(0.5)) <= bin)
    #expect(abs(window.upper - exact(99.5)) <= bin)
  }

  @Test("a constant image has an empty window and maps to 0; a near-constant one falls back to min...max")
  func degenerateWindows() {
    let constant = GrayImage(width: 10, height: 10, repeating: 7)
    let window = PercentileWindow().window(of: constant)
    #expect(window == IntensityWindow(lower: 7, upper: 7))
    #expect(window.normalize(7) == 0)
    var sparse = GrayImage(width: 100, height: 100, repeating: 0)
    sparse[5, 5] = 1_000
    #expect(PercentileWindow().window(of: sparse) == IntensityWindow(lower: 0, upper: 1_000))
  }

  @Test("values spanning Float's whole range, or a few subnormals, give a finite window and inputs in [0, 1]",
        arguments: [[-3e38, 0, 3e38, 1e38] as [Float], [0, 1e-45, 2e-45, 3e-45]])
  func extremeRanges(_ values: [Float]) {
    let image = GrayImage(width: 2, height: 2, pixels: values)
    let window = PercentileWindow(lowerPercentile: 0, upperPercentile: 100).window(of: image)
    #expect(window.lower.isFinite && window.upper.isFinite && window.lower < window.upper)
    let normalized = values.map(window.normalize)
    #expect(normalized.allSatisfy { (0...1).contains($0) })
    #expect(normalized.first == 0 || values.first == 0)
  }

  @Test("the model input is in [0, 1], letterboxed with the pad value, and deterministic")
  func modelInput() {
    let image = GrayImage(width: 2000, height: 2500, pixels: Self.samples(2000 * 2500))
    let preprocessing = Preprocessing(width: 224, height: 224, padValue: 0)
    let input = preprocessing(image)
    #expect(input.values.count == 224 * 224)
    #expect(input.values.allSatisfy { (0...1).contains($0) })
    let geometry = input.geometry
    for y in [0, 100, 223] {
      for x in 0..<224 where !geometry.isContent(x: x, y: y) {
        #expect(input.values[y * 224 + x] == 0)
      }
    }
    #expect(preprocessing(image) == input, "same samples, same input")
  }

  @Test("the intensity rule ignores affine changes of the values (rescale, bit depth)")
  func affineInvariance() {
    let values = Self.samples(300 * 260, seed: 11)
    let first = Preprocessing(width: 64, height: 64)(GrayImage(width: 300, height: 260, pixels: values))
    let second = Preprocessing(width: 64, height: 64)(GrayImage(width: 300, height: 260, pixels: values.map { $0 * 0.25 + 1024 }))
    let worst = zip(first.values, second.values).map { abs($0 - $1) }.max()!
    #expect(worst < 2e-3, "largest difference \(worst)")
  }

  @Test("a small known case: windowed, averaged and padded by hand")
  func knownCase() {
    // 4 x 2 into 4 x 4: content rows 1 and 2; window from the 0th to the 100th percentile.
    let image = GrayImage(width: 4, height: 2, pixels: [0, 10, 20, 30, 40, 50, 60, 70])
    let input = Preprocessing(width: 4, height: 4, window: PercentileWindow(lowerPercentile: 0, upperPercentile: 100),
                              padValue: 0.5)(image)
    #expect(input.geometry.contentY == 1 && input.geometry.contentHeight == 2)
    #expect(input.values[0..<4].allSatisfy { $0 == 0.5 } && input.values[12..<16].allSatisfy { $0 == 0.5 })
    let window = input.window
    #expect(abs(window.lower - 0) < 0.01 && abs(window.upper - 70) < 0.01)
    for (index, value) in image.pixels.enumerated() {
      #expect(abs(input.values[4 + index] - value / window.upper) < 1e-5)
    }
  }

  @Test("fed in strips of rows, preprocessing gives exactly what it gives on the whole image",
        arguments: [(2_000, 2_500, 224, 224), (37, 53, 64, 64), (224, 224, 224, 224), (300, 120, 96, 128)])
  func streamedEqualsWhole(width: Int, height: Int, targetWidth: Int, targetHeight: Int) {
    let image = GrayImage(width: width, height: height, pixels: Self.samples(width * height, seed: UInt64(width)))
    let preprocessing = Preprocessing(width: targetWidth, height: targetHeight)
    let whole = preprocessing(image)
    for rowsPerStrip in [1, 7, height] {
      var stream = preprocessing.stream(width: width, height: height)
      image.pixels.withUnsafeBufferPointer { pixels in
        for first in stride(from: 0, to: height, by: rowsPerStrip) {
          let rows = Swift.min(rowsPerStrip, height - first)
          stream.consume(UnsafeBufferPointer(rebasing: pixels[(first * width)..<((first + rows) * width)]))
        }
      }
      #expect(stream.finish() == whole, "\(width) x \(height) in strips of \(rowsPerStrip) rows")
    }
  }
}
