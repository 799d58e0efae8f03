import Dispatch
import Foundation

/// Resizes by area averaging: each output pixel is the mean of the source area it covers, with
/// partly covered source pixels weighted by the covered fraction. Separable (rows first, then
/// columns); the weights are computed once per call, and the inner loops touch no allocations.
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
    let vertical = Taps(sourceCount: source.height, outputCount: height)
    let horizontal = Taps(sourceCount: source.width, outputCount: width)
    let sourceWidth = source.width

    // Rows: each output row accumulates whole source rows (contiguous, vectorisable). This pass reads
    // every source pixel, so large images share the output rows out between the cores; each row is
    // still summed by one thread in the same order, so the result does not depend on the split.
    var rows = [Float](repeating: 0, count: sourceWidth * height)  // small: `height` rows
    let threads = source.pixels.count >= parallelThreshold ? Swift.min(ProcessInfo.processInfo.activeProcessorCount, height) : 1
    source.pixels.withUnsafeBufferPointer { input in
      rows.withUnsafeMutableBufferPointer { output in
        vertical.weights.withUnsafeBufferPointer { weights in
          nonisolated(unsafe) let (input, output, weights) = (input, output, weights)
          DispatchQueue.concurrentPerform(iterations: threads) { thread in
            for y in stride(from: thread, to: height, by: threads) {
              let target = output.baseAddress! + y * sourceWidth
              let first = vertical.starts[y]
              let offset = vertical.offsets[y]
              for k in 0..<vertical.counts[y] {
                let weight = weights[offset + k]
                let row = input.baseAddress! + (first + k) * sourceWidth
                for x in 0..<sourceWidth {
                  target[x] += weight * row[x]
                }
              }
            }
          }
        }
      }
    }

    // Columns: each output sample is a short dot product over its source columns.
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
