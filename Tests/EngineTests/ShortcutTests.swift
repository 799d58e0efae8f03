@testable import Engine
import Foundation
import Testing
import Torch

/// A small synthetic shortcut problem: 32x32 images with two "lung" ellipses (the mask). The true
/// class signal is a faint blob in the left (class 0) or right (class 1) lung; a bright square in a
/// background corner is a marker tied to the class (top-left for 0, top-right for 1). `swapped` puts
/// the marker on the other class's corner, as in the paper's confounding test set.
enum ShortcutProblem {
  static let size = 32

  static func mask() -> [Float] {
    (0..<(size * size)).map { index in
      let (row, column) = (Double(index / size), Double(index % size))
      let left = Foundation.pow((column - 10) / 6, 2) + Foundation.pow((row - 18) / 9, 2) <= 1
      let right = Foundation.pow((column - 22) / 6, 2) + Foundation.pow((row - 18) / 9, 2) <= 1
      return left || right ? 1 : 0
    }
  }

  static func dataset(count: Int, seed: UInt64, swapped: Bool = false) throws -> InMemoryDataset {
    var generator = SeededGenerator(seed: seed)
    let lungs = mask()
    let samples = (0..<count).map { index -> TrainingSample in
      let label = index % 2
      var image = lungs.map { $0 * 0.35 }
      for pixel in image.indices { image[pixel] += Float.random(in: 0...0.15, using: &generator) }
      // Class signal: a faint blob in one lung at a random height.
      let centreColumn = label == 0 ? 10.0 : 22.0
      let centreRow = Double.random(in: 13...23, using: &generator)
      for pixel in image.indices {
        let (row, column) = (Double(pixel / size), Double(pixel % size))
        let distance = Foundation.pow(row - centreRow, 2) + Foundation.pow(column - centreColumn, 2)
        image[pixel] += Float(0.45 * Foundation.exp(-distance / 8))
      }
      // Background marker: a bright 4x4 square in a top corner.
      let markerClass = swapped ? 1 - label : label
      let markerColumn = markerClass == 0 ? 1 : size - 5
      for row in 1..<5 { for column in markerColumn..<(markerColumn + 4) { image[row * size + column] = 1 } }
      return TrainingSample(image: image.map { Swift.min($0, 1) }, mask: lungs, label: label)
    }
    return try InMemoryDataset(samples: samples, imageShape: [1, size, size])
  }

  static func model() throws -> DenseNet {
    try DenseNet(DenseNetConfiguration(growthRate: 6, blockLayers: [2, 2], initialFeatures: 12, classCount: 2, inputChannels: 1))
  }
}

@Suite("Shortcut learning", .serialized)
struct ShortcutTests {
  static let classNames = ["left", "right"]

  func train(_ variant: Variant) throws -> (any Classifier, TrainingResult) {
    let objective = ObjectiveConfiguration(variant: variant, heatmapWeight: 0.7,
                                           loss: HeatmapLossConfiguration(backgroundDecay: 0.9, lowerCut: 1, upperCut: 25))
    let configuration = TrainingConfiguration(objective: objective, epochs: 15, batchSize: 32,
                                              optimizer: .adam(learningRate: 3e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0),
                                              seed: 1, augmentation: .none, cutTuningEpochs: variant == .plain ? 0 : 3)
    let trainer = Trainer(configuration: configuration, classNames: Self.classNames)
    let result = try trainer.train(makeModel: ShortcutProblem.model, training: ShortcutProblem.dataset(count: 256, seed: 10),
                                   validation: ShortcutProblem.dataset(count: 64, seed: 11))
    return (result.model, result.result)
  }

  @Test("after the same short training, the plain classifier attends the background at least twice as much as the Selective ISNet, which generalises better when the marker is swapped")
  func selectiveAvoidsShortcut() throws {
    Torch.threads = 2
    let evaluator = Evaluator(classNames: Self.classNames)
    let swapped = try ShortcutProblem.dataset(count: 64, seed: 12, swapped: true)
    let biased = try ShortcutProblem.dataset(count: 64, seed: 13)

    let (plain, _) = try train(.plain)
    let (isnet, _) = try train(.selective)
    let plainBiased = try evaluator.evaluate(plain, on: biased).metrics
    let isnetBiased = try evaluator.evaluate(isnet, on: biased).metrics
    let plainSwapped = try evaluator.evaluate(plain, on: swapped).metrics
    let isnetSwapped = try evaluator.evaluate(isnet, on: swapped).metrics
    print("shortcut test: plain biased acc \(plainBiased.accuracy) share \(plainBiased.backgroundShare!.mean); swapped acc \(plainSwapped.accuracy)")
    print("shortcut test: selective biased acc \(isnetBiased.accuracy) share \(isnetBiased.backgroundShare!.mean); swapped acc \(isnetSwapped.accuracy)")

    #expect(plainBiased.backgroundShare!.mean >= 2 * isnetBiased.backgroundShare!.mean)
    #expect(isnetBiased.accuracy >= 0.9, "the ISNet must still learn the task from the lungs")
    #expect(isnetSwapped.accuracy >= plainSwapped.accuracy + 0.3)
  }

  @Test("background swapping keeps each chosen image's lungs and gives it another image's background; with probability 0 nothing changes")
  func backgroundSwap() throws {
    let data = try ShortcutProblem.dataset(count: 8, seed: 3)
    let batch = try data.batch(0..<8)
    var generator = SeededGenerator(seed: 4)
    var configuration = AugmentationConfiguration.none
    configuration.backgroundSwap = 1
    let swapped = try Augmenter(configuration: configuration).swappingBackgrounds(batch.images, masks: batch.masks, using: &generator)
    let (original, result, mask) = (try batch.images.floats(), try swapped.floats(), try batch.masks.floats())
    let pixels = ShortcutProblem.size * ShortcutProblem.size
    var movedMarkers = 0
    for sample in 0..<8 {
      let range = (sample * pixels)..<((sample + 1) * pixels)
      // The lungs are the image's own.
      #expect(range.allSatisfy { mask[$0] == 0 || result[$0] == original[$0] })
      // The background is one image's of the batch, whole.
      let donors = (0..<8).filter { donor in range.allSatisfy { mask[$0] == 1 || result[$0] == original[donor * pixels + $0 - range.lowerBound] } }
      #expect(donors.count == 1, "sample \(sample)")
      // The marker (top corners) now follows the donor's class, not the sample's.
      if let donor = donors.first, donor % 2 != sample % 2 { movedMarkers += 1 }
    }
    #expect(movedMarkers > 0, "a marker went with another class's image")

    configuration.backgroundSwap = 0
    let untouched = try Augmenter(configuration: configuration).swappingBackgrounds(batch.images, masks: batch.masks, using: &generator)
    #expect(try untouched.floats() == original)
  }
}

@Suite("Background invariance", .serialized)
struct BackgroundInvarianceTests {
  @Test("the term is the mean squared logit change when everything outside the lung mask is blanked, 0 when nothing is outside it, and adds λ times itself to the loss")
  func term() throws {
    Torch.threads = 1
    let model = try ShortcutProblem.model()
    let batch = try ShortcutProblem.dataset(count: 4, seed: 3).batch(0..<4)
    var configuration = ObjectiveConfiguration(variant: .plain)
    var generator = SeededGenerator(seed: 1)
    let without = try Objective(configuration).evaluate(model: model, batch: batch, training: false, using: &generator)
    configuration.backgroundInvariance = 0.5
    let with = try Objective(configuration).evaluate(model: model, batch: batch, training: false, using: &generator)

    let expected = try meanSquaredChange(model: model, batch: batch)
    let term = try #require(with.values.backgroundInvariance)
    #expect(expected > 1e-6, "the markers change the logits")
    #expect(abs(term - expected) <= 1e-5 * expected)
    #expect(abs(with.values.total - (without.values.total + 0.5 * term)) <= 1e-5)
    #expect(without.values.backgroundInvariance == nil)

    // In training too, the term is the network's inference-mode logit change, and its gradient reaches the weights.
    let trainingOutput = try Objective(configuration).evaluate(model: model, batch: batch, training: true, using: &generator)
    let trainingTerm = try #require(trainingOutput.values.backgroundInvariance)
    let expectedInTraining = try meanSquaredChange(model: model, batch: batch)  // running statistics as the step left them
    #expect(abs(trainingTerm - expectedInTraining) <= 1e-5 * expectedInTraining)
    try trainingOutput.loss.backward()
    let gradients = try model.parameters.compactMap { try $0.gradient?.floats() }.flatMap { $0 }
    #expect(!gradients.isEmpty && gradients.allSatisfy(\.isFinite) && gradients.contains { $0 != 0 })

    let blankBatch = try Batch(images: batch.images * batch.masks, masks: batch.masks, labels: batch.labelValues)
    let blank = try Objective(configuration).evaluate(model: model, batch: blankBatch, training: false, using: &generator)
    #expect(try #require(blank.values.backgroundInvariance) < 1e-10)
  }

  @Test("against swapped backgrounds each image's lungs go on the next image's background, the last's on the first's; one image alone gives 0")
  func swappedTerm() throws {
    Torch.threads = 1
    let model = try ShortcutProblem.model()
    // Even indices are class 0 (marker top-left), odd ones class 1 (top-right): each next image's
    // background carries the other marker.
    let batch = try ShortcutProblem.dataset(count: 3, seed: 3).batch(0..<3)
    var configuration = ObjectiveConfiguration(variant: .plain, backgroundInvariance: 1)
    configuration.invarianceBackground = .swapped
    let objective = Objective(configuration)

    let composite = try objective.lungsOnInvarianceBackground(batch).floats()
    let images = try batch.images.floats()
    let mask = ShortcutProblem.mask()
    let pixels = mask.count
    for index in 0..<3 {
      let donor = (index + 1) % 3
      for pixel in 0..<pixels {
        let expected = mask[pixel] == 1 ? images[index * pixels + pixel] : images[donor * pixels + pixel]
        #expect(composite[index * pixels + pixel] == expected, "image \(index) pixel \(pixel)")
      }
    }

    var generator = SeededGenerator(seed: 1)
    let term = try #require(objective.evaluate(model: model, batch: batch, training: false, using: &generator).values.backgroundInvariance)
    let swapped = try Tensor(composite, shape: batch.images.shape)
    let expected = try meanSquaredChange(model: model, images: batch.images, counterparts: swapped)
    #expect(expected > 1e-6 && abs(term - expected) <= 1e-5 * expected)
    #expect(abs(term - (try meanSquaredChange(model: model, batch: batch))) > 1e-3 * expected, "not the blank background's term")

    let single = try ShortcutProblem.dataset(count: 1, seed: 3).batch(0..<1)
    #expect(try #require(objective.evaluate(model: model, batch: single, training: false, using: &generator).values.backgroundInvariance) == 0)
  }

  /// Mean squared change of the inference-mode logits when the background is blanked.
  func meanSquaredChange(model: some Classifier, batch: Batch) throws -> Double {
    try meanSquaredChange(model: model, images: batch.images, counterparts: batch.images * batch.masks)
  }

  func meanSquaredChange(model: some Classifier, images: Tensor, counterparts: Tensor) throws -> Double {
    let logits = try model.forward(images, mode: .inference).logits.floats()
    let changed = try model.forward(counterparts, mode: .inference).logits.floats()
    return zip(logits, changed).map { Double($0 - $1) * Double($0 - $1) }.reduce(0, +) / Double(logits.count)
  }

  @Test("a plain classifier trained with it stops following the background marker")
  func plainIgnoresMarker() throws {
    Torch.threads = 1
    func train(invariance: Double?) throws -> any Classifier {
      let objective = ObjectiveConfiguration(variant: .plain, backgroundInvariance: invariance)
      let configuration = TrainingConfiguration(objective: objective, epochs: 15, batchSize: 32,
                                                optimizer: .adam(learningRate: 3e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0),
                                                seed: 1, augmentation: .none, cutTuningEpochs: 0)
      return try Trainer(configuration: configuration, classNames: ShortcutTests.classNames).train(
        makeModel: ShortcutProblem.model, training: ShortcutProblem.dataset(count: 256, seed: 10),
        validation: ShortcutProblem.dataset(count: 64, seed: 11)).model
    }
    let swapped = try ShortcutProblem.dataset(count: 64, seed: 12, swapped: true)
    let evaluator = Evaluator(classNames: ShortcutTests.classNames)
    let plain = try evaluator.evaluate(train(invariance: nil), on: swapped).metrics.accuracy
    let invariant = try evaluator.evaluate(train(invariance: 1), on: swapped).metrics.accuracy
    print("background invariance: swapped-marker accuracy plain \(plain), with the term \(invariant)")
    #expect(invariant >= 0.9)
    #expect(invariant >= plain + 0.3)
  }
}
