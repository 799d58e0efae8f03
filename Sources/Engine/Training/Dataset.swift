import Torch

/// One labelled training image at the model's input size.
public struct TrainingSample: Sendable {
  /// C x H x W values in [0, 1], row-major.
  public var image: [Float]
  /// H x W lung mask (1 = lungs, 0 = background).
  public var mask: [Float]
  public var label: Int

  public init(image: [Float], mask: [Float], label: Int) {
    self.image = image
    self.mask = mask
    self.label = label
  }
}

/// Labelled images the trainer reads by index. The engine never reads files: a caller adapts its
/// storage (folders of DICOM files, generated phantoms) to this.
public protocol TrainingDataset {
  var count: Int { get }
  /// Shape of every image: [channels, height, width].
  var imageShape: [Int] { get }
  func sample(at index: Int) throws -> TrainingSample
}

/// A dataset held in memory.
public struct InMemoryDataset: TrainingDataset, Sendable {
  public let samples: [TrainingSample]
  public let imageShape: [Int]

  public init(samples: [TrainingSample], imageShape: [Int]) throws {
    let pixels = imageShape.dropFirst().reduce(1, *)
    guard imageShape.count == 3, samples.allSatisfy({ $0.image.count == pixels * imageShape[0] && $0.mask.count == pixels }) else {
      throw EngineError.invalidInput("every sample must hold a \(imageShape) image and a matching mask")
    }
    self.samples = samples
    self.imageShape = imageShape
  }

  public var count: Int { samples.count }
  public func sample(at index: Int) throws -> TrainingSample { samples[index] }
}

extension TrainingDataset {
  /// Stacks the samples at `indices` into a batch.
  public func batch(_ indices: some Collection<Int>) throws -> Batch {
    let samples = try indices.map { try sample(at: $0) }
    let (height, width) = (imageShape[1], imageShape[2])
    let images = try Tensor(samples.flatMap(\.image), shape: [samples.count] + imageShape)
    let masks = try Tensor(samples.flatMap(\.mask), shape: [samples.count, 1, height, width])
    return try Batch(images: images, masks: masks, labels: samples.map(\.label))
  }

  /// A fingerprint of the labels, images and masks, recorded in checkpoints so a model can be traced to
  /// the data it saw.
  public func fingerprint() throws -> String {
    var hasher = FNV1a64()
    for index in 0..<count {
      let sample = try sample(at: index)
      hasher.combine([Int64(sample.label)])
      hasher.combine(sample.image)
      hasher.combine(sample.mask)
    }
    return hasher.digest
  }
}
