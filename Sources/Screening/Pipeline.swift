public import DICOM
public import Engine
import Foundation
import Imaging
import Torch

/// The networks screening runs and how it feeds them: the classifier with its checkpoint metadata
/// (classes, input rule, LRP settings), the lung segmenter, and the value the background-removal check
/// puts outside the lungs.
public struct ScreeningModels {
  public let classifier: any Classifier
  public let classifierMetadata: CheckpointMetadata
  public let segmenter: LungSegmenter
  /// The neutral model-input value that replaces everything outside the dilated lung mask for the
  /// background-removal check (``ShortcutCalibration/backgroundRemovalFill``).
  public let backgroundFill: Float

  public init(classifier: any Classifier, classifierMetadata: CheckpointMetadata, segmenter: LungSegmenter,
              backgroundFill: Float) throws {
    guard classifier.classCount == classifierMetadata.classNames.count else {
      throw EngineError.invalidConfiguration("the classifier has \(classifier.classCount) outputs for \(classifierMetadata.classNames.count) classes")
    }
    guard backgroundFill.isFinite, (0...1).contains(backgroundFill) else {
      throw EngineError.invalidConfiguration("the background fill must lie in [0, 1], not \(backgroundFill)")
    }
    self.classifier = classifier
    self.classifierMetadata = classifierMetadata
    self.segmenter = segmenter
    self.backgroundFill = backgroundFill
  }

  public var classNames: [String] { classifierMetadata.classNames }
  /// The classifier's input: channels and preprocessing rule.
  public var input: InputDescription { classifierMetadata.input }
}

/// What screening needs besides the models.
public struct PipelineOptions: Sendable, Equatable {
  /// Which files are screened (the rest are reported as not screened, with the rule).
  public var acceptanceRules: AcceptanceRules
  public var decodeOptions: DecodeOptions
  /// The most images that go through the networks together.
  public var batchSize: Int
  /// The longer side of the working grid: lung masks of larger images are made, judged and written at
  /// this scale, and their pictures drawn from a view of this size, which costs a fraction of the full
  /// resolution (a 2,000 x 2,500 film has 6 times the pixels) and changes neither the verdict
  /// (fractions) nor the background check (made at the model's 224 pixels). nil: the image's own size.
  public var maskLongestSide: Int?

  public init(acceptanceRules: AcceptanceRules = AcceptanceRules(), decodeOptions: DecodeOptions = DecodeOptions(),
              batchSize: Int = 8, maskLongestSide: Int? = 1024) {
    precondition(batchSize > 0, "a batch holds at least one image")
    self.acceptanceRules = acceptanceRules
    self.decodeOptions = decodeOptions
    self.batchSize = batchSize
    self.maskLongestSide = maskLongestSide
  }
}

/// The screening pipeline, the one path from a DICOM file to its findings, used by `isnetd classify`
/// and the daemon alike:
///
/// 1. **Intake** (``prepare(_:)``): read and hash the file, read its metadata, apply the acceptance
///    rules, decode the first frame and make the classifier's and the segmenter's inputs.
/// 2. **Networks** (``run(_:)``), several images as one batch: the lung mask at the original geometry
///    (``LungSegmenter``), the classifier's probabilities and the LRP-Flex heatmap of the predicted
///    class (the engine's attributor, the code training uses), then for images with a plausible mask
///    the background share Σ|R|·(1−M)/Σ|R| over the dilated mask letterboxed into the classifier's
///    input, and the prediction again with everything outside that mask replaced by a neutral value.
///
/// Every network runs in eval mode, so a batch gives each image what it gets alone. A batch that
/// fails is retried one image at a time, so one bad image never costs the others their result. The
/// verdict (``ShortcutChecks``) and the report are made from these findings.
public final class Pipeline {
  public let models: ScreeningModels
  public let options: PipelineOptions
  public let intake: ImageIntake
  private let classifierLoader: InputLoader
  private let segmenter: LungSegmenter

  public init(models: ScreeningModels, options: PipelineOptions = PipelineOptions()) {
    self.models = models
    self.options = options
    intake = ImageIntake(input: models.input, segmenterPreprocessing: models.segmenter.preprocessing,
                         acceptanceRules: options.acceptanceRules, decodeOptions: options.decodeOptions,
                         viewLongestSide: options.maskLongestSide)
    classifierLoader = InputLoader(preprocessing: models.input.preprocessing, channels: models.input.channels,
                                   decodeOptions: options.decodeOptions)
    var segmenter = models.segmenter
    segmenter.options.maskLongestSide = options.maskLongestSide
    self.segmenter = segmenter
  }

  /// Intake and networks for `paths`, results in the same order.
  public func screen(_ paths: [String]) -> [ScreeningResult] {
    let intakes = paths.map(prepare)
    let ready = intakes.compactMap(\.prepared)
    var analysed = run(ready).makeIterator()
    return intakes.map { intake in
      switch intake {
      case .prepared: analysed.next()!
      case .refused(let file, let metadata, let problem): ScreeningResult(refused: file, metadata: metadata, problem: problem)
      }
    }
  }

  /// Step 1 for one file (``ImageIntake/prepare(_:)``): never throws; a file that cannot be screened
  /// comes back refused with its problem.
  public func prepare(_ path: String) -> Intake {
    intake.prepare(path)
  }

  /// Step 2: the networks over prepared images, in batches of `options.batchSize`.
  public func run(_ images: [PreparedImage]) -> [ScreeningResult] {
    stride(from: 0, to: images.count, by: options.batchSize).flatMap { start in
      analyse(Array(images[start..<Swift.min(start + options.batchSize, images.count)]))
    }
  }

  /// One batch; on a failure, each image alone, so only the image that fails reports it.
  private func analyse(_ batch: [PreparedImage]) -> [ScreeningResult] {
    do {
      return try analyseBatch(batch)
    } catch {
      guard batch.count > 1 else {
        let image = batch[0]
        return [ScreeningResult(file: image.file, metadata: image.metadata, image: image,
                                outcome: .failed(Problem(screening: error)), timing: StageTiming(intake: image.intakeSeconds))]
      }
      return batch.flatMap { analyse([$0]) }
    }
  }

  private func analyseBatch(_ batch: [PreparedImage]) throws -> [ScreeningResult] {
    let clock = ContinuousClock()
    let count = Double(batch.count)
    var start = clock.now
    let segmentations = try segmenter.segment(batch.map(\.segmenterInput))
    let segmentSeconds = seconds(since: start, clock) / count

    start = clock.now
    let inputs = try Tensor.cat(batch.map { try classifierLoader.modelTensor($0.classifierInput) }, dim: 0)
    let heatmaps = try LRPFlex(settings: models.classifierMetadata.relevance)
      .heatmaps(of: models.classifier, input: inputs, explaining: .predicted)
    let probabilities = try heatmaps.logits.softmax(dim: 1).values(as: Double.self)
    let relevance = try heatmaps.maps.floats()
    let classifySeconds = seconds(since: start, clock) / count
    let classCount = models.classNames.count
    let relevanceCount = relevance.count / batch.count
    let classifications = try (0..<batch.count).map { index in
      let row = Array(probabilities[(index * classCount)..<((index + 1) * classCount)])
      let map = relevance[(index * relevanceCount)..<((index + 1) * relevanceCount)]
      guard row.allSatisfy(\.isFinite), map.allSatisfy(\.isFinite) else {
        throw ScreeningError(.nonFiniteModelOutput, "classifier probabilities or relevance of \(batch[index].file.name)")
      }
      return Classification(probabilities: row, predicted: heatmaps.explainedClasses?[index])
    }

    // The background checks, for images whose lung mask can be trusted.
    start = clock.now
    let assessable = segmentations.indices.filter { segmentations[$0].isPlausible }
    let masks = try assessable.map { try segmentations[$0].backgroundCheckMask(letterboxedBy: batch[$0].classifierInput.geometry) }
    var shares: [Double] = []
    var removals: [BackgroundRemoval] = []
    if !assessable.isEmpty {
      let (height, width) = (models.input.height, models.input.width)
      let maskTensor = try Tensor(masks.flatMap { $0 }, shape: [assessable.count, 1, height, width])
      let index = try Tensor(assessable.map(Int64.init), shape: [assessable.count])
      let selectedMaps = try heatmaps.maps.squeezed(1).indexSelect(dim: 0, index: index)
      shares = try backgroundShares(heatmaps: selectedMaps, masks: maskTensor)
      let selectedInputs = try inputs.indexSelect(dim: 0, index: index)
      let masked = try selectedInputs * maskTensor + (1.0 - maskTensor) * Double(models.backgroundFill)
      let maskedProbabilities = try models.classifier.logits(masked).softmax(dim: 1).values(as: Double.self)
      removals = try assessable.enumerated().map { position, imageIndex in
        let row = Array(maskedProbabilities[(position * classCount)..<((position + 1) * classCount)])
        guard row.allSatisfy(\.isFinite), shares[position].isFinite else {
          throw ScreeningError(.nonFiniteModelOutput, "background check of \(batch[imageIndex].file.name)")
        }
        return BackgroundRemoval(original: classifications[imageIndex], probabilities: row)
      }
    }
    let checkSeconds = seconds(since: start, clock) / Double(Swift.max(assessable.count, 1))

    return batch.indices.map { index in
      let position = assessable.firstIndex(of: index)
      let analysis = Analysis(
        classification: classifications[index], segmentation: segmentations[index],
        relevance: RelevanceMap(values: Array(relevance[(index * relevanceCount)..<((index + 1) * relevanceCount)]),
                                channels: models.input.channels, width: models.input.width, height: models.input.height),
        backgroundCheckMask: position.map { masks[$0] }, backgroundShare: position.map { shares[$0] },
        backgroundRemoval: position.map { removals[$0] })
      let timing = StageTiming(intake: batch[index].intakeSeconds, segment: segmentSeconds, classify: classifySeconds,
                               backgroundChecks: position == nil ? 0 : checkSeconds)
      return ScreeningResult(file: batch[index].file, metadata: batch[index].metadata, image: batch[index],
                             outcome: .analysed(analysis), timing: timing)
    }
  }
}

func seconds(since start: ContinuousClock.Instant, _ clock: ContinuousClock) -> Double {
  let elapsed = clock.now - start
  return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
}

extension Pipeline {
  /// Screens every image of a labelled folder, a few batches at a time, calling `each` with each item
  /// and its result in the folder's order and `progress(done, total)` after each group: how bundles
  /// are calibrated and evaluated.
  public func screen(_ folder: LabeledFolder, progress: (Int, Int) -> Void = { _, _ in },
                     each: (LabeledFolder.Item, ScreeningResult) -> Void) {
    let group = options.batchSize * 4
    for start in stride(from: 0, to: folder.items.count, by: group) {
      let items = folder.items[start..<Swift.min(start + group, folder.items.count)]
      for (item, result) in zip(items, screen(items.map(\.imagePath))) { each(item, result) }
      progress(Swift.min(start + group, folder.items.count), folder.items.count)
    }
  }
}
