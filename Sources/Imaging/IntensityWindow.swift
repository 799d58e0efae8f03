/// A linear map of sample values onto [0, 1]: `lower` becomes 0, `upper` becomes 1, values outside
/// are clamped.
public struct IntensityWindow: Sendable, Equatable, Codable {
  public let lower: Float
  public let upper: Float

  public init(lower: Float, upper: Float) {
    self.lower = lower
    self.upper = upper
  }

  /// `value` mapped onto [0, 1]. A window without width (`upper <= lower`) maps everything to 0.
  @inlinable
  public func normalize(_ value: Float) -> Float {
    guard upper > lower else { return 0 }
    return Swift.min(Swift.max((value - lower) / (upper - lower), 0), 1)
  }
}

/// The intensity rule of the model input: the window between two percentiles of the image's own
/// samples (by default the 0.5th and the 99.5th).
///
/// Percentiles come from a histogram of 65,536 equal bins between the image's minimum and maximum,
/// interpolated linearly inside the bin that holds the wanted rank, so a result is within one bin
/// width, `(max - min) / 65,536`, of the exact order statistic (rank `p / 100 × (n − 1)`), and
/// identical for identical samples. When both percentiles fall into one bin (more than 99 % of the
/// image holds one value) the window falls back to the full range `[min, max]`.
public struct PercentileWindow: Sendable, Equatable, Codable {
  public static let binCount = 65_536

  /// Percentile (0...100) that becomes 0.
  public let lowerPercentile: Double
  /// Percentile (0...100) that becomes 1.
  public let upperPercentile: Double

  public init(lowerPercentile: Double = 0.5, upperPercentile: Double = 99.5) {
    precondition(0 <= lowerPercentile && lowerPercentile < upperPercentile && upperPercentile <= 100,
                 "percentiles must satisfy 0 <= lower < upper <= 100")
    self.lowerPercentile = lowerPercentile
    self.upperPercentile = upperPercentile
  }

  /// The window of `image`.
  public func window(of image: GrayImage) -> IntensityWindow {
    let range = image.range
    guard range.upperBound > range.lowerBound else {
      return IntensityWindow(lower: range.lowerBound, upper: range.upperBound)
    }
    let histogram = Histogram(image.pixels, range: range, binCount: Self.binCount)
    let lower = histogram.percentile(lowerPercentile)
    let upper = histogram.percentile(upperPercentile)
    if upper.bin > lower.bin && upper.value > lower.value {
      return IntensityWindow(lower: lower.value, upper: upper.value)
    }
    return IntensityWindow(lower: range.lowerBound, upper: range.upperBound)
  }
}

/// Counts of samples in equal bins between a minimum and a maximum.
struct Histogram {
  let minimum: Float
  let binWidth: Double
  let counts: [Int]
  let total: Int

  init(_ samples: [Float], range: ClosedRange<Float>, binCount: Int) {
    minimum = range.lowerBound
    let span = Double(range.upperBound) - Double(range.lowerBound)
    binWidth = span / Double(binCount)
    let scale = Float(Double(binCount) / span)
    let last = binCount - 1
    var counts = [Int](repeating: 0, count: binCount)
    counts.withUnsafeMutableBufferPointer { bins in
      samples.withUnsafeBufferPointer { values in
        let low = range.lowerBound
        for value in values {
          let bin = Int((value - low) * scale)
          bins[bin < last ? bin : last] += 1
        }
      }
    }
    self.counts = counts
    total = samples.count
  }

  /// The value of rank `percentile / 100 × (total − 1)`, interpolated inside its bin, and that bin.
  func percentile(_ percentile: Double) -> (value: Float, bin: Int) {
    let rank = percentile / 100 * Double(total - 1)
    var below = 0
    for (bin, count) in counts.enumerated() where count > 0 {
      if Double(below + count) > rank {
        let fraction = (rank - Double(below) + 0.5) / Double(count)
        return (Float(Double(minimum) + (Double(bin) + Swift.min(fraction, 1)) * binWidth), bin)
      }
      below += count
    }
    return (Float(Double(minimum) + Double(counts.count) * binWidth), counts.count - 1)
  }
}
