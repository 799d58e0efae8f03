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
  /// Computed in Double: a window as wide as Float's range has an infinite width in Float.
  @inlinable
  public func normalize(_ value: Float) -> Float {
    guard upper > lower else { return 0 }
    let position = (Double(value) - Double(lower)) / (Double(upper) - Double(lower))
    return Float(Swift.min(Swift.max(position, 0), 1))
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
    let (lower, upper) = histogram.percentiles(lowerPercentile, upperPercentile)
    if upper.bin > lower.bin && upper.value > lower.value {
      return IntensityWindow(lower: lower.value, upper: upper.value)
    }
    return IntensityWindow(lower: range.lowerBound, upper: range.upperBound)
  }
}

/// Counts of samples in equal bins between a minimum and a maximum.
///
/// Two levels, with the same results as one flat array of `binCount` counters: every sample's bin is
/// computed once, coarse bins (256 fine bins each) are counted for all samples, and fine counts only
/// for the coarse bin that holds a wanted rank. A flat 65,536-bin array is 512 KB to allocate, fault in,
/// zero and scan per image, which cost more than the rest of preprocessing a 224 x 224 input.
struct Histogram {
  static let fineBinsPerCoarse = 256  // bin >> 8 is the coarse bin, bin & 255 the fine one inside it

  let minimum: Float
  let binWidth: Double
  let binCount: Int
  let total: Int
  /// Each sample's bin.
  private let bins: [UInt32]
  private let coarseCounts: [Int]

  init(_ samples: [Float], range: ClosedRange<Float>, binCount: Int) {
    minimum = range.lowerBound
    self.binCount = binCount
    let span = Double(range.upperBound) - Double(range.lowerBound)
    binWidth = span / Double(binCount)
    // In Double: with Float, a span of a few subnormals makes the scale infinite and a span near
    // Float's range makes `value - low` infinite, and either turns a bin into NaN.
    let scale = Double(binCount) / span
    let last = Double(binCount - 1)
    var coarseCounts = [Int](repeating: 0, count: (binCount + Self.fineBinsPerCoarse - 1) / Self.fineBinsPerCoarse)
    bins = [UInt32](unsafeUninitializedCapacity: samples.count) { bins, initialized in
      samples.withUnsafeBufferPointer { values in
        coarseCounts.withUnsafeMutableBufferPointer { coarse in
          let low = Double(range.lowerBound)
          for (index, value) in values.enumerated() {
            let bin = Int(Swift.min((Double(value) - low) * scale, last))
            bins[index] = UInt32(bin)
            coarse[bin / Self.fineBinsPerCoarse] += 1
          }
        }
      }
      initialized = samples.count
    }
    self.coarseCounts = coarseCounts
    total = samples.count
  }

  /// For each of two percentiles, the value of rank `percentile / 100 × (total − 1)`, interpolated
  /// inside its bin, and that bin; one pass over the samples counts the fine bins of both.
  func percentiles(_ first: Double, _ second: Double) -> (first: (value: Float, bin: Int), second: (value: Float, bin: Int)) {
    let ranks = [first, second].map { $0 / 100 * Double(total - 1) }
    // The coarse bin holding each rank, and how many samples lie below it.
    let located = ranks.map { rank -> (coarse: Int, below: Int) in
      var below = 0
      for (coarse, count) in coarseCounts.enumerated() where count > 0 {
        if Double(below + count) > rank { return (coarse, below) }
        below += count
      }
      return (coarseCounts.count, total)
    }
    // Fine counts of both coarse bins side by side: [first's 256 | second's 256].
    var fine = [Int](repeating: 0, count: 2 * Self.fineBinsPerCoarse)
    let (firstCoarse, secondCoarse) = (UInt32(located[0].coarse), UInt32(located[1].coarse))
    fine.withUnsafeMutableBufferPointer { fine in
      for bin in bins {
        let (coarse, offset) = (bin >> 8, Int(bin & 255))
        if coarse == firstCoarse { fine[offset] += 1 }
        if coarse == secondCoarse { fine[Self.fineBinsPerCoarse + offset] += 1 }
      }
    }
    func value(_ index: Int) -> (value: Float, bin: Int) {
      let (coarse, start) = located[index]
      var below = start
      let counts = fine[(index * Self.fineBinsPerCoarse)..<((index + 1) * Self.fineBinsPerCoarse)]
      for (offset, count) in counts.enumerated() where count > 0 {
        if Double(below + count) > ranks[index] {
          let fraction = (ranks[index] - Double(below) + 0.5) / Double(count)
          let bin = coarse * Self.fineBinsPerCoarse + offset
          return (Float(Double(minimum) + (Double(bin) + Swift.min(fraction, 1)) * binWidth), bin)
        }
        below += count
      }
      return (Float(Double(minimum) + Double(binCount) * binWidth), binCount - 1)
    }
    return (value(0), value(1))
  }
}
