import Dispatch
import Foundation

/// Resizes by area averaging: each output pixel is the mean of the source area it covers, with
/// partly covered source pixels weighted by the covered fraction. Separable, rows first, then columns
/// (``StreamingAreaResampler`` does the work); the weights are computed once per call, and the inner
/// loops touch no allocations.
struct AreaResampler {
  /// For one output index: the first source index and the weights of consecutive source samples.
  struct Taps {
    var starts: [Int]
    var counts: [Int]
    var offsets: [Int]
    /// `scale` × the fraction of each source sample the output covers.
    var weights: [Float]

    /// Output index `i` of `outputCount` covers source `[i × n / m, (i + 1) × n / m)`. With the default
    /// `scale` the weights are the covered fractions over `n / m`, and a sum of them is a mean; with
    /// `scale` 1 they are the covered fractions themselves, exactly 1 for whole source samples.
    init(sourceCount n: Int, outputCount m: Int, scale: Double? = nil) {
      starts = []
      counts = []
      offsets = []
      weights = []
      starts.reserveCapacity(m)
      counts.reserveCapacity(m)
      offsets.reserveCapacity(m)
      let step = Double(n) / Double(m)
      let scale = scale ?? 1 / step
      for i in 0..<m {
        let begin = Double(i) * step
        let end = Swift.min(Double(i + 1) * step, Double(n))
        let first = Swift.min(Int(begin.rounded(.down)), n - 1)
        let last = Swift.max(first, Swift.min(Int(end.rounded(.up)) - 1, n - 1))
        starts.append(first)
        counts.append(last - first + 1)
        offsets.append(weights.count)
        for source in first...last {
          let covered = Swift.min(end, Double(source + 1)) - Swift.max(begin, Double(source))
          weights.append(Float(Swift.max(covered, 0) * scale))
        }
      }
    }
  }

  /// Images of this many pixels and more (a 1,000 x 1,000 film and up) are resampled on all cores
  /// when they arrive whole.
  static let parallelThreshold = 1_000_000

  /// `source` resized to `width` x `height`.
  static func resize(_ source: GrayImage, width: Int, height: Int) -> GrayImage {
    if source.width == width && source.height == height { return source }
    var resampler = StreamingAreaResampler(sourceWidth: source.width, sourceHeight: source.height,
                                           outputWidth: width, outputHeight: height)
    source.pixels.withUnsafeBufferPointer { resampler.add($0) }
    return resampler.result()
  }
}

/// Area resampling fed the source's rows in order, a strip at a time: a decoder hands each strip over
/// while it is still in cache, so resampling never reads the whole image back from memory.
///
/// Each output row sums its source rows (rows pass) into a full-width accumulator; once its last
/// source row has arrived, the columns pass turns it into the output row while it is in cache, and the
/// accumulator is reused. Only the few rows a strip boundary cuts through wait for the next strip.
/// Each output sample sums its terms in ascending source order whatever the strips are, so the result
/// is the same for any split (and the same as ``AreaResampler/resize``).
///
/// The rows pass weighs each source row by the fraction of it the output row covers, which is exactly
/// 1 for all but the first and last: those rows are added without a multiplication, and the division
/// by the rows per output row is folded into the column weights.
struct StreamingAreaResampler {
  let sourceWidth: Int
  let sourceHeight: Int
  let outputWidth: Int
  let outputHeight: Int
  private let rowTaps: AreaResampler.Taps
  private let columnTaps: PaddedTaps
  /// Accumulators of the output rows in progress: row y uses slot y % `slots`.
  private var accumulators: [Float]
  private let slots: Int
  private var output: [Float]
  /// Source rows received so far.
  private(set) var received = 0
  /// The first output row whose source rows may still arrive.
  private var pending = 0

  init(sourceWidth: Int, sourceHeight: Int, outputWidth: Int, outputHeight: Int) {
    self.sourceWidth = sourceWidth
    self.sourceHeight = sourceHeight
    self.outputWidth = outputWidth
    self.outputHeight = outputHeight
    rowTaps = AreaResampler.Taps(sourceCount: sourceHeight, outputCount: outputHeight, scale: 1)
    columnTaps = PaddedTaps(AreaResampler.Taps(
      sourceCount: sourceWidth, outputCount: outputWidth,
      scale: Double(outputWidth) / Double(sourceWidth) * Double(outputHeight) / Double(sourceHeight)),
      sourceCount: sourceWidth)
    // Output rows open at once across a strip boundary: one when shrinking, more when enlarging.
    slots = Swift.min(outputHeight, (outputHeight + sourceHeight - 1) / sourceHeight + 2)
    accumulators = [Float](repeating: 0, count: slots * sourceWidth)
    output = [Float](repeating: 0, count: outputWidth * outputHeight)
  }

  var isComplete: Bool { received == sourceHeight }

  /// Adds the next `strip.count / sourceWidth` source rows (row-major, starting at row `received`).
  /// A large image that arrives whole (a compressed frame) is resampled on all cores.
  mutating func add(_ strip: UnsafeBufferPointer<Float>) {
    precondition(strip.count % sourceWidth == 0, "a strip holds whole rows")
    let first = received
    let end = first + strip.count / sourceWidth
    precondition(end <= sourceHeight, "more rows than the image has")
    if first == 0 && end == sourceHeight && strip.count >= AreaResampler.parallelThreshold {
      return resampleWholeImage(strip, threads: ProcessInfo.processInfo.activeProcessorCount)
    }
    let (rowTaps, columnTaps, width, slots) = (rowTaps, columnTaps, sourceWidth, slots)
    var y = pending
    accumulators.withUnsafeMutableBufferPointer { accumulators in
      output.withUnsafeMutableBufferPointer { output in
        rowTaps.weights.withUnsafeBufferPointer { weights in
          while y < outputHeight && rowTaps.starts[y] < end {
            let tapsEnd = rowTaps.starts[y] + rowTaps.counts[y]
            let firstSource = Swift.max(rowTaps.starts[y], first)
            let accumulator = accumulators.baseAddress! + (y % slots) * width
            Self.accumulate(into: accumulator, width: width,
                            rows: strip.baseAddress! + (firstSource - first) * width,
                            weights: weights.baseAddress! + rowTaps.offsets[y] + firstSource - rowTaps.starts[y],
                            count: Swift.min(tapsEnd, end) - firstSource, startsRow: firstSource == rowTaps.starts[y])
            if tapsEnd <= end {
              columnTaps.resample(accumulator, into: output.baseAddress! + y * columnTaps.outputCount)
              pending = y + 1
            }
            y += 1
          }
        }
      }
    }
    received = end
  }

  /// Resamples a whole image at once, the output rows shared out between `threads` threads, each with
  /// its own accumulator (each output row still summed by one thread in ascending source order).
  private mutating func resampleWholeImage(_ image: UnsafeBufferPointer<Float>, threads requested: Int) {
    let threads = Swift.max(1, Swift.min(requested, outputHeight))
    let (rowTaps, columnTaps, width, height) = (rowTaps, columnTaps, sourceWidth, outputHeight)
    var scratch = [Float](repeating: 0, count: threads * width)
    scratch.withUnsafeMutableBufferPointer { scratch in
      output.withUnsafeMutableBufferPointer { output in
        rowTaps.weights.withUnsafeBufferPointer { weights in
          nonisolated(unsafe) let (input, output, weights, scratch) = (image, output, weights, scratch)
          DispatchQueue.concurrentPerform(iterations: threads) { thread in
            let accumulator = scratch.baseAddress! + thread * width
            for y in stride(from: thread, to: height, by: threads) {
              Self.accumulate(into: accumulator, width: width, rows: input.baseAddress! + rowTaps.starts[y] * width,
                              weights: weights.baseAddress! + rowTaps.offsets[y], count: rowTaps.counts[y], startsRow: true)
              columnTaps.resample(accumulator, into: output.baseAddress! + y * columnTaps.outputCount)
            }
          }
        }
      }
    }
    received = sourceHeight
    pending = outputHeight
  }

  /// `target[x] += weights[k] · rows[k · width + x]` for k = 0, 1, … in that order; rows of weight 1
  /// are added as they are, four per pass over the target row, so the target is loaded and stored once
  /// per four rows. Each sample still adds its terms one after another, so the sums are exactly those
  /// of one row at a time, however the rows are grouped. With `startsRow`, the first term replaces
  /// what `target` holds (0 + t is exactly t, so no zeroing pass is needed).
  @inline(__always)
  static func accumulate(into target: UnsafeMutablePointer<Float>, width: Int, rows: UnsafePointer<Float>,
                         weights: UnsafePointer<Float>, count: Int, startsRow: Bool) {
    var k = 0
    if startsRow && count > 0 {
      let (weight, row) = (weights[0], rows)
      if weight == 1 {
        target.update(from: row, count: width)
      } else {
        for x in 0..<width { target[x] = weight * row[x] }
      }
      k = 1
    }
    while k < count {
      if k + 4 <= count && weights[k] == 1 && weights[k + 1] == 1 && weights[k + 2] == 1 && weights[k + 3] == 1 {
        let (r0, r1, r2, r3) = (rows + k * width, rows + (k + 1) * width, rows + (k + 2) * width, rows + (k + 3) * width)
        for x in 0..<width {
          var sum = target[x]
          sum += r0[x]
          sum += r1[x]
          sum += r2[x]
          sum += r3[x]
          target[x] = sum
        }
        k += 4
      } else {
        let (weight, row) = (weights[k], rows + k * width)
        if weight == 1 {
          for x in 0..<width { target[x] += row[x] }
        } else {
          for x in 0..<width { target[x] += weight * row[x] }
        }
        k += 1
      }
    }
  }

  /// The resampled image, once every source row has arrived.
  func result() -> GrayImage {
    precondition(isComplete, "every source row must have arrived")
    return GrayImage(width: outputWidth, height: outputHeight, pixels: output)
  }
}

/// Column taps padded with zero weights to one count for every output, so four neighbouring outputs
/// can be summed side by side: four independent sums keep the floating-point adder busy instead of
/// waiting on one. A zero weight's term adds exactly 0 and the real terms keep their order, so each
/// sum equals the unpadded one.
struct PaddedTaps {
  let outputCount: Int
  let tapCount: Int
  let starts: [Int]
  /// `tapCount` weights per output.
  let weights: [Float]

  init(_ taps: AreaResampler.Taps, sourceCount: Int) {
    outputCount = taps.starts.count
    let count = Swift.min(taps.counts.max() ?? 1, sourceCount)
    tapCount = count
    var starts: [Int] = []
    var weights: [Float] = []
    for output in 0..<outputCount {
      // Pad after the real taps, or before them where the row ends first.
      let start = Swift.min(taps.starts[output], sourceCount - count)
      let lead = taps.starts[output] - start
      starts.append(start)
      weights += [Float](repeating: 0, count: lead)
      weights += taps.weights[taps.offsets[output]..<(taps.offsets[output] + taps.counts[output])]
      weights += [Float](repeating: 0, count: count - lead - taps.counts[output])
    }
    self.starts = starts
    self.weights = weights
  }

  /// Resamples one row of `sourceCount` samples into `outputCount` samples at `target`.
  func resample(_ row: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>) {
    let count = tapCount
    weights.withUnsafeBufferPointer { weights in
      let weights = weights.baseAddress!
      var x = 0
      while x + 4 <= outputCount {
        let (s0, s1, s2, s3) = (row + starts[x], row + starts[x + 1], row + starts[x + 2], row + starts[x + 3])
        let (w0, w1, w2, w3) = (weights + x * count, weights + (x + 1) * count, weights + (x + 2) * count,
                                weights + (x + 3) * count)
        var (sum0, sum1, sum2, sum3): (Float, Float, Float, Float) = (0, 0, 0, 0)
        for k in 0..<count {
          sum0 += w0[k] * s0[k]
          sum1 += w1[k] * s1[k]
          sum2 += w2[k] * s2[k]
          sum3 += w3[k] * s3[k]
        }
        (target[x], target[x + 1], target[x + 2], target[x + 3]) = (sum0, sum1, sum2, sum3)
        x += 4
      }
      while x < outputCount {
        let (source, taps) = (row + starts[x], weights + x * count)
        var sum: Float = 0
        for k in 0..<count { sum += taps[k] * source[k] }
        target[x] = sum
        x += 1
      }
    }
  }
}

extension GrayImage {
  /// The image resized to `width` x `height` by area averaging (``AreaResampler``): each new pixel is
  /// the mean of the area it covers. Upscaling repeats samples.
  public func resized(width: Int, height: Int) -> GrayImage {
    AreaResampler.resize(self, width: width, height: height)
  }
}
