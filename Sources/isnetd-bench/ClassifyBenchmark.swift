import ArgumentParser
import DICOM
import Engine
import Foundation
import Imaging
import Phantoms
import Screening
import TestSupport
import Torch

/// The whole screening pipeline with a model bundle (`isnetd classify`'s work: intake, networks,
/// shortcut checks, picture, mask, heatmap and report written atomically) on a 2,000 x 2,500 chest
/// phantom (16 bits stored, a plausible lung mask, so every stage runs), uncompressed and JPEG
/// lossless, at batch sizes 1 and 8: images per second, the share of time per stage, peak RSS, and the
/// ratio to the networks alone on the same inputs (segmenter forward, classifier forward and LRP
/// heatmap), measured alternately in the same process.
struct ClassifyBenchmark: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "classify",
    abstract: "Screening pipeline images/s, time per stage and peak RSS at batch 1 and 8, against its networks alone.")

  @Option(help: "Model bundle (default: the shipped default bundle).")
  var model: String?
  @Option(help: "Image rows.")
  var rows = 2_500
  @Option(help: "Image columns.")
  var columns = 2_000
  @Option(help: "Timed rounds per file and batch size (each round screens 8 images).")
  var rounds = 3
  @Option(help: "libtorch threads.")
  var threads = 2
  @Flag(inversion: .prefixedNo, help: "Write the picture (.overlay.png) of each image, as classify does.")
  var picture = true

  func run() throws {
    Torch.threads = threads
    let bundlePath = try model ?? ModelBundle.locateDefault() ?? { throw ValidationError("no default bundle; pass --model") }()
    let bundle = try ModelBundle(path: bundlePath)
    let temporary = try TemporaryDirectory(prefix: "isnetd-bench-classify")
    func path(_ name: String) -> String { temporary.path(name) }
    let phantom = PhantomRenderer.render(PhantomSpec(seed: 2_025, condition: .pneumonia, width: columns, height: rows,
                                                     acquisition: Acquisition(bitsStored: 16)))
    try SyntheticDatasetWriter.writeDICOM(of: phantom, to: path("uncompressed.dcm"))
    try DICOMFixtures.Variant.jpegLossless.write(from: path("uncompressed.dcm"), to: path("jpeg-lossless.dcm"))
    print("classify: bundle \(bundle.manifest.id) \(bundle.manifest.version), \(columns) x \(rows) 16-bit chest phantom, "
      + "\(rounds) rounds of 8 images per case, \(threads) libtorch threads\(picture ? "" : ", no pictures")")
    print("file                batch  images/s  networks-only images/s  pipeline/networks  "
      + "intake segment classify checks render write (% of pipeline time)")
    for (name, file) in [("uncompressed", path("uncompressed.dcm")), ("JPEG lossless SV1", path("jpeg-lossless.dcm"))] {
      // Eight copies with their own SOP Instance UIDs: eight reports per round, none replacing another.
      let copies = try (0..<8).map { index -> String in
        let copy = path("\(name.prefix(4))-\(index).dcm")
        try? FileManager.default.removeItem(atPath: copy)
        try FileManager.default.copyItem(atPath: file, toPath: copy)
        try Command.run("dcmodify", ["--quiet", "-nb", "-m", "(0008,0018)=1.2.826.0.1.3680043.10.1234.9.\(index)", copy])
        return copy
      }
      for batch in [1, 8] {
        let out = path("out-\(batch)")
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let writer = OutputWriter(directory: out, selection: OutputSelection(overlay: picture))
        let screener = Screener(bundle: bundle, options: PipelineOptions(batchSize: batch), writer: writer, overwrite: true)
        let inputs = try copies.map { copy -> PreparedImage in
          guard case .prepared(let image) = screener.pipeline.prepare(copy) else { throw ValidationError("\(copy) was refused") }
          return image
        }
        var pipelineSeconds = 0.0
        var networkSeconds = 0.0
        var stages = StageTiming()  // milliseconds summed over the rounds
        _ = try networksAlone(bundle, inputs, batch: batch)  // warm-up
        screener.screen(copies) { _ in }
        for _ in 0..<rounds {
          let start = DecodeBenchmark.now()
          var failures = 0
          screener.screen(copies) { screened in
            guard let timing = screened.report?.timing, screened.report?.verdict == .screened else {
              failures += 1
              return
            }
            stages.intake += timing.intakeMs
            stages.segment += timing.segmentMs
            stages.classify += timing.classifyMs
            stages.backgroundChecks += timing.backgroundChecksMs
            stages.render += timing.renderMs
            stages.write += timing.writeMs
          }
          pipelineSeconds += DecodeBenchmark.now() - start
          guard failures == 0 else { throw ValidationError("\(failures) images were not screened: the benchmark measures every stage") }
          networkSeconds += try networksAlone(bundle, inputs, batch: batch)
        }
        let images = Double(rounds * copies.count)
        let total = stages.total
        let shares = [stages.intake, stages.segment, stages.classify, stages.backgroundChecks, stages.render, stages.write]
          .map { String(format: "%5.1f", 100 * $0 / total) }.joined(separator: " ")
        print(name.padding(toLength: 20, withPad: " ", startingAt: 0)
          + String(format: "%5d  %8.2f  %22.2f  %17.2f  ", batch, images / pipelineSeconds, images / networkSeconds,
                   pipelineSeconds / networkSeconds) + shares)
      }
    }
    print(String(format: "peak RSS %.0f MB", Double(DecodeBenchmark.status("VmHWM")) / 1024))
  }

  /// Seconds for the networks alone on `inputs` in batches: the segmenter's forward pass and the
  /// classifier's forward pass with the LRP-Flex heatmap of its prediction.
  func networksAlone(_ bundle: ModelBundle, _ inputs: [PreparedImage], batch: Int) throws -> Double {
    let models = bundle.models
    let loader = InputLoader(preprocessing: models.input.preprocessing, channels: models.input.channels)
    let start = DecodeBenchmark.now()
    for first in stride(from: 0, to: inputs.count, by: batch) {
      let slice = inputs[first..<Swift.min(first + batch, inputs.count)]
      let segmenterInput = try Tensor(slice.flatMap(\.segmenterInput.values),
                                      shape: [slice.count, 1, slice[first].segmenterInput.height, slice[first].segmenterInput.width])
      _ = try models.segmenter.model.probabilities(segmenterInput).floats()
      let classifierInput = try Tensor.cat(slice.map { try loader.modelTensor($0.classifierInput) }, dim: 0)
      _ = try LRPFlex(settings: models.classifierMetadata.relevance)
        .heatmaps(of: models.classifier, input: classifierInput, explaining: .predicted).maps.floats()
    }
    return DecodeBenchmark.now() - start
  }
}
