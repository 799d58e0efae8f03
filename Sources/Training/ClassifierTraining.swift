public import Engine
import Foundation
import Imaging
public import Screening

/// How a classifier is trained from labelled images and written as a checkpoint: the one path
/// `isnetd train` and `isnetd retrain` share.
public struct ClassifierTraining {
  public var variant: Variant
  public var architecture: Architecture
  public var input: InputDescription
  public var configuration: TrainingConfiguration
  public var classNames: [String]
  /// Recorded in the checkpoint's sidecar: "isnetd 1.4.0 train".
  public var producer: String

  public init(variant: Variant, architecture: Architecture, input: InputDescription, configuration: TrainingConfiguration,
              classNames: [String], producer: String) {
    self.variant = variant
    self.architecture = architecture
    self.input = input
    self.configuration = configuration
    self.classNames = classNames
    self.producer = producer
  }

  /// The architecture `choice` for `classNames` and `channels`.
  public static func architecture(_ choice: ArchitectureChoice, classCount: Int, channels: Int) -> Architecture {
    switch choice {
    case .compact: .denseNet(.compact(classCount: classCount, inputChannels: channels))
    case .densenet121: .denseNet(.densenet121(classCount: classCount, inputChannels: channels))
    case .resnet18: .resNet(.resnet18(classCount: classCount, inputChannels: channels))
    case .compactResnet: .resNet(.compact(classCount: classCount, inputChannels: channels))
    }
  }

  public enum ArchitectureChoice: String, Sendable, CaseIterable { case compact, densenet121, resnet18, compactResnet = "compact-resnet" }

  public var loader: InputLoader { InputLoader(preprocessing: input.preprocessing, channels: input.channels) }

  /// Decodes `folder` at the model's input: drawn masks, else pseudo-masks from `segmenter`; only a
  /// plain classifier (no heatmap loss) may train on images without a lung mask.
  public func load(_ folder: LabeledFolder, segmenter: LungSegmenter?, progress: (Int, Int) -> Void) throws -> LoadedDataset {
    try folder.load(with: loader, allowMissingMasks: variant == .plain, segmenter: segmenter, progress: progress)
  }

  /// Trains on `training`, validating each epoch on `validation`, and writes `checkpoint` whenever the
  /// validation loss improves (so a stop or a crash keeps the best epoch so far). `segmenter` is the one
  /// that made the pseudo-masks, recorded in the sidecar. Returns the model version and the result.
  public func train(training: LoadedDataset, validation: LoadedDataset, segmenter: LungSegmenter?, checkpoint: Checkpoint,
                    events: (TrainingEvent) -> Void, shouldStop: () -> Bool) throws -> (version: String, result: TrainingResult) {
    var notes = ["classes": classNames.joined(separator: ",")]
    if let segmenter {
      notes["pseudoMasks"] = "\(training.summary.pseudoMasks.count + validation.summary.pseudoMasks.count)"
      notes["pseudoMasksTraining"] = "\(training.summary.pseudoMasks.count)"
      notes["pseudoMasksValidation"] = "\(validation.summary.pseudoMasks.count)"
      notes["rejectedPseudoMasks"] = "\(training.summary.rejectedPseudoMasks.count + validation.summary.rejectedPseudoMasks.count)"
      notes["pseudoMaskSegmenter"] = segmenter.metadata.modelVersion
    }
    let dataDescription = DataDescription(fingerprint: try training.dataset.fingerprint(), trainingImages: training.dataset.count,
                                          validationImages: validation.dataset.count, notes: notes)
    let version = ModelVersion.make(variant.rawValue)
    let (_, result) = try Trainer(configuration: configuration, classNames: classNames).train(
      makeModel: { try architecture.makeClassifier() }, training: training.dataset, validation: validation.dataset,
      events: events, shouldStop: shouldStop,
      onImprovement: { model, record, trained in
        try checkpoint.save(model, metadata: CheckpointMetadata(
          modelVersion: version, producer: producer, architecture: architecture, classNames: classNames, input: input,
          training: trained, trainingData: dataDescription,
          metrics: TrainingMetrics(bestEpoch: record.epoch, validation: record.validation,
                                   validationLosses: record.validationLosses, history: [record])))
      })
    return (version, result)
  }
}
