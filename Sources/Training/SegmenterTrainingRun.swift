public import Engine
import Foundation
public import Imaging
public import Screening

/// How a U-Net lung segmenter is trained from drawn lung masks and written as a checkpoint with the
/// lung-area range of its training masks: what `isnetd train-segmenter` runs, in the library beside the
/// classifier's ``ClassifierTraining``.
public struct SegmenterTrainingRun {
  public var architecture: UNetConfiguration
  public var preprocessing: Preprocessing
  public var configuration: SegmenterTrainingConfiguration
  /// Recorded in the checkpoint's sidecar: "isnetd 1.4.0 train-segmenter".
  public var producer: String

  public init(architecture: UNetConfiguration, preprocessing: Preprocessing, configuration: SegmenterTrainingConfiguration,
              producer: String) {
    self.architecture = architecture
    self.preprocessing = preprocessing
    self.configuration = configuration
    self.producer = producer
  }

  /// Images with drawn lung masks at the model's size, and their masks' lung areas.
  public struct Data: Sendable {
    public let dataset: InMemoryDataset
    /// Lung pixels of each mask as a fraction of its image, at the original geometry.
    public let lungFractions: [Double]
    /// Images without a mask, not used.
    public let skipped: Int
  }

  /// Decodes the images of `folder` that have a drawn mask (`<name>.mask.png`), calling
  /// `progress(done, total)` after each.
  public func load(_ folder: LabeledFolder, progress: (Int, Int) -> Void = { _, _ in }) throws -> Data {
    let loader = InputLoader(preprocessing: preprocessing, channels: 1)
    let items = folder.items.filter { $0.maskPath != nil }
    var samples: [TrainingSample] = []
    var fractions: [Double] = []
    for (index, item) in items.enumerated() {
      let input = try loader.load(path: item.imagePath).input
      let mask = try LungMask.read(path: item.maskPath!)
      let lungPixels = mask.image.pixels.reduce(0) { $0 + ($1 > 0.5 ? 1 : 0) }
      fractions.append(Double(lungPixels) / Double(mask.image.pixels.count))
      samples.append(TrainingSample(image: input.values, mask: try mask.letterboxed(by: input.geometry), label: item.label))
      progress(index + 1, items.count)
    }
    let shape = [1, preprocessing.height, preprocessing.width]
    return Data(dataset: try InMemoryDataset(samples: samples, imageShape: shape), lungFractions: fractions,
                skipped: folder.items.count - items.count)
  }

  /// Trains on `training`, validating each epoch on `validation`, and writes `checkpoint` whenever the
  /// mean validation Dice improves, with `lungArea` (the training masks' range) for the plausibility
  /// check. Returns the model version and the result.
  public func train(training: Data, validation: Data, lungArea: LungAreaRange, checkpoint: Checkpoint,
                    events: (SegmenterTrainingEvent) -> Void, shouldStop: () -> Bool) throws -> (version: String, result: SegmenterTrainingResult) {
    let dataDescription = DataDescription(
      fingerprint: try training.dataset.fingerprint(), trainingImages: training.dataset.count,
      validationImages: validation.dataset.count,
      notes: ["masks": "drawn <name>.mask.png only",
              "skippedWithoutMask": "\(training.skipped) training, \(validation.skipped) validation"])
    let version = ModelVersion.make("unet")
    let architecture = Architecture.uNet(self.architecture)
    var history: [SegmenterEpochRecord] = []
    let (_, result) = try SegmenterTrainer(configuration: configuration).train(
      makeModel: { try architecture.makeSegmenter() }, training: training.dataset, validation: validation.dataset,
      events: { event in
        if case .validated(let record) = event { history.append(record) }
        events(event)
      },
      shouldStop: shouldStop,
      onImprovement: { model, record in
        try checkpoint.save(model, metadata: CheckpointMetadata(
          modelVersion: version, producer: producer, architecture: architecture,
          classNames: ["background", "lungs"], input: InputDescription(channels: 1, preprocessing: preprocessing),
          trainingData: dataDescription,
          segmentation: SegmentationMetadata(trainingLungArea: lungArea, training: configuration, bestEpoch: record.epoch,
                                             validation: record.validation, validationLosses: record.validationLosses,
                                             history: history)))
      })
    return (version, result)
  }
}
