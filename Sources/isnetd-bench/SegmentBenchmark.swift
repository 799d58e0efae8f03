import ArgumentParser
import Engine
import Foundation
import Imaging
import Screening
import TestSupport
import Torch

/// Lung-mask inference time: the U-Net forward pass alone and the whole `LungSegmenter` (preprocessing,
/// forward, mapping back, clean-up, verdict) on a 224 x 224 image, at 1 and 2 libtorch threads; and the
/// whole segmenter on a full-size film, where mapping back and clean-up run on every original pixel.
struct SegmentBenchmark: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "segment",
    abstract: "Lung-mask inference ms/image (U-Net forward and the whole segmenter) at 1 and 2 threads.")

  @Option(help: "Segmenter checkpoint to time (default: a freshly initialised default U-Net; the time does not depend on the weights).")
  var model: String?
  @Option(help: "Depth of the freshly initialised U-Net (without --model).")
  var depth = UNetConfiguration.lungs.depth
  @Option(help: "Base width of the freshly initialised U-Net (without --model).")
  var baseWidth = UNetConfiguration.lungs.baseWidth
  @Option(help: "libtorch thread counts to measure.")
  var threads: [Int] = [1, 2]
  @Option(help: "Seconds to time each measurement (after warm-up).")
  var seconds = 3.0
  @Option(help: "Rows and columns of the full-size film (0 skips it).")
  var filmSize: [Int] = [2_500, 2_000]

  func validate() throws {
    guard !threads.isEmpty, threads.allSatisfy({ $0 > 0 }) else { throw ValidationError("--threads must be positive") }
    guard seconds > 0 else { throw ValidationError("--seconds must be positive") }
    guard filmSize.count == 2, filmSize.allSatisfy({ $0 >= 0 }) else { throw ValidationError("--film-size takes ROWS COLUMNS") }
  }

  func run() throws {
    Torch.seed(0)
    let segmenter: LungSegmenter
    if let model {
      segmenter = try LungSegmenter(checkpoint: model)
    } else {
      var configuration = UNetConfiguration.lungs
      configuration.depth = depth
      configuration.baseWidth = baseWidth
      let metadata = CheckpointMetadata(
        modelVersion: "bench", producer: "isnetd-bench segment", architecture: .uNet(configuration),
        classNames: ["background", "lungs"], input: InputDescription(channels: 1, preprocessing: Preprocessing()))
      segmenter = try LungSegmenter(model: UNet(configuration), metadata: metadata)
    }
    let preprocessing = segmenter.preprocessing
    print("segment: \(segmenter.metadata.architecture.summary), \(segmenter.model.parameterCount) parameters, input \(preprocessing.width)x\(preprocessing.height), libtorch \(Torch.version)")

    let side = 224
    let small = GrayImage(width: side, height: side, pixels: DICOMFixtures.chestPhantom(rows: side, columns: side).map(Float.init))
    let input = try Tensor(preprocessing(small).values, shape: [1, 1, preprocessing.height, preprocessing.width])
    let filmRows = filmSize[0]
    let filmColumns = filmSize[1]
    let film = filmRows > 0 && filmColumns > 0
      ? GrayImage(width: filmColumns, height: filmRows,
                  pixels: DICOMFixtures.chestPhantom(rows: filmRows, columns: filmColumns).map(Float.init))
      : nil
    for count in threads {
      Torch.threads = count
      let forward = try milliseconds { _ = try segmenter.model.probabilities(input) }
      let whole = try milliseconds { _ = try segmenter.segment(small) }
      print(String(format: "  %d thread%@: 224x224 forward %6.1f ms, whole segmenter %6.1f ms/image", count,
                   count == 1 ? " " : "s", forward, whole))
      if let film {
        let full = try milliseconds { _ = try segmenter.segment(film) }
        print(String(format: "             %dx%d film, whole segmenter (mask at the original geometry) %6.1f ms/image",
                     filmColumns, filmRows, full))
      }
    }
    if let film {
      let segmentation = try segmenter.segment(film)
      let clock = ContinuousClock()
      let dilation = clock.measure { _ = segmentation.backgroundCheckMask() }
      print(String(format: "  dilation of the %dx%d mask by %.0f px (background check): %.1f ms", filmColumns, filmRows,
                   segmentation.dilationRadius, dilation.seconds * 1000))
    }
  }

  /// Mean milliseconds per call of `body`, timed for `seconds` after one warm-up call.
  private func milliseconds(_ body: () throws -> Void) throws -> Double {
    try body()
    let clock = ContinuousClock()
    var iterations = 0
    let start = clock.now
    while (clock.now - start).seconds < seconds || iterations < 3 {
      try body()
      iterations += 1
    }
    return (clock.now - start).seconds * 1000 / Double(iterations)
  }
}
