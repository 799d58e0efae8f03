@testable import Engine
import Foundation
import Imaging
import Testing
import TestSupport
import Torch

/// Generated chest-like images (two lung ellipses, heart, mediastinum, ribs, noise) with exact masks.
enum LungPhantomData {
  static func dataset(count: Int, size: Int, seed: UInt64) throws -> InMemoryDataset {
    let samples = (0..<count).map { index in
      let phantom = LungPhantom(width: size, height: size, seed: seed &* 7_919 &+ UInt64(index))
      return TrainingSample(image: phantom.image, mask: phantom.mask.map { $0 ? 1 : 0 }, label: 0)
    }
    return try InMemoryDataset(samples: samples, imageShape: [1, size, size])
  }
}

/// A segmenter whose logits say "foreground" exactly where the input is above 0.5 (or nowhere).
final class ThresholdSegmenter: Segmenter {
  let empty: Bool
  init(empty: Bool = false) { self.empty = empty }
  var state: [StateEntry] { [] }
  var classCount: Int { 2 }
  var inputChannels: Int { 1 }
  func forward(_ input: Tensor, mode: ForwardMode) throws -> Tensor {
    let foreground = empty ? try Tensor.full(input.shape, value: -20) : try (input.greater(0.5).to(.float32) * 40 - 20)
    return try Tensor.cat([-foreground, foreground], dim: 1)
  }
}

/// One short training run on generated data, shared by the tests that need a trained segmenter.
final class TrainedLungSegmenter: @unchecked Sendable {
  static let size = 64
  let model: any Segmenter
  let result: SegmenterTrainingResult
  let seconds: Double

  static let shared = Result { try TrainedLungSegmenter() }

  private init() throws {
    // One thread: the run repeats exactly, and other work on the machine cannot stall an OpenMP team.
    Torch.threads = 1
    let training = try LungPhantomData.dataset(count: 64, size: Self.size, seed: 1)
    let validation = try LungPhantomData.dataset(count: 16, size: Self.size, seed: 2)
    let configuration = SegmenterTrainingConfiguration(
      epochs: 20, batchSize: 8, optimizer: .adam(learningRate: 3e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0),
      seed: 3)
    let clock = ContinuousClock()
    let start = clock.now
    let (model, result) = try SegmenterTrainer(configuration: configuration).train(
      makeModel: { try UNet(UNetConfiguration(depth: 3, baseWidth: 8)) }, training: training, validation: validation)
    seconds = Double((clock.now - start).components.seconds)
    self.model = model
    self.result = result
  }
}

@Suite("Lung segmentation", .serialized)
struct SegmentationTests {
  @Test("Dice is 1 for a perfect prediction and 0 for an empty one; two empty masks agree")
  func diceOfPerfectAndEmpty() throws {
    let truth = LungPhantom(width: 48, height: 48, seed: 5).mask
    let empty = [Bool](repeating: false, count: truth.count)
    #expect(diceCoefficient(predicted: truth, truth: truth) == 1)
    #expect(diceCoefficient(predicted: empty, truth: truth) == 0)
    #expect(diceCoefficient(predicted: empty, truth: empty) == 1)
    // Half of the lung pixels predicted: 2·(n/2) / (n/2 + n) = 2/3.
    var half = empty
    let lungs = truth.indices.filter { truth[$0] }
    for index in lungs.prefix(lungs.count / 2) { half[index] = true }
    #expect(Swift.abs(diceCoefficient(predicted: half, truth: truth) - 2 * Double(lungs.count / 2) / Double(lungs.count / 2 + lungs.count)) < 1e-12)

    // The same through the evaluator and the loss, on masks that equal their images.
    let samples = (0..<4).map { index -> TrainingSample in
      let mask = LungPhantom(width: 32, height: 32, seed: UInt64(index)).mask.map { Float($0 ? 1 : 0) }
      return TrainingSample(image: mask, mask: mask, label: 0)
    }
    let data = try InMemoryDataset(samples: samples, imageShape: [1, 32, 32])
    let loss = SegmentationLoss()
    let perfect = try SegmentationEvaluator().evaluate(ThresholdSegmenter(), on: data, loss: loss)
    #expect(perfect.metrics.meanDice == 1 && perfect.metrics.minimumDice == 1 && perfect.metrics.pixelAccuracy == 1)
    #expect(perfect.losses!.dice < 1e-6 && perfect.losses!.crossEntropy < 1e-6)
    let nothing = try SegmentationEvaluator().evaluate(ThresholdSegmenter(empty: true), on: data, loss: loss)
    #expect(nothing.metrics.meanDice == 0 && nothing.dice.allSatisfy { $0 == 0 })
    #expect(nothing.losses!.dice > 0.95)
  }

  @Test("the soft Dice loss matches its formula and its gradient flows to the logits")
  func lossFormula() throws {
    let logits = try Tensor([0.3, -1.2, 2.0, 0.1, -0.4, 0.8, 1.5, -2.0] as [Float], shape: [1, 2, 2, 2]).requiringGradient()
    let masks = try Tensor([1, 0, 1, 1] as [Float], shape: [1, 1, 2, 2])
    let (value, values) = try SegmentationLoss(SegmentationLossConfiguration(diceWeight: 0.7, crossEntropyWeight: 0.3, smoothing: 1))(
      logits: logits, masks: masks)
    // By hand: p = softmax over the two channels at each pixel, class 1.
    let z0: [Double] = [0.3, -1.2, 2.0, 0.1]
    let z1: [Double] = [-0.4, 0.8, 1.5, -2.0]
    let g: [Double] = [1, 0, 1, 1]
    let p: [Double] = zip(z0, z1).map { (a: Double, b: Double) -> Double in 1 / (1 + Foundation.exp(a - b)) }
    let overlap: Double = zip(p, g).map { (a: Double, b: Double) -> Double in a * b }.reduce(0, +)
    let sizes: Double = p.reduce(0, +) + g.reduce(0, +)
    let dice = (2 * overlap + 1) / (sizes + 1)
    let losses: [Double] = zip(p, g).map { (a: Double, b: Double) -> Double in b == 1 ? -Foundation.log(a) : -Foundation.log(1 - a) }
    let crossEntropy = losses.reduce(0, +) / 4
    #expect(Swift.abs(values.dice - (1 - dice)) < 1e-5)
    #expect(Swift.abs(values.crossEntropy - crossEntropy) < 1e-5)
    #expect(Swift.abs(values.total - (0.7 * (1 - dice) + 0.3 * crossEntropy)) < 1e-5)
    try value.backward()
    #expect(try logits.gradient!.abs().sum().item() > 0)
  }

  @Test("the U-Net carries milesial/Pytorch-UNet's parameter names and labels every pixel of any input size")
  func unetNamesAndShapes() throws {
    Torch.seed(1)
    let reference = try UNet(.reference())
    // milesial's UNet(1, 2): 31,036,546 parameters (31,037,698 with 3 input channels); 17,261,890 bilinear.
    #expect(reference.parameterCount == 31_036_546)
    let names = reference.state.map(\.name)
    #expect(names.first == "inc.double_conv.0.weight")
    #expect(names.contains("down4.maxpool_conv.1.double_conv.4.num_batches_tracked"))
    #expect(names.contains("up1.up.weight") && names.contains("up4.conv.double_conv.3.weight"))
    #expect(names.suffix(2) == ["outc.conv.weight", "outc.conv.bias"])
    let shapes = Dictionary(uniqueKeysWithValues: reference.state.map { ($0.name, $0.tensor.shape) })
    #expect(shapes["up1.up.weight"] == [1024, 512, 2, 2])
    #expect(shapes["down4.maxpool_conv.1.double_conv.0.weight"] == [1024, 512, 3, 3])
    #expect(shapes["outc.conv.weight"] == [2, 64, 1, 1])
    let bilinear = try UNet(.reference(upsampling: .bilinear))
    #expect(bilinear.parameterCount == 17_261_890)
    let bilinearShapes = Dictionary(uniqueKeysWithValues: bilinear.state.map { ($0.name, $0.tensor.shape) })
    #expect(bilinearShapes["up1.up.weight"] == nil)
    #expect(bilinearShapes["down4.maxpool_conv.1.double_conv.0.weight"] == [512, 512, 3, 3])
    #expect(bilinearShapes["up1.conv.double_conv.0.weight"] == [512, 1024, 3, 3])

    for upsampling in Upsampling.allCases {
      let small = try UNet(UNetConfiguration(depth: 3, baseWidth: 4, upsampling: upsampling))
      #expect(try small.logits(Tensor.rand([2, 1, 37, 45])).shape == [2, 2, 37, 45])
      #expect(try small.probabilities(Tensor.rand([1, 1, 32, 32])).shape == [1, 32, 32])
    }
    #expect(throws: EngineError.self) { try UNet(UNetConfiguration(depth: 0)) }
    #expect(throws: EngineError.self) { try UNet(UNetConfiguration(depth: 3, baseWidth: 4)).forward(Tensor.rand([1, 3, 16, 16]), mode: .inference) }
  }

  @Test("a U-Net checkpoint round-trips as a segmenter, refuses to load as a classifier, and old sidecars still decode")
  func checkpoint() throws {
    Torch.seed(2)
    let configuration = UNetConfiguration(depth: 2, baseWidth: 4, upsampling: .transposed)
    let model = try UNet(configuration)
    _ = try model.forward(Tensor.rand([2, 1, 16, 16]), mode: ForwardMode(training: true))  // move the BatchNorm statistics
    let directory = try TemporaryDirectory()
    let checkpoint = Checkpoint(path: directory.path("lungs"))
    let area = LungAreaRange(fractions: [0.2, 0.3, 0.25])!
    let metadata = CheckpointMetadata(
      modelVersion: "unet-test", producer: "SegmentationTests", architecture: .uNet(configuration),
      classNames: ["background", "lungs"], input: InputDescription(channels: 1, preprocessing: Preprocessing(width: 16, height: 16)),
      segmentation: SegmentationMetadata(trainingLungArea: area, bestEpoch: 3,
                                         validation: SegmentationMetrics(dice: [0.9, 0.95], correctPixels: 9, totalPixels: 10)))
    let written = try checkpoint.save(model, metadata: metadata)
    let (loaded, readBack) = try checkpoint.loadSegmenter()
    #expect(readBack == written)
    #expect(readBack.segmentation?.trainingLungArea == area)
    #expect(readBack.segmentation?.validation?.meanDice == 0.925)
    let input = try Tensor.rand([1, 1, 16, 16])
    #expect(try model.logits(input).floats() == loaded.logits(input).floats())
    let json = try String(contentsOfFile: checkpoint.metadataPath, encoding: .utf8)
    #expect(json.contains("\"kind\" : \"unet\""))
    let error = #expect(throws: EngineError.self) { try checkpoint.loadClassifier() }
    #expect(error?.description.contains("U-Net lung segmenter, not a classifier") == true)

    // A classifier checkpoint is refused as a segmenter, and its sidecar (no "segmentation" key, as
    // written before segmenters existed) decodes unchanged.
    let dense = DenseNetConfiguration(growthRate: 4, blockLayers: [2], initialFeatures: 8, classCount: 2, inputChannels: 1)
    let classifier = Checkpoint(path: directory.path("classifier"))
    try classifier.save(DenseNet(dense), metadata: CheckpointMetadata(
      modelVersion: "dense", producer: "SegmentationTests", architecture: .denseNet(dense), classNames: ["a", "b"],
      input: InputDescription(channels: 1, preprocessing: Preprocessing(width: 16, height: 16))))
    let sidecar = try String(contentsOfFile: classifier.metadataPath, encoding: .utf8)
    #expect(!sidecar.contains("segmentation"))
    #expect(try classifier.metadata().segmentation == nil)
    #expect(throws: EngineError.self) { try classifier.loadSegmenter() }
  }

  @Test("augmentation moves each mask with its image")
  func augmentationMovesMasks() throws {
    Torch.seed(4)
    let samples = (0..<8).map { index -> TrainingSample in
      let mask = LungPhantom(width: 64, height: 64, seed: UInt64(100 + index)).mask.map { Float($0 ? 1 : 0) }
      return TrainingSample(image: mask, mask: mask, label: 0)
    }
    let data = try InMemoryDataset(samples: samples, imageShape: [1, 64, 64])
    var generator = SeededGenerator(seed: 9)
    let geometryOnly = AugmentationConfiguration(rotationDegrees: 7, shift: 0.05, scale: 0.08, brightness: 0, contrast: 0)
    let batch = try Augmenter(configuration: geometryOnly)(data.batch(0..<8), using: &generator)
    let moved = try batch.images.greater(0.5).to(.float32).floats()
    let masks = try batch.masks.floats()
    let original = try data.batch(0..<8).masks.floats()
    let agreement = Double(zip(moved, masks).filter { $0 == $1 }.count) / Double(masks.count)
    #expect(agreement > 0.99, "the mask follows the image")
    #expect(masks != original, "the augmentation moved something")
    #expect(Set(masks) == [0, 1], "masks stay binary")
  }

  @Test("a short training run on generated chest images raises validation Dice above 0.8")
  func trainingRaisesDice() throws {
    let trained = try TrainedLungSegmenter.shared.get()
    let history = trained.result.history
    print("segmenter training: Dice per epoch \(history.map { String(format: "%.3f", $0.validation.meanDice) }), \(trained.seconds) s")
    let best = try #require(trained.result.best)
    #expect(best.validation.meanDice > 0.8)
    #expect(best.validation.meanDice > history[0].validation.meanDice, "Dice rises with training")
    #expect(history.count == 20 && !trained.result.stoppedEarly)
    // The model holds the best epoch's weights.
    let validation = try LungPhantomData.dataset(count: 16, size: TrainedLungSegmenter.size, seed: 2)
    let again = try SegmentationEvaluator().evaluate(trained.model, on: validation)
    #expect(Swift.abs(again.metrics.meanDice - best.validation.meanDice) < 1e-9)
  }

  @Test("training stops on request, keeps the best epoch, and repeats exactly for a seed")
  func stopAndDeterminism() throws {
    Torch.threads = 1
    let training = try LungPhantomData.dataset(count: 8, size: 32, seed: 11)
    let validation = try LungPhantomData.dataset(count: 4, size: 32, seed: 12)
    let configuration = SegmenterTrainingConfiguration(epochs: 3, batchSize: 4, seed: 5)
    func run(stopAfter steps: Int?) throws -> SegmenterTrainingResult {
      var taken = 0
      var improvements = 0
      let (_, result) = try SegmenterTrainer(configuration: configuration).train(
        makeModel: { try UNet(UNetConfiguration(depth: 2, baseWidth: 4)) }, training: training, validation: validation,
        events: { if case .step = $0 { taken += 1 } },
        shouldStop: { steps.map { taken >= $0 } ?? false },
        onImprovement: { _, _ in improvements += 1 })
      #expect(improvements == result.history.filter(\.improved).count)
      return result
    }
    let first = try run(stopAfter: nil)
    let second = try run(stopAfter: nil)
    #expect(first.history.map(\.validation) == second.history.map(\.validation))
    #expect(first.history.map(\.trainingLoss) == second.history.map(\.trainingLoss))
    let stopped = try run(stopAfter: 3)
    #expect(stopped.stoppedEarly && stopped.history.count == 1)
    #expect(stopped.best?.epoch == 1)
  }
}
