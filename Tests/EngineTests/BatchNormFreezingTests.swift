@testable import Engine
import Testing
import Torch

@Suite("BatchNorm freezing", .serialized)
struct BatchNormFreezingTests {
  @Test("a frozen BatchNorm in training computes what it computes at inference, leaves its statistics alone and still trains its weights")
  func frozenLayer() throws {
    let layer = try BatchNorm2d(2)
    try layer.runningMean.copy_(Tensor([Float(3), -1], shape: [2]))
    try layer.runningVariance.copy_(Tensor([Float(4), 0.25], shape: [2]))
    try Torch.withoutGradient { try layer.weight.copy_(Tensor([Float(2), 0.5], shape: [2])) }
    let input = try Tensor.rand([5, 2, 3, 3]) * 6
    let frozen = ForwardMode(training: true, frozenBatchNorm: true)

    let output = try layer(input, frozen)
    let inference = try Torch.withoutGradient { try layer(input, .inference) }
    #expect(try output.floats() == inference.floats())
    #expect(try layer.runningMean.values(as: Float.self) == [3, -1])
    #expect(try layer.runningVariance.values(as: Float.self) == [4, 0.25])
    #expect(try layer.batchesTracked.values(as: Int64.self) == [0])

    // The same statistics fold into the convolution before it, for the relevance pass.
    let (scale, shift) = try layer.affine(for: input, frozen)
    let expectedScale: [Float] = [2 / (4 + 1e-5).squareRoot(), 0.5 / (0.25 + 1e-5).squareRoot()]
    for (value, expected) in zip(try scale.floats(), expectedScale) { #expect(abs(value - expected) < 1e-6) }
    for (value, expected) in zip(try shift.floats(), [-3 * expectedScale[0], 1 * expectedScale[1]]) { #expect(abs(value - expected) < 1e-5) }

    try output.sum().backward()
    let weightGradient = try #require(layer.weight.gradient).floats()
    #expect(weightGradient.allSatisfy { $0 != 0 })
    #expect(try #require(layer.bias.gradient).floats() == [45, 45])  // 5 samples x 9 pixels per channel

    // Unfrozen training still normalises with the batch and updates the running statistics.
    _ = try layer(input, ForwardMode(training: true))
    #expect(try layer.runningMean.values(as: Float.self) != [3, -1])
  }

  /// Trains the shortcut problem's plain classifier for `epochs` with a constant rate, so its first
  /// epochs are the same whatever the count; returns the model's BatchNorm statistics at the end.
  func runningStatistics(epochs: Int, frozenAfter: Int?) throws -> [Float] {
    Torch.threads = 1
    let configuration = TrainingConfiguration(
      objective: ObjectiveConfiguration(variant: .plain), epochs: epochs, batchSize: 32,
      optimizer: .adam(learningRate: 3e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0),
      seed: 1, augmentation: .none, batchNormRecalibrationBatches: 2, batchNormFrozenAfterEpoch: frozenAfter)
    let model = try Trainer(configuration: configuration, classNames: ShortcutTests.classNames).train(
      makeModel: ShortcutProblem.model, training: ShortcutProblem.dataset(count: 96, seed: 10),
      validation: ShortcutProblem.dataset(count: 32, seed: 11)).model
    return try model.state.filter { $0.name.hasSuffix("running_mean") || $0.name.hasSuffix("running_var") }
      .flatMap { try $0.tensor.floats() }
  }

  @Test("training frozen after epoch 1 ends with the statistics recalibrated after epoch 1, whichever epoch it keeps")
  func trainerFreezes() throws {
    let afterFirstEpoch = try runningStatistics(epochs: 1, frozenAfter: nil)
    #expect(try runningStatistics(epochs: 3, frozenAfter: 1) == afterFirstEpoch)
    #expect(try runningStatistics(epochs: 3, frozenAfter: nil) != afterFirstEpoch)
  }
}
