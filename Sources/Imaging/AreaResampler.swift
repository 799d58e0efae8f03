import Dispatch
import Foundation

/// Resizes by area averaging: each output pixel is the mean of the source area it covers, with
/// partly covered source pixels weighted by the covered fraction. Separable: rows first
/// (``RowAreaReducer``), then columns; the weights are computed once per call, and the inner loops
/// touch no allocations.
struct AreaResampler {
  /// For one output index: the first source index and the weights of consecutive source samples.
  struct Taps {
    var starts: [Int]
    var counts: [Int]
    var offsets: [Int]
    var weights: [Float]

    /// Output index `i` of `outputCount` covers source `[i × n / m, (i + 1) × n / m)`.
    init(sourceCount n: Int, outputCount m: Int) {
      starts = []
      counts = []
      offsets = []
      weights = []
      starts.reserveCapacity(m)
      counts.reserveCapacity(m)
      offsets.reserveCapacity(m)
      let step = Double(n) / Double(m)
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
          weights.append(Float(Swift.max(covered, 0) / step))
        }
      }
    }
  }

  /// Images of this many pixels and more (a 1,000 x 1,000 film and up) are resampled on all cores.
  static let parallelThreshold = 1_000_000

  /// `source` resized to `width` x `height`.
  static func resize(_ source: GrayImage, width: Int, height: Int) -> GrayImage {
    if source.width == width && source.height == height { return source }
    var rows = RowAreaReducer(sourceWidth: source.width, sourceHeight: source.height, outputHeight: height)
    let threads = source.pixels.count >= parallelThreshold ? ProcessInfo.processInfo.activeProcessorCount : 1
    source.pixels.withUnsafeBufferPointer { rows.reduceWholeImage($0, threads: threads) }
    return rows.resizeColumns(to: width)
  }
}

/// The row half of area resampling, fed finished source rows in order, a strip at a time: a decoder
/// hands each strip over while it is still in cache, so resampling does not read the whole image
/// again from memory. Each output row sums its source rows in ascending order whatever the strips
/// are, so the result is the same for any split (and the same as ``AreaResampler/resize``).
struct RowAreaReducer {
  let sourceWidth: Int
  let sourceHeight: Int
  let outputHeight: Int
  private let taps: AreaResampler.Taps
  /// `outputHeight` rows of `sourceWidth` sums.
  private(set) var rows: [Float]
  /// Source rows received so far.
  private(set) var received = 0
  /// The first output row whose source rows may still arrive.
  private var pending = 0

  init(sourceWidth: Int, sourceHeight: Int, outputHeight: Int) {
    self.sourceWidth = sourceWidth
    self.sourceHeight = sourceHeight
    self.outputHeight = outputHeight
    taps = AreaResampler.Taps(sourceCount: sourceHeight, outputCount: outputHeight)
    rows = [Float](repeating: 0, count: sourceWidth * outputHeight)
  }

  var isComplete: Bool { received == sourceHeight }

  /// Adds the next `strip.count / sourceWidth` source rows (row-major, starting at row `received`).
  mutating func add(_ strip: UnsafeBufferPointer<Float>) {
    precondition(strip.count % sourceWidth == 0, "a strip holds whole rows")
    let first = received
    let end = first + strip.count / sourceWidth
    precondition(end <= sourceHeight, "more rows than the image has")
    let (taps, width) = (taps, sourceWidth)
    rows.withUnsafeMutableBufferPointer { output in
      taps.weights.withUnsafeBufferPointer { weights in
        var y = pending
        while y < outputHeight && taps.starts[y] < end {
          let tapsEnd = taps.starts[y] + taps.counts[y]
          let target = output.baseAddress! + y * width
          for source in Swift.max(taps.starts[y], first)..<Swift.min(tapsEnd, end) {
            let weight = weights[taps.offsets[y] + source - taps.starts[y]]
            let row = strip.baseAddress! + (source - first) * width
            for x in 0..<width { target[x] += weight * row[x] }
          }
          if tapsEnd <= end { pending = y + 1 }
          y += 1
        }
      }
    }
    received = end
  }

  /// Adds every row of a whole image at once, the output rows shared out between `threads` threads
  /// (each output row still summed by one thread in ascending source order).
  mutating func reduceWholeImage(_ image: UnsafeBufferPointer<Float>, threads requested: Int) {
    precondition(received == 0 && image.count == sourceWidth * sourceHeight, "a whole image, from its first row")
    let threads = Swift.max(1, Swift.min(requested, outputHeight))
    guard threads > 1 else { return add(image) }
    let (taps, width, height) = (taps, sourceWidth, outputHeight)
    rows.withUnsafeMutableBufferPointer { output in
      taps.weights.withUnsafeBufferPointer { weights in
        nonisolated(unsafe) let (input, output, weights) = (image, output, weights)
        DispatchQueue.concurrentPerform(iterations: threads) { thread in
          for y in stride(from: thread, to: height, by: threads) {
            let target = output.baseAddress! + y * width
            for k in 0..<taps.counts[y] {
              let weight = weights[taps.offsets[y] + k]
              let row = input.baseAddress! + (taps.starts[y] + k) * width
              for x in 0..<width { target[x] += weight * row[x] }
            }
          }
        }
      }
    }
    received = sourceHeight
    pending = outputHeight
  }

  /// The column half: the reduced rows resampled to `width` columns (all rows must have arrived).
  func resizeColumns(to width: Int) -> GrayImage {
    precondition(isComplete, "every source row must have arrived")
    let horizontal = AreaResampler.Taps(sourceCount: sourceWidth, outputCount: width)
    let (sourceWidth, height) = (sourceWidth, outputHeight)
    var result = [Float](repeating: 0, count: width * height)
    rows.withUnsafeBufferPointer { input in
      result.withUnsafeMutableBufferPointer { output in
        horizontal.weights.withUnsafeBufferPointer { weights in
          for y in 0..<height {
            let row = input.baseAddress! + y * sourceWidth
            let target = output.baseAddress! + y * width
            for x in 0..<width {
              let first = horizontal.starts[x]
              let offset = horizontal.offsets[x]
              var sum: Float = 0
              for k in 0..<horizontal.counts[x] {
                sum += weights[offset + k] * row[first + k]
              }
              target[x] = sum
            }
          }
        }
      }
    }
    return GrayImage(width: width, height: height, pixels: result)
  }
}
